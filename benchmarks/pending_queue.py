"""How long `complaints admin pending` takes with a long approval queue, from visibility alone.

    .venv/bin/python benchmarks/pending_queue.py --cases 10000 --waiting 3000

Filling a queue through the real workflow takes half an hour (benchmarks/open_cases.py); the
listing reads nothing but visibility, so this starts `--cases` executions of the workflow type
on a task queue no worker polls, with the search attributes a case upserts at that stage:
`--waiting` of them awaiting approval with deadlines spread over a month (`--narrow`: all a
month out, within half an hour, as open_cases.py's queue), the others investigating. Then it
times `admin pending` (the 50 due soonest) and `admin pending --all`, each as a command and in
process, and checks the page is the head of the whole sorted queue.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from chaos_plan import DEMO_RULES
from open_cases_probe import CLI, listing, spread, timed
from stack import Stack
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from complaints.case import Stage
from starter.client import WORKFLOW_TYPE
from starter.client.approval_queue import all_pending, pending_query, soonest_due
from workflows.search_attributes import (
    ASSIGNED_TO,
    AWAITING_APPROVAL_LEVEL,
    COMPENSATION_AMOUNT,
    COMPLAINT_STAGE,
    NEXT_DEADLINE,
)

NOBODY_POLLS = "pending-queue-no-worker"
START_CONCURRENCY = 32


async def fill(client: Client, cases: int, waiting: int, now: datetime, narrow: bool) -> None:
    limit = asyncio.Semaphore(START_CONCURRENCY)
    chance = random.Random(15)

    async def one(number: int) -> None:
        stage = Stage.AWAITING_APPROVAL if number < waiting else Stage.INVESTIGATING
        if narrow:  # as open_cases.py's queue: all due a month out, within half an hour of each other
            due = now + timedelta(days=30, seconds=chance.uniform(0, 1800))
        else:  # a month's deadlines, a few overdue
            due = now + timedelta(seconds=chance.uniform(-3600, 30 * 86400))
        attributes: list[SearchAttributePair[Any]] = [
            SearchAttributePair(COMPLAINT_STAGE, stage.value),
            SearchAttributePair(ASSIGNED_TO, "alex"),
            SearchAttributePair(NEXT_DEADLINE, due),
            SearchAttributePair(COMPENSATION_AMOUNT, 300.0),
        ]
        if stage is Stage.AWAITING_APPROVAL:
            attributes.append(SearchAttributePair(AWAITING_APPROVAL_LEVEL, "team_lead"))
        async with limit:
            await client.start_workflow(
                WORKFLOW_TYPE,
                id=f"complaint-PQ-{number:05d}",
                task_queue=NOBODY_POLLS,
                search_attributes=TypedSearchAttributes(attributes),
            )

    await asyncio.gather(*(one(n) for n in range(cases)))


async def run(cases: int, waiting: int, narrow: bool, data_dir: Path) -> None:
    stack = Stack(data_dir, rules_file=DEMO_RULES, task_queue=NOBODY_POLLS)
    try:
        client = await stack.start_server()
        now = datetime.now(UTC)
        began = time.monotonic()
        await fill(client, cases, waiting, now, narrow)
        for _ in range(120):  # visibility follows the starts within moments
            if (await client.count_workflows(pending_query())).count >= waiting:
                break
            await asyncio.sleep(1)
        typer.echo(f"{cases} executions started, {waiting} awaiting approval ({time.monotonic() - began:.0f} s)")

        async def everything() -> list[str]:
            return [row.complaint_id for row in await all_pending(client, None, datetime.now(UTC))]

        async def page() -> list[str]:
            return [row.complaint_id for row in (await soonest_due(client, None, datetime.now(UTC), 50)).rows]

        head, whole = await page(), await everything()
        typer.echo(f"the page is the head of the sorted queue: {head == whole[:50]}")
        env = stack.child_env()
        figures = {
            "`admin pending` (the 50 due soonest)": await listing([*CLI, "admin", "pending", "--json"], env, 3),
            "of it, the reads (in process)": await timed(3, page),
            "`admin pending --all`": await listing([*CLI, "admin", "pending", "--json", "--all"], env, 3),
            "of it, the reads (in process)  ": await timed(3, everything),
            "one count of the queue (in process)": await timed(3, lambda: client.count_workflows(pending_query())),
            "CLI start (`complaints --help`)": await listing([*CLI, "--help"], env, 3),
        }
        typer.echo(f"\n| {cases} open, {waiting} waiting for approval | time |")
        typer.echo("|---|---|")
        for name, values in figures.items():
            typer.echo(f"| {name.strip()} | {spread(values)} |")
    finally:
        await stack.stop()


def main(
    cases: Annotated[int, typer.Option(min=1, help="executions in visibility")] = 10_000,
    waiting: Annotated[int, typer.Option(min=1, help="of them, awaiting approval")] = 3_000,
    narrow: Annotated[bool, typer.Option("--narrow", help="every deadline a month out, within half an hour")] = False,
) -> None:
    with tempfile.TemporaryDirectory(prefix="pending-queue-") as scratch:
        asyncio.run(run(cases, min(waiting, cases), narrow, Path(scratch)))


if __name__ == "__main__":
    typer.run(main)
