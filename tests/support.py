"""Helpers the workflow tests share: building complaints, driving a case, reading its mail."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any, Final, TypeVar

from temporalio.api.enums.v1 import EventType
from temporalio.api.update.v1 import Request
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from complaints.actions import Approval, Findings, OfferAnswer, OfferResponse
from complaints.case import CaseOutcome, CaseStatus, ComplaintWorkflowInput, Stage
from complaints.intake import ComplaintInput
from starter.dev.mailsink import KIND_HEADER, stored_mail_files
from workflows import ComplaintWorkflow

TASK_QUEUE = "complaints-test"
Handle = WorkflowHandle[ComplaintWorkflow, CaseOutcome]
T = TypeVar("T")

PATIENCE: Final = 90.0
"""Seconds a test waits for the event it asserts on before it fails.

A wait ends the moment its event happens, so this only bounds a broken run; it is generous
because a loaded 2-core machine can take tens of seconds over one workflow task.
"""


async def wait_until(
    probe: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    failure: Callable[[T], str],
    within: float = PATIENCE,
) -> T:
    """Read `probe` until `done` says the awaited event has happened; fail with `failure(last)`.

    The one polling loop of the suite: every test waits for the very event it then asserts on
    (a stage, a timer in the history, a message in the sink), never for a clock.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = await probe()
        if done(value):
            return value
        if loop.time() >= deadline:
            raise AssertionError(f"after {within:.0f} s: {failure(value)}")
        await asyncio.sleep(0.05)


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


async def status_or_none(handle: Handle) -> CaseStatus | None:
    """The status, or None while the case is still being received (its first workflow task has not run)."""
    try:
        return await status(handle)
    except Exception:
        return None


async def reach(handle: Handle, stage: Stage) -> CaseStatus:
    """Poll until the case stands at `stage` (the workflow moves on right after an update).

    A stage is entered before the stage's first message goes out and before its timers start:
    a test that asserts on those waits for them too (`timers_started`, `mail_arrives`).
    """

    found = await wait_until(
        lambda: status_or_none(handle),
        lambda now: now is not None and now.stage is stage,
        lambda now: f"{handle.id} never reached {stage.value}; it is {now.stage.value if now else '?'}",
    )
    assert found is not None
    return found


async def event_summaries(handle: WorkflowHandle[Any, Any], event_type: EventType.ValueType) -> list[str]:
    """The user-metadata summary of each `event_type` event in the history ("" when it has none)."""
    converter = pydantic_data_converter.payload_converter
    found: list[str] = []
    async for event in handle.fetch_history_events():
        if event.event_type == event_type:
            summary = event.user_metadata.summary
            found.append(converter.from_payload(summary, str) if summary.data else "")
    return found


async def fired_timers(handle: WorkflowHandle[Any, Any]) -> dict[str, list[datetime]]:
    """For each timer summary, the instants the workflow asked its fired timers to fire at.

    A timer is relative: the workflow asks for `due - workflow.now()`, and the server counts
    from when it records the command, so a slow workflow task makes the timer fire late by the
    real seconds that task took. The instant the workflow asked for is exact: the start of the
    task that started the timer (its `workflow.now()`) plus the timeout.
    """
    task_started: datetime | None = None
    asked: dict[str, tuple[str, datetime]] = {}
    fired: dict[str, list[datetime]] = {}
    converter = pydantic_data_converter.payload_converter
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            task_started = event.event_time.ToDatetime(tzinfo=UTC)
        elif event.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
            started = event.timer_started_event_attributes
            summary = event.user_metadata.summary
            assert task_started is not None
            asked[started.timer_id] = (
                converter.from_payload(summary, str) if summary.data else "",
                task_started + started.start_to_fire_timeout.ToTimedelta(),
            )
        elif event.event_type == EventType.EVENT_TYPE_TIMER_FIRED:
            summary_text, at = asked[event.timer_fired_event_attributes.timer_id]
            fired.setdefault(summary_text, []).append(at)
    return fired


async def timers_started(handle: WorkflowHandle[Any, Any], summaries: Collection[str]) -> list[str]:
    """Wait until a timer with each of `summaries` has started in the history; all timers' summaries."""

    async def timers() -> list[str]:
        return await event_summaries(handle, EventType.EVENT_TYPE_TIMER_STARTED)

    return await wait_until(
        timers,
        lambda found: set(summaries) <= set(found),
        lambda found: f"{handle.id}: timers {sorted(set(summaries) - set(found))} never started; started: {found}",
    )


async def skip(env: WorkflowEnvironment, **delta: float) -> None:
    await env.sleep(timedelta(**delta))


FINDINGS = Findings(
    submitted_by="alex",
    summary="The November invoice was charged twice",
    root_cause="Payment retry bug in the billing system",
    root_cause_code="billing.duplicate-charge",
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


_REFERENCE_AND_KIND: dict[Path, tuple[str, str]] = {}
"""Each stored message's reference and kind, read once: the sink writes a file once, whole."""


def mail_kinds(mail_dir: Path, reference: str) -> list[str]:
    """The kinds of message the sink received for one complaint, in the order received.

    Only headers are parsed, and each file only once: tests poll this while the worker shares
    their event loop, and the session's sink holds hundreds of messages.
    """
    kinds = []
    for path in stored_mail_files(mail_dir):
        if path not in _REFERENCE_AND_KIND:
            headers = BytesHeaderParser(policy=policy.default).parsebytes(path.read_bytes())
            _REFERENCE_AND_KIND[path] = (str(headers["X-Complaintflow-Reference"]), str(headers[KIND_HEADER]))
        found_reference, kind = _REFERENCE_AND_KIND[path]
        if found_reference == reference:
            kinds.append(kind)
    return kinds


async def timeline_kinds(handle: Handle) -> list[str]:
    return [event.kind for event in await handle.query(ComplaintWorkflow.timeline)]


async def accepted_update_requests(handle: WorkflowHandle[Any, Any]) -> list[Request]:
    """Every update request accepted into the history, in order (refused ones never reach it)."""
    return [
        event.workflow_execution_update_accepted_event_attributes.accepted_request
        async for event in handle.fetch_history_events()
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ]


async def accepted_update_ids(handle: Handle) -> list[str]:
    """The update id of every update accepted into the history, in order."""
    return [request.meta.update_id for request in await accepted_update_requests(handle)]


async def failed_workflow_tasks(handle: WorkflowHandle[Any, Any]) -> list[str]:
    """The failure of every workflow task that failed (such a task is retried for ever): none, normally."""
    failures = []
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            failures.append(event.workflow_task_failed_event_attributes.failure.message)
    return failures


async def accepted_update_names(handle: WorkflowHandle[Any, Any]) -> list[str]:
    """Names of the updates that reached history (refused ones must not)."""
    return [request.input.name for request in await accepted_update_requests(handle)]


PROJECT_ROOT = Path(__file__).resolve().parent.parent


def clean_environment() -> dict[str, str]:
    """This process's environment without any Temporal or Complaintflow setting."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "COMPLAINTS_"))}


async def run_cli(
    env: WorkflowEnvironment,
    task_queue: str,
    *args: str,
    stdin: str | None = None,
    settings: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`complaints …` as a subprocess against `env`, run in a thread: the server shares this loop.
    `settings`: more `COMPLAINTS_*` variables (the data directory the worker uses, …)."""
    variables = clean_environment()
    variables.update(
        TEMPORAL_ADDRESS=env.client.service_client.config.target_host,
        TEMPORAL_NAMESPACE=env.client.namespace,
        COMPLAINTS_TASK_QUEUE=task_queue,
        COLUMNS="200",
    )
    variables.update(settings or {})
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "starter.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=variables,
        timeout=PATIENCE,  # a cold CLI start on a loaded machine, and its round trip
    )


async def mail_arrives(mail_dir: Path, reference: str, kind: str, count: int = 1) -> list[str]:
    """Poll until `count` messages of `kind` reached the sink (they go out just after a stage change)."""

    async def kinds() -> list[str]:
        return mail_kinds(mail_dir, reference)

    return await wait_until(
        kinds,
        lambda found: found.count(kind) >= count,
        lambda found: f"{count} {kind} message(s) never arrived for {reference}; got {found}",
    )


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


async def stop_worker_process(worker: subprocess.Popen[bytes], within: float = 60.0) -> int | None:
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
