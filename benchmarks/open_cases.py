"""The open-cases benchmark (issue 15): one small worker holding 10,000 open complaints.

    .venv/bin/python benchmarks/open_cases.py --cases 10000 [--postgres]

On a system of its own (dev server on a SQLite file in WAL mode, the SMTP sink, one worker, the
HTTP intake API):
1. the fill: `--cases` complaints opened and spread over the stages where cases wait longest:
   investigating (no findings yet), awaiting approval (findings above the auto-approval limit)
   and awaiting the customer (an offer sent). Nothing they wait for falls due during the run;
2. `--due` more complaints started evenly over `--due-over` seconds, urgent ones whose
   first-response clock runs `--target` seconds of calendar time: each warns at 50 % and 75 %
   and breaches while all the others are open;
3. meanwhile, staff and customers act: approvals sent in process (the call the CLI makes) and
   through the CLI (`complaints admin approve`, a process each), acceptances over HTTP
   (`POST /complaints/{id}/offer-response`), `complaints admin pending` and `admin doctor`;
4. it prints each action's round trip, the listings' times, the worker's RSS (after the fill and
   at its peak) and how late the warnings and breaches fired.
Goals: action p99 under 250 ms, listings under 1 s, RSS under 300 MB, timer lateness p99 under 1 s.
`--postgres` keeps the app database on the local PostgreSQL (a schema of its own, dropped after).
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import psycopg
import typer
from chaos_plan import DEMO_RULES, write_rules
from lifecycle_drive import findings
from open_cases_probe import (
    CLI,
    MemoryWatch,
    commands,
    doctor_findings,
    http_offer_answers,
    listing,
    paced,
    pending_page,
    pending_rows,
    sla_lateness,
    spread,
    timed,
)
from stack import Stack
from temporalio.client import Client

from complaints.actions import Approval
from complaints.case import Stage
from complaints.intake import ComplaintInput
from complaints.rules import read_rules_document
from starter.client import (
    WORKFLOW_TYPE,
    IntakeChecks,
    NoAnswer,
    Refused,
    rules_for_intake,
    send_action,
    start_complaints,
)
from starter.dev.mailsink import free_port
from starter.dev.processes import HOST

TASK_QUEUE = "open-cases"
PG_URL = "postgresql://127.0.0.1:5432/test"
API_KEY = "bench-key"
LONG = "P30D"  # nothing the filled cases wait for falls due during the run
TIMINGS = {
    "investigation": LONG,
    "investigation_reminder_before": "P1D",
    "approval": LONG,
    "approval_reminder_before": "P1D",
    "offer": LONG,
    "offer_reminder_before": "P1D",
    "follow_up_after": LONG,
    "reopen_window": "P1D",
    "survey_reminder_after": "P1D",
    "survey_expires_after": "P5D",
    "progress_update_every": "P7D",
    "survey_fatigue_window": "P90D",
}
# Where the filled cases wait, and what puts them there (None: nothing, they wait for findings).
SPREAD = (
    (Stage.INVESTIGATING, None, 4),
    (Stage.AWAITING_APPROVAL, Decimal(300), 3),  # above the auto-approval limit: a team lead decides
    (Stage.AWAITING_CUSTOMER, Decimal(30), 3),  # auto-approved: the offer goes out
)
FILL_BATCH = 250
SEND_CONCURRENCY = 16


def sla_rules(target: timedelta) -> dict[str, Any]:
    """The demo's SLA table with every clock a month long, except the urgent first response."""
    sla = dict(read_rules_document(DEMO_RULES)["sla"])
    month = {"duration": LONG, "business": False}
    clocks = ("acknowledgement", "first_response", "investigation", "approval", "resolution")
    sla["policies"] = {priority: dict.fromkeys(clocks, month) for priority in sla["policies"]}
    sla["policies"]["urgent"] = {
        **sla["policies"]["urgent"],
        "first_response": {"duration": f"PT{int(target.total_seconds())}S", "business": False},
    }
    return sla


def complaint(run: str, kind: str, number: int, priority: str = "low") -> ComplaintInput:
    return ComplaintInput.model_validate(
        {
            "id": f"OC-{run}-{kind}-{number:05d}",
            "customer": {
                "id": f"cust-{run}-{kind}-{number}",
                "name": f"Customer {number}",
                "email": f"c{number}.{kind}.{run}@customers.example",
            },
            "category": "billing",
            "priority": priority,
            "description": "Charged twice for one order.",
            "desired_remedy": "refund",
        }
    )


async def give_findings(client: Client, ids: list[tuple[str, Decimal]]) -> None:
    """Each case's findings, retried while it is still acknowledging (not investigating yet)."""
    limit = asyncio.Semaphore(SEND_CONCURRENCY)

    async def one(number: int, reference: str, loss: Decimal) -> None:
        async with limit:
            for _ in range(60):
                try:
                    found = findings(lambda _: loss)(number)
                    await send_action(client, reference, found, answer_within=timedelta(seconds=60))
                    return
                except (Refused, NoAnswer):
                    await asyncio.sleep(2)

    await asyncio.gather(*(one(n, reference, loss) for n, (reference, loss) in enumerate(ids)))


async def count(client: Client, stage: Stage) -> int:
    query = f"WorkflowType = '{WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' AND ComplaintStage = '{stage.value}'"
    return (await client.count_workflows(query)).count


async def fill(client: Client, run: str, cases: int, checks: IntakeChecks) -> dict[Stage, list[str]]:
    """Open `cases` complaints spread over SPREAD's stages; their ids by stage once all are there."""
    weights = sum(weight for _, _, weight in SPREAD)
    plan: list[tuple[ComplaintInput, Stage, Decimal | None]] = []
    for stage, loss, weight in SPREAD:
        plan += [(complaint(run, stage.value, n), stage, loss) for n in range(cases * weight // weights)]
    plan.sort(key=lambda item: item[0].customer.id[::-1])  # interleave the stages
    began = time.monotonic()
    previous: list[tuple[str, Decimal]] = []
    for start in range(0, len(plan), FILL_BATCH):
        batch = plan[start : start + FILL_BATCH]
        await asyncio.gather(
            start_complaints(client, [c for c, _, _ in batch], TASK_QUEUE, checks=checks),
            give_findings(client, previous),
        )
        previous = [(c.id, loss) for c, _, loss in batch if loss is not None]
        typer.echo(f"  fill: {start + len(batch)}/{len(plan)} started ({time.monotonic() - began:.0f} s)")
    await give_findings(client, previous)
    expected = {stage: sum(1 for _, s, _ in plan if s is stage) for stage, _, _ in SPREAD}
    while True:
        counts = {stage: await count(client, stage) for stage in expected}
        if counts == expected:
            break
        if time.monotonic() - began > 4 * 3600:
            raise RuntimeError(f"the fill did not settle: {counts} of {expected}")
        await asyncio.sleep(5)
    took = time.monotonic() - began
    typer.echo(f"fill: {len(plan)} cases open in {took:.0f} s ({len(plan) / took:.1f}/s): {_counts(counts)}")
    return {stage: [c.id for c, s, _ in plan if s is stage] for stage in expected}


async def start_spread(client: Client, items: list[ComplaintInput], seconds: float, checks: IntakeChecks) -> None:
    """One complaint at a time, evenly over `seconds`: their deadlines fall due as spread out."""
    began = time.monotonic()
    for number, item in enumerate(items):
        await asyncio.sleep(max(0.0, began + seconds * number / len(items) - time.monotonic()))
        await start_complaints(client, [item], TASK_QUEUE, checks=checks)


def _counts(counts: dict[Stage, int]) -> str:
    return ", ".join(f"{stage.value} {number}" for stage, number in counts.items())


@contextlib.contextmanager
def app_database(postgres: bool) -> Iterator[dict[str, str]]:
    """The worker's and API's COMPLAINTS_DATABASE_URL: SQLite in the data directory, or a schema of
    its own on the local PostgreSQL."""
    if not postgres:
        yield {}
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            url = f"{PG_URL.replace('postgresql://', 'postgresql+psycopg://')}?options=-csearch_path%3D{schema}"
            yield {"COMPLAINTS_DATABASE_URL": url}
        finally:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@dataclass(frozen=True)
class Plan:
    cases: int  # filled, spread over SPREAD's stages
    due: int  # urgent cases whose SLA warns and breaches while the others are open
    due_over: float  # seconds over which those are started
    target: timedelta  # their first-response target
    samples: int  # actions timed of each kind
    postgres: bool
    cache: int | None  # the worker's workflow cache (None: its default)


async def run(plan: Plan, data_dir: Path) -> None:
    with app_database(plan.postgres) as database:
        if plan.cache is not None:
            database["COMPLAINTS_WORKER_MAX_CACHED_WORKFLOWS"] = str(plan.cache)
        rules = write_rules(data_dir, TIMINGS, "open-cases-bench", "open-cases-rules.toml", sla_rules(plan.target))
        stack = Stack(data_dir, rules_file=rules, task_queue=TASK_QUEUE, extra_env=database)
        stack.extra_env["COMPLAINTS_API_KEYS"] = f'{{"bench": "{API_KEY}"}}'
        api_port = free_port()
        try:
            await measure(stack, api_port, plan)
        finally:
            await stack.stop()


async def measure(stack: Stack, api_port: int, plan: Plan) -> None:
    cases, due, due_over, target, samples = plan.cases, plan.due, plan.due_over, plan.target, plan.samples
    client = await stack.start_server()
    await stack.start_sink()
    await stack.start_worker(client)
    assert stack.worker is not None
    memory = MemoryWatch(stack.worker.process.pid)
    watching = asyncio.create_task(memory.run())
    env = stack.child_env()
    await stack.start_extra("api", [*CLI, "api", "--host", HOST, "--port", str(api_port)], api_port)
    checks = IntakeChecks(rules=rules_for_intake(stack.rules_file))
    run_id = uuid.uuid4().hex[:6]
    database = "PostgreSQL" if plan.postgres else "SQLite"
    cache = stack.extra_env.get("COMPLAINTS_WORKER_MAX_CACHED_WORKFLOWS", "default")
    typer.echo(f"open cases: {cases} filled + {due} due, app database {database}, workflow cache {cache}")

    at_start = memory.samples[0][1]
    waiting = await fill(client, run_id, cases, checks)
    after_fill = memory.samples[-1][1]
    typer.echo(f"worker RSS at start {at_start:.0f} MiB, after the fill {after_fill:.0f} MiB")

    due_cases = [complaint(run_id, "due", n, priority="urgent") for n in range(due)]
    due_began = time.monotonic()
    starting_due = asyncio.create_task(start_spread(client, due_cases, due_over, checks))
    typer.echo(f"due: {due} urgent cases starting over {due_over:.0f} s; each breaches {target} after its start")

    approvals = waiting[Stage.AWAITING_APPROVAL]
    offers = waiting[Stage.AWAITING_CUSTOMER]
    cli_count = max(5, samples // 10)
    rate = 2.0

    async def approve(reference: str) -> None:
        await send_action(client, reference, Approval(approver_id="tl-jordan"), answer_within=timedelta(seconds=60))

    def cli_approve(reference: str) -> list[str]:
        return [*CLI, "admin", "approve", reference, "--by", "tl-jordan"]

    async def at_the_terminal() -> dict[str, list[float]]:
        """One member of staff's commands, one after another, while the rest goes on."""
        return {
            "start": await listing([*CLI, "--help"], env, 5),
            "approve": await commands(cli_approve, approvals[samples : samples + cli_count], env),
            "pending": await listing([*CLI, "admin", "pending", "--json"], env, 3),
            "doctor": await listing([*CLI, "admin", "doctor", "--json"], env, 3, ok=(0, 1)),
        }

    async def in_process_reads() -> dict[str, list[float]]:
        return {
            "page": await timed(3, lambda: pending_page(client)),
            "all": await timed(3, lambda: pending_rows(client)),
            "doctor": await timed(3, lambda: doctor_findings(client, stack.database_url)),
        }

    in_process, over_http, terminal, reads = await asyncio.gather(
        paced(approvals[:samples], rate, approve),
        http_offer_answers(f"http://{HOST}:{api_port}", API_KEY, offers[:samples], rate),
        at_the_terminal(),
        in_process_reads(),
    )
    await starting_due
    all_due = due_began + due_over + target.total_seconds()
    lateness = await sla_lateness(client, [c.workflow_id for c in due_cases], target, all_due + 30, all_due + 600)
    watching.cancel()
    typer.echo("")
    typer.echo(f"| figure ({cases} open + {due} due, {database}) | value | goal |")
    typer.echo("|---|---|---|")
    typer.echo(f"| approval round trip, in process | {spread(in_process)} | p99 < 250 ms |")
    typer.echo(f"| offer acceptance over HTTP | {spread(over_http)} | p99 < 250 ms |")
    typer.echo(f"| `complaints admin approve` (a process each) | {spread(terminal['approve'])} | p99 < 250 ms |")
    typer.echo(f"| of it, the CLI's start (`complaints --help`) | {spread(terminal['start'])} | |")
    pending = f"`complaints admin pending` (the 50 due soonest of {len(approvals)})"
    typer.echo(f"| {pending} | {spread(terminal['pending'])} | < 1 s |")
    typer.echo(f"| of it, the visibility reads (in process) | {spread(reads['page'])} | |")
    typer.echo(f"| every row, as `--all` reads them (in process) | {spread(reads['all'])} | |")
    typer.echo(f"| `complaints admin doctor` | {spread(terminal['doctor'])} | < 1 s |")
    typer.echo(f"| of it, the examination (in process) | {spread(reads['doctor'])} | |")
    rss = f"{at_start:.0f} / {after_fill:.0f} / {memory.peak():.0f} MiB"
    typer.echo(f"| worker RSS at start / after the fill / peak | {rss} | < 300 MB |")
    late = lateness.seconds
    typer.echo(f"| SLA warning and breach lateness | {spread(late)}; missing {lateness.missing} | p99 < 1 s |")


def main(
    cases: Annotated[int, typer.Option(min=10, help="open cases spread over the waiting stages")] = 10_000,
    due: Annotated[int, typer.Option(min=1, help="urgent cases whose SLA warns and breaches meanwhile")] = 500,
    target: Annotated[int, typer.Option(min=60, help="their first-response target, seconds")] = 240,
    due_over: Annotated[float, typer.Option(min=0, help="seconds over which they are started")] = 240,
    samples: Annotated[int, typer.Option(min=5, help="actions timed of each kind (CLI: a tenth)")] = 200,
    postgres: Annotated[bool, typer.Option("--postgres", help="the app database on the local PostgreSQL")] = False,
    cache: Annotated[int | None, typer.Option(min=0, help="workflows the worker caches (default: its setting)")] = None,
) -> None:
    with tempfile.TemporaryDirectory(prefix="open-cases-") as scratch:
        plan = Plan(cases, due, due_over, timedelta(seconds=target), samples, postgres, cache)
        asyncio.run(run(plan, Path(scratch)))


if __name__ == "__main__":
    typer.run(main)
