"""Helpers the workflow tests share: building complaints, driving a case, reading its mail."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import ComplaintActivities
from complaints.actions import Approval, Findings, OfferAnswer, OfferResponse
from complaints.case import CaseOutcome, CaseStatus, ComplaintWorkflowInput, Stage
from complaints.intake import ComplaintInput
from complaints.payout import PayoutReceipt, PayoutRequest
from starter.mailsink import read_mail, stored_mail_files
from workflows import ComplaintWorkflow

TASK_QUEUE = "complaints-test"
Handle = WorkflowHandle[ComplaintWorkflow, CaseOutcome]


def make_complaint(**overrides: Any) -> ComplaintInput:
    fields: dict[str, Any] = {
        "id": f"T-{uuid.uuid4().hex[:10]}",
        # A customer of their own: earlier cases in the shared test database would count as
        # their earlier complaints and payouts, and change the proposal.
        "customer": {"id": f"cust-{uuid.uuid4().hex[:8]}", "name": "Ada Lovelace", "email": "ada@example.com"},
        "category": "billing",
        "priority": "high",
        "description": "I was charged twice for my November invoice.",
        "desired_outcome": "My money back",
        "desired_remedy": "refund",  # so goodwill is paid in money, not as a discount
        "claimed_amount": "89.90",
    }
    fields.update(overrides)
    return ComplaintInput.model_validate(fields)


async def start_case(client: Client, task_queue: str = TASK_QUEUE, **overrides: Any) -> Handle:
    complaint = make_complaint(**overrides)
    return await client.start_workflow(
        ComplaintWorkflow.run,
        ComplaintWorkflowInput(complaint=complaint),
        id=complaint.workflow_id,
        task_queue=task_queue,
    )


async def status(handle: Handle) -> CaseStatus:
    return await handle.query(ComplaintWorkflow.status)


async def reach(handle: Handle, stage: Stage, attempts: int = 200) -> CaseStatus:
    """Poll until the case stands at `stage` (the workflow moves on right after an update)."""
    current = None
    for _ in range(attempts):
        try:
            current = await status(handle)
        except Exception:  # the very first workflow task may not have run yet
            current = None
        if current is not None and current.stage is stage:
            return current
        await asyncio.sleep(0.05)
    raise AssertionError(f"{handle.id} never reached {stage.value}; it is {current.stage.value if current else '?'}")


async def skip(env: WorkflowEnvironment, **delta: float) -> None:
    await env.sleep(timedelta(**delta))


FINDINGS = Findings(
    submitted_by="alex",
    summary="The November invoice was charged twice",
    root_cause="Payment retry bug in the billing system",
    severity=3,
    financial_loss=Decimal("89.90"),
)  # proposal: refund 89.90 + goodwill 25.00 = 114.90 → team_lead approval


async def to_approval(handle: Handle, findings: Findings = FINDINGS) -> CaseStatus:
    await reach(handle, Stage.INVESTIGATING)
    await handle.execute_update(ComplaintWorkflow.submit_findings, findings)
    return await reach(handle, Stage.AWAITING_APPROVAL)


async def to_offer(handle: Handle) -> CaseStatus:
    await to_approval(handle)
    await handle.execute_update(ComplaintWorkflow.approve, Approval(approver_id="tl-jordan"))
    return await reach(handle, Stage.AWAITING_CUSTOMER)


async def to_follow_up(handle: Handle) -> CaseStatus:
    await to_offer(handle)
    await handle.execute_update(ComplaintWorkflow.respond_to_offer, OfferResponse(answer=OfferAnswer.ACCEPT))
    return await reach(handle, Stage.FOLLOWING_UP)


def mail_kinds(mail_dir: Path, reference: str) -> list[str]:
    """The kinds of message the sink received for one complaint, in the order received."""
    kinds = []
    for path in stored_mail_files(mail_dir):
        message = read_mail(path)
        if message["X-Complaintflow-Reference"] == reference:
            kinds.append(str(message["X-Complaintflow-Kind"]))
    return kinds


async def timeline_kinds(handle: Handle) -> list[str]:
    return [event.kind for event in await handle.query(ComplaintWorkflow.timeline)]


async def accepted_update_names(handle: Handle) -> list[str]:
    """Names of the updates that reached history (refused ones must not)."""
    names = []
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            names.append(event.workflow_execution_update_accepted_event_attributes.accepted_request.input.name)
    return names


PROJECT_ROOT = Path(__file__).resolve().parent.parent


def clean_environment() -> dict[str, str]:
    """This process's environment without any Temporal or Complaintflow setting."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "COMPLAINTS_"))}


async def run_cli(
    env: WorkflowEnvironment, task_queue: str, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`complaints …` as a subprocess against `env`, run in a thread: the server shares this loop."""
    variables = clean_environment()
    variables.update(
        TEMPORAL_ADDRESS=env.client.service_client.config.target_host,
        TEMPORAL_NAMESPACE=env.client.namespace,
        COMPLAINTS_TASK_QUEUE=task_queue,
        COLUMNS="200",
    )
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "starter.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=variables,
        timeout=60,
    )


class CrashAfterPaying:
    """The real payout activity, then a 'crash' before its result reaches Temporal (first try only)."""

    def __init__(self, pay: Callable[[PayoutRequest], Awaitable[PayoutReceipt]]) -> None:
        self.pay = pay
        self.receipts: list[PayoutReceipt] = []

    @activity.defn(name="pay_compensation")
    async def pay_compensation(self, request: PayoutRequest) -> PayoutReceipt:
        receipt = await self.pay(request)
        self.receipts.append(receipt)
        if activity.info().attempt == 1:
            raise RuntimeError("worker died after paying, before reporting")
        return receipt


async def mail_arrives(mail_dir: Path, reference: str, kind: str, count: int = 1) -> list[str]:
    """Poll until `count` messages of `kind` reached the sink (they go out just after a stage change)."""
    kinds: list[str] = []
    for _ in range(100):
        kinds = mail_kinds(mail_dir, reference)
        if kinds.count(kind) >= count:
            return kinds
        await asyncio.sleep(0.05)
    raise AssertionError(f"{count} {kind} message(s) never arrived for {reference}; got {kinds}")


@asynccontextmanager
async def crash_after_paying_worker(
    client: Client, activities: ComplaintActivities, task_queue: str
) -> AsyncIterator[CrashAfterPaying]:
    """A worker whose payout activity really pays, then 'crashes' on its first attempt."""
    crashing = CrashAfterPaying(activities.pay_compensation)
    others = [act for act in activities.all() if getattr(act, "__name__", "") != "pay_compensation"]
    acts = [*others, crashing.pay_compensation]
    async with Worker(client, task_queue=task_queue, workflows=[ComplaintWorkflow], activities=acts):
        yield crashing


def write_rules_file(directory: Path, version: str, timings: Mapping[str, str]) -> Path:
    """config/complaints.toml (absolute `extends`) with a version and timings of the test's own."""
    lines = [
        f"extends = '{PROJECT_ROOT / 'config' / 'complaints.toml'}'",
        f'version = "{version}"',
        "",
        "[timings]",
        *(f'{name} = "{value}"' for name, value in timings.items()),
    ]
    path = directory / f"rules-{version}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def start_worker_process(
    client: Client, task_queue: str, log_path: Path, settings: Mapping[str, str]
) -> subprocess.Popen[bytes]:
    """`python worker.py` as its own process against `client`'s server; stdout+stderr to `log_path`.

    `settings` are `COMPLAINTS_*` variables (data dir, SMTP port, rules file, ...).
    """
    variables = clean_environment()
    variables.update(
        TEMPORAL_ADDRESS=client.service_client.config.target_host,
        TEMPORAL_NAMESPACE=client.namespace,
        COMPLAINTS_TASK_QUEUE=task_queue,
        PYTHONUNBUFFERED="1",
    )
    variables.update(settings)
    with log_path.open("wb") as log:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "worker.py"],
            cwd=PROJECT_ROOT,
            env=variables,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


async def stop_worker_process(worker: subprocess.Popen[bytes], within: float = 15.0) -> int | None:
    """SIGTERM, then its exit status; killed (and None returned) if it does not stop in time."""
    if worker.poll() is not None:
        return worker.returncode
    worker.send_signal(signal.SIGTERM)
    try:
        return await asyncio.to_thread(worker.wait, within)
    except subprocess.TimeoutExpired:
        worker.kill()
        await asyncio.to_thread(worker.wait, within)
        return None


def log_tail(path: Path, lines: int = 40) -> str:
    """The end of a worker's log, for a failing test's report."""
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
