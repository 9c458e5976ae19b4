"""The first-contact benchmark (issue 15): how long from intake to the customer's acknowledgement
in the mail sink, while complaints arrive at a steady rate and a backlog of open cases is being
worked on.

    .venv/bin/python benchmarks/first_contact.py --rate 5 --rate 20 --rate 50 --duration 300 --backlog 2000 \
        --workers 1 --workers 2

On a system of its own (dev server on a SQLite file in WAL mode, the SMTP sink, the workers):
1. the backlog: `--backlog` complaints started and acknowledged before the clock starts;
2. for each `--rate`, for `--duration` seconds: new complaints are started open-loop (one every
   1/rate seconds, whether or not the system keeps up) while staff give findings at the same
   rate to acknowledged cases (the backlog's first, then the new ones), so later stages
   (proposals, approvals, offers, payouts) compete with first contact for the workers;
3. the time from each start call to its acknowledgement's arrival in the sink: p50, p99, max,
   and how many had none within `--grace` seconds after the last arrival;
all of it once for each `--workers` count (our worker processes on the one task queue).

`--no-priority` starts complaints without the first-contact priority (how they ran before it),
for the comparison in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from chaos_checks import read_mail
from chaos_plan import write_rules
from lifecycle import TIMINGS
from lifecycle_drive import complaint, findings
from stack import OUR_WORKER, Stack
from temporalio.client import Client
from temporalio.service import RPCError

from complaints.case import ComplaintWorkflowInput
from complaints.intake import ComplaintInput
from starter.client import IntakeChecks, NoAnswer, Refused, rules_for_intake, send_action, start_complaints
from workflows import ComplaintWorkflow

TASK_QUEUE = "first-contact"
ANSWER_WITHIN = timedelta(seconds=60)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def start_plain(client: Client, item: ComplaintInput) -> None:
    """As complaints were started before first-contact priority: the server's default."""
    await client.start_workflow(
        ComplaintWorkflow.run, ComplaintWorkflowInput(complaint=item), id=item.workflow_id, task_queue=TASK_QUEUE
    )


async def arrivals(
    client: Client, items: list[ComplaintInput], rate: float, checks: IntakeChecks, priority: bool
) -> dict[str, float]:
    """Start one complaint every 1/rate seconds (open loop); when each start call was made."""
    started: dict[str, float] = {}
    began = time.monotonic()
    tasks = []

    async def one(item: ComplaintInput) -> None:
        started[item.id] = time.time()
        if priority:
            await start_complaints(client, [item], TASK_QUEUE, rpc_timeout=ANSWER_WITHIN, checks=checks)
        else:
            await start_plain(client, item)

    for number, item in enumerate(items):
        await asyncio.sleep(max(0.0, began + number / rate - time.monotonic()))
        tasks.append(asyncio.create_task(one(item)))
    await asyncio.gather(*tasks)
    return started


class Acks:
    """The acknowledgements in the sink, read incrementally (a file is parsed once), and the cases
    ready for their findings: the backlog's, then every case whose acknowledgement arrived."""

    def __init__(self, mail_dir: Path) -> None:
        self._mail_dir = mail_dir
        self._seen: set[str] = set()
        self.at: dict[str, float] = {}  # complaint id: when its acknowledgement reached the sink
        self._ready: deque[str] = deque()

    def poll(self) -> None:
        for path in self._mail_dir.glob("*.eml"):
            if path.name in self._seen:
                continue
            self._seen.add(path.name)
            mail = read_mail(path)
            if mail.kind == "acknowledgement" and mail.reference not in self.at:
                self.at[mail.reference] = mail.at.timestamp()
                self._ready.append(mail.reference)

    def next_ready(self) -> str | None:
        """An acknowledged case not yet given its findings, oldest first."""
        if not self._ready:
            self.poll()
        return self._ready.popleft() if self._ready else None

    async def wait_for(self, ids: set[str], until: float) -> dict[str, float]:
        """When each of these complaints' acknowledgement reached the sink (waiting until `until`)."""
        while True:
            self.poll()
            mine = {reference: self.at[reference] for reference in ids if reference in self.at}
            if len(mine) == len(ids) or time.time() > until:
                return mine
            await asyncio.sleep(1.0)


async def work_open_cases(client: Client, acks: Acks, rate: float, seconds: float) -> int:
    """Staff give findings at up to `rate` a second for `seconds` to acknowledged cases (the
    backlog's, then new ones): later stages competing with first contact."""
    sent = 0
    began = time.monotonic()
    tasks = []

    async def one(complaint_id: str, number: int) -> None:
        # A case not ready, or a server refusing more waiting updates (ResourceExhausted at 50 a second
        # on one worker): the load generator goes on; arrivals are what is measured.
        with contextlib.suppress(NoAnswer, Refused, RPCError):
            await send_action(
                client, complaint_id, findings(lambda i: Decimal(20 + i % 25))(number), answer_within=ANSWER_WITHIN
            )

    while time.monotonic() - began < seconds:
        await asyncio.sleep(max(0.0, began + sent / rate - time.monotonic()))
        complaint_id = acks.next_ready()
        if complaint_id is None:
            await asyncio.sleep(0.5)  # nothing acknowledged is waiting for findings this instant
            continue
        tasks.append(asyncio.create_task(one(complaint_id, sent)))
        sent += 1
    await asyncio.gather(*tasks)
    return sent


async def start_workers(stack: Stack, client: Client, workers: int) -> None:
    """Our workers on the task queue: the stack's own, and `workers - 1` more with identities of their own."""
    await stack.start_worker(client)
    for number in range(2, workers + 1):
        await stack.start_named_worker(client, f"worker-{number}", OUR_WORKER, TASK_QUEUE)


@dataclass
class Row:
    workers: int
    rate: float
    started: int
    worked: int
    waits: list[float]  # start to acknowledgement, for those acknowledged within the grace
    ids: set[str]
    lost: int = -1  # never acknowledged, even after the drain (-1: not known yet)

    @property
    def missing(self) -> int:
        return self.started - len(self.waits)

    def figures(self) -> tuple[float, float, float]:
        if not self.waits:
            return 0.0, 0.0, 0.0
        return percentile(self.waits, 0.5), percentile(self.waits, 0.99), max(self.waits)


async def run(plan: Plan, workers: int, data_dir: Path) -> list[Row]:
    stack = Stack(
        data_dir,
        rules_file=write_rules(data_dir, TIMINGS, version="first-contact-bench", name="first-contact-rules.toml"),
        task_queue=TASK_QUEUE,
        extra_env={}
        if plan.slots is None
        else {
            "COMPLAINTS_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS": str(plan.slots),
            "COMPLAINTS_WORKER_MAX_CONCURRENT_ACTIVITIES": str(plan.slots),
        },
    )
    rows = []
    try:
        client = await stack.start_server()
        await stack.start_sink()
        await start_workers(stack, client, workers)
        checks = IntakeChecks(rules=rules_for_intake(stack.rules_file))
        tag = uuid.uuid4().hex[:6]
        acks = Acks(stack.mail_dir)
        waiting = [complaint(tag, "backlog", n) for n in range(plan.backlog)]
        await start_complaints(client, waiting, TASK_QUEUE, rpc_timeout=ANSWER_WITHIN, checks=checks)
        await acks.wait_for({c.id for c in waiting}, time.time() + 1800)
        typer.echo(f"{workers} worker(s); backlog: {plan.backlog} cases open and acknowledged")
        for rate in plan.rates:
            items = [complaint(tag, f"r{rate:g}", n) for n in range(int(rate * plan.duration))]
            started, worked = await asyncio.gather(
                arrivals(client, items, rate, checks, plan.priority), work_open_cases(client, acks, rate, plan.duration)
            )
            at = await acks.wait_for(set(started), time.time() + plan.grace)
            waits = [at[c] - started[c] for c in started if c in at]
            row = Row(workers, rate, len(started), worked, waits, set(started))
            rows.append(row)
            p50, p99, top = row.figures()
            typer.echo(
                f"  {rate:g}/s: {row.started} started, {worked} findings to open cases; "
                f"ack p50 {p50:.2f}s, p99 {p99:.2f}s, max {top:.2f}s; {row.missing} none within {plan.grace:.0f}s"
            )
        everyone = set().union(*(row.ids for row in rows))
        began = time.time()
        at = await acks.wait_for(everyone, began + plan.drain)
        for row in rows:
            row.lost = len(row.ids - set(at))
        typer.echo(f"  drained in {time.time() - began:.0f}s: {len(everyone) - len(at)} never acknowledged")
    finally:
        await stack.stop()
    return rows


@dataclass(frozen=True)
class Plan:
    rates: list[float]
    duration: float
    backlog: int
    grace: float
    drain: float
    priority: bool
    slots: int | None  # each worker's concurrent workflow tasks and activities (None: the defaults)


def report(rows: list[Row], grace: float) -> None:
    typer.echo(
        f"\n| workers | rate /s | started | findings to open cases | ack p50 s | ack p99 s | ack max s "
        f"| none in {grace:.0f} s | never (lost) |"
    )
    typer.echo("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        p50, p99, top = row.figures()
        typer.echo(
            f"| {row.workers} | {row.rate:g} | {row.started} | {row.worked} | {p50:.2f} | {p99:.2f} | {top:.2f} "
            f"| {row.missing} | {row.lost} |"
        )


def main(
    rate: Annotated[list[float] | None, typer.Option(help="arrivals a second (repeatable; default 5, 20, 50)")] = None,
    duration: Annotated[float, typer.Option(min=1, help="seconds of arrivals per rate")] = 300,
    backlog: Annotated[int, typer.Option(min=0, help="open cases whose later stages are worked meanwhile")] = 2000,
    grace: Annotated[float, typer.Option(min=1, help="seconds after the last arrival to wait for acks")] = 300,
    drain: Annotated[float, typer.Option(min=0, help="then, seconds to wait for every ack still missing")] = 1800,
    workers: Annotated[list[int] | None, typer.Option(help="worker processes (repeatable; default 1, 2)")] = None,
    no_priority: Annotated[bool, typer.Option("--no-priority", help="start without first-contact priority")] = False,
    slots: Annotated[
        int | None, typer.Option(min=2, help="each worker's concurrent workflow tasks and activities (default: 100)")
    ] = None,
) -> None:
    plan = Plan(rate or [5, 20, 50], duration, backlog, grace, drain, not no_priority, slots)
    rows: list[Row] = []
    for count in workers or [1, 2]:
        with tempfile.TemporaryDirectory(prefix="first-contact-") as scratch:
            rows += asyncio.run(run(plan, count, Path(scratch)))
    report(rows, grace)


if __name__ == "__main__":
    typer.run(main)
