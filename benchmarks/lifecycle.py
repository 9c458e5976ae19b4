"""The lifecycle benchmark (issue 15): complaints a second through a whole case, next to bare
Temporal doing the same number of activities, timers and updates, in the same run.

    .venv/bin/python benchmarks/lifecycle.py --complaints 200 --rounds 2 [--path auto --path two-levels]

On a system of its own (dev server on a SQLite file in WAL mode, the SMTP sink, one worker
process), for each round and path:
1. ours: N complaints started at once and answered by staff and customer as soon as visibility
   shows each waiting (`ComplaintStage`); timed from the first start until all N completed;
2. bare: our worker is stopped and `bare_worker.py` started; N `BareLifecycle` workflows shaped
   like one of our cases of this round (activities and fired timers between its updates, and as
   many timers that never fire), answered the same way, through the same visibility polling.

It prints, per path: complaints a second (ours, bare, and the ratio), worker and server
CPU-seconds per case (from /proc), and events and history bytes per case. The goals: a ratio of
at least 0.8, and worker CPU per case at most 1.5x bare.
Timings are short (follow-up after 1 s, reopen window 2 s); deadlines never fall due.
"""

from __future__ import annotations

import asyncio
import sys
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
from lifecycle_drive import (
    PATHS,
    Case,
    Drive,
    Shape,
    bare_case,
    bare_spec_from,
    complaint,
    cpu_seconds,
    our_case,
    read_shape,
)
from profiling import record, summarize
from stack import ROOT, Stack

from starter.client import WORKFLOW_TYPE, IntakeChecks, rules_for_intake, start_complaints

TASK_QUEUE = "lifecycle"
BARE_TASK_QUEUE = "lifecycle-bare"
BARE_WORKER = [sys.executable, str(ROOT / "benchmarks" / "bare_worker.py")]
TIMINGS = {
    "investigation": "PT30M",
    "investigation_reminder_before": "PT10M",
    "approval": "PT30M",
    "approval_reminder_before": "PT10M",
    "offer": "PT30M",
    "offer_reminder_before": "PT10M",
    "follow_up_after": "PT1S",
    "reopen_window": "PT2S",
    "survey_reminder_after": "PT10M",
    "survey_expires_after": "PT30M",
    "progress_update_every": "PT6H",
    "survey_fatigue_window": "P90D",
}
PHASE_LIMIT = 1800.0
PROFILE_SECONDS = 20


@dataclass(frozen=True)
class Phase:
    """One measured batch: N cases of one kind."""

    kind: str  # "ours" or "bare"
    path: str
    cases: int
    seconds: float
    worker_cpu: float
    server_cpu: float
    sink_cpu: float
    shape: Shape

    @property
    def rate(self) -> float:
        return self.cases / self.seconds


@dataclass(frozen=True)
class Batch:
    """What `measure` runs: `kind` ("ours" or "bare") on `path`; workflow ids begin with `prefix`."""

    kind: str
    path: str
    prefix: str
    profile: Path | None  # --profile: where py-spy's folded stacks go


async def measure(stack: Stack, batch: Batch, cases: dict[str, Case], start: Awaitable[object]) -> Phase:
    """Start the cases (`start`), drive them to the end, and read what it cost; with a profile
    directory, py-spy samples the worker meanwhile."""
    kind, path = batch.kind, batch.path
    assert stack.worker is not None and stack.server is not None and stack.sink is not None
    client = await stack.client()
    workflow_type = WORKFLOW_TYPE if kind == "ours" else WORKFLOW_NAME
    query = f'WorkflowType="{workflow_type}" AND WorkflowId STARTS_WITH "{batch.prefix}"'
    worker_before = cpu_seconds(stack.worker.process.pid)
    server_before = cpu_seconds(stack.server.process.pid)
    sink_before = cpu_seconds(stack.sink.process.pid)
    began = time.monotonic()
    folded = batch.profile / f"{batch.prefix}{kind}.txt" if batch.profile else None
    spy = await record(stack.worker.process.pid, PROFILE_SECONDS, folded) if folded else None
    await start
    drive = Drive(client, query, cases)
    await drive.until_all_closed(PHASE_LIMIT)
    seconds = time.monotonic() - began
    worker_cpu = cpu_seconds(stack.worker.process.pid) - worker_before
    server_cpu = cpu_seconds(stack.server.process.pid) - server_before
    sink_cpu = cpu_seconds(stack.sink.process.pid) - sink_before
    if spy is not None and folded is not None:
        await spy.wait()
        typer.echo(summarize(folded, top=30))
    shape = await read_shape(client, list(cases))
    n = len(cases)
    phase = Phase(kind, path, n, seconds, worker_cpu / n, server_cpu / n, sink_cpu / n, shape)
    typer.echo(
        f"  {kind:4} {path:10} {len(cases)} cases in {seconds:.1f}s = {phase.rate:.2f}/s; "
        f"CPU-s per case: worker {phase.worker_cpu:.3f}, server {phase.server_cpu:.3f}, mail sink "
        f"{phase.sink_cpu:.3f}; {shape.events:.0f} events, {shape.workflow_tasks:.0f} workflow tasks, "
        f"{shape.activities:.0f} activities, {shape.timers:.0f} timers, {shape.updates:.0f} updates, "
        f"{shape.history_bytes / 1024:.1f} KiB per case (heaviest, KiB: {shape.heaviest()})"
        + (f" ({drive.refusals} early answers refused, {drive.no_answers} unanswered)" if drive.refusals else "")
    )
    return phase


async def ours(stack: Stack, run: str, path: str, count: int, profile: Path | None) -> tuple[Phase, str]:
    client = await stack.client()
    await stack.start_worker(client)
    steps = PATHS[path]
    inputs = [complaint(run, path, n) for n in range(count)]
    cases = {f"complaint-{c.id}": our_case(client, f"complaint-{c.id}", c.id, steps, n) for n, c in enumerate(inputs)}
    checks = IntakeChecks(rules=rules_for_intake(stack.rules_file))
    starting = start_complaints(client, inputs, TASK_QUEUE, checks=checks)
    phase = await measure(stack, Batch("ours", path, f"complaint-LC-{run}-{path}-", profile), cases, starting)
    await stack.stop_worker()
    return phase, next(iter(cases))


async def bare(stack: Stack, run: str, path: str, count: int, spec: BareSpec, profile: Path | None) -> Phase:
    client = await stack.client()
    await stack.start_worker(client, argv=BARE_WORKER, task_queue=BARE_TASK_QUEUE)
    ids = [f"bare-{run}-{path}-{n:05d}" for n in range(count)]
    limit = asyncio.Semaphore(32)

    async def start_one(workflow_id: str) -> None:
        async with limit:
            await client.start_workflow(WORKFLOW_NAME, spec, id=workflow_id, task_queue=BARE_TASK_QUEUE)

    async def start_all() -> None:
        await asyncio.gather(*(start_one(w) for w in ids))

    cases = {w: bare_case(client, w, spec) for w in ids}
    phase = await measure(stack, Batch("bare", path, f"bare-{run}-{path}-", profile), cases, start_all())
    await stack.stop_worker()
    return phase


def report(phases: list[Phase]) -> None:
    typer.echo(
        "\n| path | round | ours /s | bare /s | ratio | worker CPU-s/case ours / bare (x) "
        "| server CPU-s/case ours / bare | mail sink CPU-s/case | events/case | workflow tasks/case | KiB/case |"
    )
    typer.echo("|---|---|---|---|---|---|---|---|---|---|---|")
    by_path: dict[str, list[tuple[Phase, Phase]]] = {}
    ours_phases = [p for p in phases if p.kind == "ours"]
    bare_phases = [p for p in phases if p.kind == "bare"]
    for our, base in zip(ours_phases, bare_phases, strict=True):
        by_path.setdefault(our.path, []).append((our, base))
    for path, pairs in by_path.items():
        for number, (our, base) in enumerate(pairs, start=1):
            typer.echo(
                f"| {path} | {number} | {our.rate:.2f} | {base.rate:.2f} | **{our.rate / base.rate:.2f}** | "
                f"{our.worker_cpu:.3f} / {base.worker_cpu:.3f} ({our.worker_cpu / base.worker_cpu:.1f}x) | "
                f"{our.server_cpu:.3f} / {base.server_cpu:.3f} | {our.sink_cpu:.3f} | "
                f"{our.shape.events:.0f} / {base.shape.events:.0f} | "
                f"{our.shape.workflow_tasks:.0f} / {base.shape.workflow_tasks:.0f} | "
                f"{our.shape.history_bytes / 1024:.1f} / {base.shape.history_bytes / 1024:.1f} |"
            )


async def run(complaints: int, rounds: int, paths: list[str], data_dir: Path, profile: Path | None) -> list[Phase]:
    stack = Stack(
        data_dir,
        rules_file=write_rules(data_dir, TIMINGS, version="lifecycle-bench", name="lifecycle-rules.toml"),
        task_queue=TASK_QUEUE,
        extra_env={"BARE_TASK_QUEUE": BARE_TASK_QUEUE},
    )
    phases: list[Phase] = []
    try:
        await stack.start_server()
        await stack.start_sink()
        tag = uuid.uuid4().hex[:6]
        for number in range(rounds):
            for path in paths:
                run_tag = f"{tag}{number}"
                typer.echo(f"round {number + 1}, {path}:")
                our, sample = await ours(stack, run_tag, path, complaints, profile)
                spec = await bare_spec_from(await stack.client(), sample)
                phases += [our, await bare(stack, run_tag, path, complaints, spec, profile)]
    finally:
        await stack.stop()
    return phases


def main(
    complaints: Annotated[int, typer.Option(min=1, help="cases per path and round")] = 200,
    rounds: Annotated[int, typer.Option(min=1)] = 2,
    path: Annotated[list[str] | None, typer.Option(help="auto and/or two-levels (default: both)")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="kept after the run (default: a temporary directory)")] = None,
    profile: Annotated[
        Path | None, typer.Option(help=f"sample each worker with py-spy for {PROFILE_SECONDS}s into this directory")
    ] = None,
) -> None:
    path = path or list(PATHS)
    if profile is not None:
        profile.mkdir(parents=True, exist_ok=True)
    unknown = set(path) - set(PATHS)
    if unknown:
        typer.echo(f"--path: unknown {sorted(unknown)}; known: {list(PATHS)}", err=True)
        raise typer.Exit(2)
    if data_dir is None:
        with tempfile.TemporaryDirectory(prefix="lifecycle-") as scratch:
            report(asyncio.run(run(complaints, rounds, path, Path(scratch), profile)))
    else:
        data_dir.mkdir(parents=True, exist_ok=True)
        report(asyncio.run(run(complaints, rounds, path, data_dir, profile)))


if __name__ == "__main__":
    typer.run(main)
