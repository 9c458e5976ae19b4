"""The incident fan-out benchmark (issue 16): one incident with N affected customers on the dev
server (SQLite, WAL), with 1 and 2 worker processes, next to a bare Temporal fan-out of the same
shape measured in the same run.

    .venv/bin/python benchmarks/incident_fanout.py --customers 10000 --workers 1 --workers 2

For each worker count: the customers are staged in the app database, the incident assesses them
and waits for approval; the clock starts at the approval. It prints the seconds until every
eligible customer has a case (the incident reaches Offered) and until every offer letter is in
the mail sink, offers a second, the peak RSS of each worker, and the incident's and a case's
history (events, KiB): far below Temporal's limits (51,200 events, 50 MiB). Then bare workers
run `BareFanout` (bare_fanout.py): pages of starts of a workflow with as many no-op activities
as a proactive case runs up to its letter (`--bare-activities`, 2: its rules and the letter).

An offer is made when its letter is sent: the ratio is ours letters a second over bare's cases
closed a second. The rate at which cases are started is printed too.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from bare_fanout import FANOUT_NAME, FanoutSpec
from chaos_plan import write_rules
from lifecycle import BARE_TASK_QUEUE, BARE_WORKER, TASK_QUEUE, TIMINGS
from stack import OUR_WORKER, Stack
from temporalio.client import Client, WorkflowHandle

from activities.db import make_engine
from activities.incident_store import IncidentStore
from activities.migrate import upgrade_to_head
from complaints.affected import AffectedCustomer, ListedCustomer
from complaints.incident import IncidentDeclaration, IncidentStage, IncidentSummary
from complaints.incident_state import CustomersListed, SchemeApproval
from starter.dev.mailsink import stored_mail_files
from workflows.incident import IncidentWorkflow, IncidentWorkflowInput

T = TypeVar("T")
PAGE_SIZE = 100
CONCURRENCY = 20
LIMIT = 3600.0


@dataclass(frozen=True)
class Result:
    kind: str
    workers: int
    customers: int
    to_started: float  # seconds from approval until every case is started
    to_letters: float  # ... until every letter is sent (bare: every BareOffer closed)
    peak_rss_mib: float
    history_events: int
    history_kib: float
    case_events: int

    @property
    def rate(self) -> float:
        """Cases started a second."""
        return self.customers / self.to_started

    @property
    def offer_rate(self) -> float:
        """Offers made (letters sent; bare: cases closed) a second."""
        return self.customers / self.to_letters


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def declaration(incident_id: str, customers: int) -> IncidentDeclaration:
    return IncidentDeclaration.model_validate(
        {
            "id": incident_id,
            "title": "Broadband outage in the North West",
            "description": "A faulty update took our broadband down for up to a day.",
            "started_at": "2026-11-02T06:00:00+00:00",
            "ended_at": "2026-11-03T06:00:00+00:00",
            "products": ["broadband"],
            "categories": ["service"],
            "fault": "ours",
            "declared_by": "mgr-dana",
            "scheme": {
                "bands": [
                    {"name": "any", "measure": "hours_without_service", "at_least": "1", "remedy": {"credit": "1"}}
                ],
                "cap_per_customer": "10",
                "budget": str(customers * 2),
            },
        }
    )


async def stage(stack: Stack, incident_id: str, customers: int) -> None:
    engine = make_engine(stack.database_url)
    try:
        await upgrade_to_head(engine)
        store = IncidentStore(engine)
        for first in range(0, customers, 500):
            page = [
                ListedCustomer(
                    row=n + 2,
                    customer=AffectedCustomer(
                        customer_id=f"c{n:06d}",
                        name=f"Customer {n}",
                        email=f"c{n}@example.com",
                        product="broadband",
                        hours_without_service=Decimal("6"),
                    ),
                )
                for n in range(first, min(first + 500, customers))
            ]
            await store.stage(incident_id, page)
    finally:
        await engine.dispose()


async def summary(client: Client, workflow_id: str) -> IncidentSummary:
    handle: WorkflowHandle[IncidentWorkflow, IncidentSummary] = client.get_workflow_handle(workflow_id)
    return await handle.query(IncidentWorkflow.summary)


async def until(probe: Callable[[], Awaitable[T]], done: Callable[[T], bool], limit: float = LIMIT) -> None:
    began = time.monotonic()
    while True:
        if done(await probe()):
            return
        if time.monotonic() - began > limit:
            raise TimeoutError("the benchmark phase did not finish in time")
        await asyncio.sleep(0.5)


async def history_size(client: Client, workflow_id: str) -> tuple[int, float]:
    description = await client.get_workflow_handle(workflow_id).describe()
    return description.history_length, description.raw_description.workflow_execution_info.history_size_bytes / 1024


async def ours(stack: Stack, client: Client, workers: int, customers: int, tag: str) -> Result:
    pids = [
        (await stack.start_named_worker(client, f"ours-{tag}-{n}", OUR_WORKER, TASK_QUEUE)).process.pid
        for n in range(workers)
    ]
    declared = declaration(f"INC-{tag}", customers)
    handle = await client.start_workflow(
        IncidentWorkflow.run,
        IncidentWorkflowInput(declaration=declared),
        id=declared.workflow_id,
        task_queue=TASK_QUEUE,
    )
    await stage(stack, declared.id, customers)
    await handle.execute_update(IncidentWorkflow.customers_listed, CustomersListed(by="mgr-dana", added=customers))
    await until(
        lambda: summary(client, declared.workflow_id),
        lambda now: now.stage is IncidentStage.AWAITING_APPROVAL and not now.to_assess,
    )

    def offer_letters() -> int:
        return sum(1 for path in stored_mail_files(stack.mail_dir) if "-incident_offer-" in path.name)

    letters_before = offer_letters()
    began = time.monotonic()
    await handle.execute_update(IncidentWorkflow.approve, SchemeApproval(approver_id="dir-rowan"))
    await until(lambda: summary(client, declared.workflow_id), lambda now: now.stage is IncidentStage.OFFERED)
    started = time.monotonic() - began

    async def sent() -> int:
        return offer_letters() - letters_before

    await until(sent, lambda count: count >= customers)
    letters = time.monotonic() - began
    events, kib = await history_size(client, declared.workflow_id)
    case_events, _ = await history_size(client, f"complaint-{declared.id}.c000000")
    rss = max(peak_rss_mib(pid) for pid in pids)
    await stack.stop_extras()
    return Result("ours", workers, customers, started, letters, rss, events, kib, case_events)


async def bare(stack: Stack, client: Client, workers: int, customers: int, tag: str, activities: int) -> Result:
    pids = [
        (await stack.start_named_worker(client, f"bare-{tag}-{n}", BARE_WORKER, BARE_TASK_QUEUE)).process.pid
        for n in range(workers)
    ]
    spec = FanoutSpec(
        prefix=f"bare-{tag}",
        customers=customers,
        page_size=PAGE_SIZE,
        concurrency=CONCURRENCY,
        activities_per_case=activities,
    )
    began = time.monotonic()
    handle = await client.start_workflow(FANOUT_NAME, spec, id=f"bare-fanout-{tag}", task_queue=BARE_TASK_QUEUE)
    await handle.result()
    started = time.monotonic() - began
    query = f'WorkflowType="BareOffer" AND WorkflowId STARTS_WITH "bare-{tag}" AND ExecutionStatus="Running"'

    async def running() -> int:
        return (await client.count_workflows(query)).count

    await until(running, lambda count: count == 0)
    letters = time.monotonic() - began
    events, kib = await history_size(client, f"bare-fanout-{tag}")
    case_events, _ = await history_size(client, f"bare-{tag}-000000")
    rss = max(peak_rss_mib(pid) for pid in pids)
    await stack.stop_extras()
    return Result("bare", workers, customers, started, letters, rss, events, kib, case_events)


async def run(customers: int, worker_counts: list[int], data_dir: Path, bare_activities: int) -> list[Result]:
    # Offers stand for a week here: a run's cases must not remind or lapse while a later run is measured
    # on the same task queue (with the lifecycle's 30 minutes, the first run's 10,000 reminders did).
    timings = {**TIMINGS, "offer": "P7D", "offer_reminder_before": "P1D"}
    rules = write_rules(data_dir, timings, version="incident-bench", name="incident-rules.toml")
    settings = {
        "BARE_TASK_QUEUE": BARE_TASK_QUEUE,
        "COMPLAINTS_INCIDENT_PAGE_SIZE": str(PAGE_SIZE),
        "COMPLAINTS_INCIDENT_CONCURRENCY": str(CONCURRENCY),
        "COMPLAINTS_INCIDENT_OFFERS_PER_SECOND": "1000",  # no mail rate limit: the engine's speed
    }
    stack = Stack(data_dir, rules_file=rules, task_queue=TASK_QUEUE, extra_env=settings)
    results: list[Result] = []
    try:
        await stack.start_server()
        await stack.start_sink()
        client = await stack.client()
        for workers in worker_counts:
            tag = f"{uuid.uuid4().hex[:6]}w{workers}"
            results.append(await ours(stack, client, workers, customers, tag))
            report_one(results[-1])
            results.append(await bare(stack, client, workers, customers, tag, bare_activities))
            report_one(results[-1])
    finally:
        await stack.stop()
    return results


def report_one(result: Result) -> None:
    typer.echo(
        f"  {result.kind} {result.workers} worker(s): {result.customers} started in {result.to_started:.1f}s "
        f"({result.rate:.1f}/s), letters after {result.to_letters:.1f}s ({result.offer_rate:.1f}/s); "
        f"peak RSS {result.peak_rss_mib:.0f} MiB; "
        f"fan-out history {result.history_events} events / {result.history_kib:.0f} KiB; a case {result.case_events}"
    )


def report(results: list[Result]) -> None:
    typer.echo(
        "\n| workers | customers | offers /s ours / bare | ratio | cases started /s ours / bare "
        "| all started ours / bare | all letters ours / bare "
        "| worker peak RSS ours / bare | fan-out history ours / bare | a case's history ours / bare |"
    )
    typer.echo("|---|---|---|---|---|---|---|---|---|---|")
    for our, base in zip(results[0::2], results[1::2], strict=True):
        typer.echo(
            f"| {our.workers} | {our.customers} | {our.offer_rate:.1f} / {base.offer_rate:.1f} "
            f"| {our.offer_rate / base.offer_rate:.2f} | {our.rate:.1f} / {base.rate:.1f} "
            f"| {our.to_started:.0f} s / {base.to_started:.0f} s | {our.to_letters:.0f} s / {base.to_letters:.0f} s "
            f"| {our.peak_rss_mib:.0f} / {base.peak_rss_mib:.0f} MiB "
            f"| {our.history_events} ev, {our.history_kib:.0f} KiB "
            f"/ {base.history_events} ev, {base.history_kib:.0f} KiB "
            f"| {our.case_events} / {base.case_events} events |"
        )


def main(
    customers: Annotated[int, typer.Option(min=1, help="affected customers (all eligible)")] = 10_000,
    workers: Annotated[list[int] | None, typer.Option(help="worker processes (repeatable; default 1 and 2)")] = None,
    bare_activities: Annotated[
        int, typer.Option(min=1, help="no-op activities per bare case: a proactive case's up to its letter")
    ] = 2,
) -> None:
    with tempfile.TemporaryDirectory(prefix="incident-fanout-") as scratch:
        report(asyncio.run(run(customers, workers or [1, 2], Path(scratch), bare_activities)))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    typer.run(main)
