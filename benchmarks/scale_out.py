"""The scale-out benchmark (issue 15): complaints a second through the whole auto-approved
lifecycle with 1, 2 and 4 worker processes on one task queue, next to bare Temporal with as
many workers, in the same run.

    .venv/bin/python benchmarks/scale_out.py --complaints 200 --workers 1 --workers 2 --workers 4

On a system of its own (dev server on a SQLite file in WAL mode, the SMTP sink): for each worker
count, N of our worker processes (each with its own identity) take `--complaints` cases from
start to Closed, answered by staff and customer as soon as visibility shows each waiting; then N
bare workers take as many `BareLifecycle` workflows of the same shape. It prints complaints a
second, the CPU-seconds per case of the workers together and of the server, and how busy the
machine's cores were: where the ceiling is.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from bare_lifecycle import WORKFLOW_NAME, BareSpec
from chaos_plan import write_rules
from lifecycle import BARE_TASK_QUEUE, BARE_WORKER, TASK_QUEUE, TIMINGS
from lifecycle_drive import AUTO, Case, Drive, bare_case, bare_spec_from, complaint, cpu_seconds, our_case
from stack import OUR_WORKER, Stack
from temporalio.client import Client

from starter.client import WORKFLOW_TYPE, IntakeChecks, rules_for_intake, start_complaints

PHASE_LIMIT = 1800.0
CORES = os.cpu_count() or 1


@dataclass(frozen=True)
class Result:
    kind: str
    workers: int
    cases: int
    seconds: float
    worker_cpu: float  # all worker processes, per case
    server_cpu: float  # per case

    @property
    def rate(self) -> float:
        return self.cases / self.seconds

    @property
    def busy(self) -> float:
        """Share of the machine's cores the workers and the server used meanwhile."""
        return (self.worker_cpu + self.server_cpu) * self.cases / self.seconds / CORES


async def start_workers(stack: Stack, client: Client, kind: str, count: int) -> list[int]:
    argv, task_queue = (OUR_WORKER, TASK_QUEUE) if kind == "ours" else (BARE_WORKER, BARE_TASK_QUEUE)
    pids = []
    for number in range(count):
        child = await stack.start_named_worker(client, f"{kind}-worker-{number + 1}", argv, task_queue)
        pids.append(child.process.pid)
    return pids


async def phase(
    stack: Stack, client: Client, kind: str, workers: int, cases: dict[str, Case], start: Awaitable[object]
) -> Result:
    """Start `workers` processes, then the cases (`start`), and drive them all to Closed."""
    pids = await start_workers(stack, client, kind, workers)
    assert stack.server is not None
    workflow_type = WORKFLOW_TYPE if kind == "ours" else WORKFLOW_NAME
    prefix = next(iter(cases))[:-5]  # ids end in a 5-digit number
    query = f'WorkflowType="{workflow_type}" AND WorkflowId STARTS_WITH "{prefix}"'
    worker_before = sum(cpu_seconds(pid) for pid in pids)
    server_before = cpu_seconds(stack.server.process.pid)
    began = time.monotonic()
    await start
    await Drive(client, query, cases).until_all_closed(PHASE_LIMIT)
    seconds = time.monotonic() - began
    worker_cpu = sum(cpu_seconds(pid) for pid in pids) - worker_before
    server_cpu = cpu_seconds(stack.server.process.pid) - server_before
    await stack.stop_extras()
    n = len(cases)
    result = Result(kind, workers, n, seconds, worker_cpu / n, server_cpu / n)
    typer.echo(
        f"  {kind:4} {workers} worker(s): {n} cases in {seconds:.1f}s = {result.rate:.2f}/s; CPU-s per case: "
        f"workers {result.worker_cpu:.3f}, server {result.server_cpu:.3f}; cores busy {result.busy:.0%}"
    )
    return result


async def run(complaints: int, worker_counts: list[int], data_dir: Path) -> list[Result]:
    rules = write_rules(data_dir, TIMINGS, version="scale-out-bench", name="scale-out-rules.toml")
    stack = Stack(data_dir, rules_file=rules, task_queue=TASK_QUEUE, extra_env={"BARE_TASK_QUEUE": BARE_TASK_QUEUE})
    results: list[Result] = []
    try:
        await stack.start_server()
        await stack.start_sink()
        client = await stack.client()
        checks = IntakeChecks(rules=rules_for_intake(stack.rules_file))
        tag = uuid.uuid4().hex[:6]
        for workers in worker_counts:
            run_tag = f"{tag}w{workers}"
            inputs = [complaint(run_tag, "auto", n) for n in range(complaints)]
            ids = [f"complaint-{c.id}" for c in inputs]
            ours = {w: our_case(client, w, c.id, AUTO, n) for n, (w, c) in enumerate(zip(ids, inputs, strict=True))}
            starting = start_complaints(client, inputs, TASK_QUEUE, checks=checks)
            results.append(await phase(stack, client, "ours", workers, ours, starting))
            spec: BareSpec = await bare_spec_from(client, next(iter(ours)))
            ids = [f"bare-{run_tag}-auto-{n:05d}" for n in range(complaints)]
            bare = {w: bare_case(client, w, spec) for w in ids}
            results.append(await phase(stack, client, "bare", workers, bare, start_bare(client, ids, spec)))
    finally:
        await stack.stop()
    return results


async def start_bare(client: Client, ids: list[str], spec: BareSpec) -> None:
    limit = asyncio.Semaphore(32)

    async def one(workflow_id: str) -> None:
        async with limit:
            await client.start_workflow(WORKFLOW_NAME, spec, id=workflow_id, task_queue=BARE_TASK_QUEUE)

    await asyncio.gather(*(one(w) for w in ids))


def report(results: list[Result]) -> None:
    typer.echo(
        "\n| workers | ours /s | bare /s | ratio | workers' CPU-s/case ours / bare | server CPU-s/case ours / bare "
        f"| cores busy ours / bare ({CORES} cores) |"
    )
    typer.echo("|---|---|---|---|---|---|---|")
    ours = [r for r in results if r.kind == "ours"]
    bare = [r for r in results if r.kind == "bare"]
    for our, base in zip(ours, bare, strict=True):
        typer.echo(
            f"| {our.workers} | {our.rate:.2f} | {base.rate:.2f} | {our.rate / base.rate:.2f} | "
            f"{our.worker_cpu:.3f} / {base.worker_cpu:.3f} | {our.server_cpu:.3f} / {base.server_cpu:.3f} | "
            f"{our.busy:.0%} / {base.busy:.0%} |"
        )


def main(
    complaints: Annotated[int, typer.Option(min=1, help="cases per worker count")] = 200,
    workers: Annotated[list[int] | None, typer.Option(help="worker processes (repeatable; default 1, 2, 4)")] = None,
) -> None:
    with tempfile.TemporaryDirectory(prefix="scale-out-") as scratch:
        report(asyncio.run(run(complaints, workers or [1, 2, 4], Path(scratch))))


if __name__ == "__main__":
    typer.run(main)
