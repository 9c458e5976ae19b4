"""The first-contact benchmark (issue 15): how long from intake to the customer's acknowledgement
in the mail sink, while complaints arrive at a steady rate and a backlog of open cases is being
worked on.

    .venv/bin/python benchmarks/first_contact.py --rate 5 --rate 20 --duration 60 --backlog 300

On a system of its own (dev server on a SQLite file in WAL mode, the SMTP sink, one worker):
1. the backlog: `--backlog` complaints started and acknowledged before the clock starts;
2. for each `--rate`, for `--duration` seconds: new complaints are started open-loop (one every
   1/rate seconds, whether or not the system keeps up) while staff give the backlog's findings
   at the same rate, so later stages (proposals, approvals, offers, payouts) compete with
   first contact for the worker;
3. the time from each start call to its acknowledgement's arrival in the sink: p50, p99, max,
   and how many had none within `--grace` seconds after the last arrival.

`--no-priority` starts complaints without the first-contact priority (how they ran before it),
for the comparison in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from chaos_checks import read_mails
from chaos_plan import write_rules
from lifecycle import TIMINGS
from lifecycle_drive import complaint, findings
from stack import Stack
from temporalio.client import Client

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


async def work_the_backlog(client: Client, backlog: Iterator[str], rate: float, seconds: float) -> int:
    """Staff give findings to backlog cases at `rate` a second for `seconds`: later stages to do."""
    sent = 0
    began = time.monotonic()
    tasks = []

    async def one(complaint_id: str, number: int) -> None:
        with contextlib.suppress(NoAnswer, Refused):  # a backlog case not ready: others keep the load up
            await send_action(
                client, complaint_id, findings(lambda i: Decimal(20 + i % 25))(number), answer_within=ANSWER_WITHIN
            )

    for complaint_id in backlog:
        if time.monotonic() - began > seconds:
            break
        await asyncio.sleep(max(0.0, began + sent / rate - time.monotonic()))
        tasks.append(asyncio.create_task(one(complaint_id, sent)))
        sent += 1
    await asyncio.gather(*tasks)
    return sent


async def acknowledged(mail_dir: Path, ids: set[str], until: float) -> dict[str, float]:
    """When each of these complaints' acknowledgement reached the sink (waiting until `until`)."""
    while True:
        found = {m.reference: m.at.timestamp() for m in read_mails(mail_dir) if m.kind == "acknowledgement"}
        mine = {reference: at for reference, at in found.items() if reference in ids}
        if len(mine) == len(ids) or time.time() > until:
            return mine
        await asyncio.sleep(1.0)


async def run(rates: list[float], duration: float, backlog: int, grace: float, priority: bool, data_dir: Path) -> None:
    stack = Stack(
        data_dir,
        rules_file=write_rules(data_dir, TIMINGS, version="first-contact-bench", name="first-contact-rules.toml"),
        task_queue=TASK_QUEUE,
    )
    try:
        client = await stack.start_server()
        await stack.start_sink()
        await stack.start_worker(client)
        checks = IntakeChecks(rules=rules_for_intake(stack.rules_file))
        tag = uuid.uuid4().hex[:6]
        waiting = [complaint(tag, "backlog", n) for n in range(backlog)]
        await start_complaints(client, waiting, TASK_QUEUE, rpc_timeout=ANSWER_WITHIN, checks=checks)
        await acknowledged(stack.mail_dir, {c.id for c in waiting}, time.time() + 600)
        typer.echo(f"backlog: {backlog} cases open and acknowledged")
        to_work = iter(c.id for c in waiting)
        rows = []
        for rate in rates:
            items = [complaint(tag, f"r{rate:g}", n) for n in range(int(rate * duration))]
            started, worked = await asyncio.gather(
                arrivals(client, items, rate, checks, priority), work_the_backlog(client, to_work, rate, duration)
            )
            acks = await acknowledged(stack.mail_dir, set(started), time.time() + grace)
            waits = [acks[c] - started[c] for c in started if c in acks]
            missing = len(started) - len(waits)
            rows.append((rate, len(started), worked, waits, missing))
            figures = (
                f"p50 {percentile(waits, 0.5):.2f}s, p99 {percentile(waits, 0.99):.2f}s, max {max(waits):.2f}s"
                if waits
                else "none acknowledged"
            )
            typer.echo(
                f"  {rate:g}/s: {len(started)} started, {worked} backlog findings; ack {figures}; {missing} late"
            )
        typer.echo(
            f"\n| rate /s | started | backlog findings | ack p50 s | ack p99 s | ack max s | none in {grace:.0f} s |"
        )
        typer.echo("|---|---|---|---|---|---|---|")
        for rate, count, worked, waits, missing in rows:
            p50, p99, top = (percentile(waits, 0.5), percentile(waits, 0.99), max(waits)) if waits else (0, 0, 0)
            typer.echo(f"| {rate:g} | {count} | {worked} | {p50:.2f} | {p99:.2f} | {top:.2f} | {missing} |")
    finally:
        await stack.stop()


def main(
    rate: Annotated[list[float] | None, typer.Option(help="arrivals a second (repeatable; default 5, 20, 50)")] = None,
    duration: Annotated[float, typer.Option(min=1, help="seconds of arrivals per rate")] = 300,
    backlog: Annotated[int, typer.Option(min=0, help="open cases whose later stages are worked meanwhile")] = 2000,
    grace: Annotated[float, typer.Option(min=1, help="seconds after the last arrival to wait for acks")] = 300,
    no_priority: Annotated[bool, typer.Option("--no-priority", help="start without first-contact priority")] = False,
) -> None:
    with tempfile.TemporaryDirectory(prefix="first-contact-") as scratch:
        asyncio.run(run(rate or [5, 20, 50], duration, backlog, grace, not no_priority, Path(scratch)))


if __name__ == "__main__":
    typer.run(main)
