"""The client library and the CLI against a real dev server, the real workflow and real activities.

The session's `temporal server start-dev` (conftest `dev_env`) runs the production
`ComplaintWorkflow` on a worker wired by `worker.build_worker`, with the real activities on
SQLite in a temporary directory and the session's SMTP sink: these tests pin what the client
and CLI do — idempotent starts, metadata, refusal and closed-case translation, exit codes —
with the workflow's real answers. User metadata (static summary/details) needs the dev
server: the time-skipping one lacks it.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.converter import decode_typed_search_attributes
from temporalio.testing import WorkflowEnvironment

from activities import ComplaintActivities
from complaints.actions import Approval, Findings, Note, Withdrawal
from complaints.case import CaseOutcome, Stage
from complaints.intake import ComplaintInput
from starter.client import (
    MEMO_INPUT_SHA256,
    Refused,
    UnknownComplaint,
    get_complaint,
    input_sha256,
    query_status,
    query_timeline,
    send_action,
    start_complaints,
)
from starter.dev.mailsink import MailSink
from tests.conftest import settings_for
from tests.support import PATIENCE, Handle, accepted_update_names, make_complaint, reach, run_cli, wait_until
from worker import running_worker
from workflows import ComplaintWorkflow
from workflows.search_attributes import (
    ASSIGNED_TO,
    COMPLAINT_CATEGORY,
    COMPLAINT_PRIORITY,
    COMPLAINT_STAGE,
    CUSTOMER_ID,
)

pytestmark = pytest.mark.devserver

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TASK_QUEUE = f"cli-devserver-{uuid.uuid4().hex[:8]}"
NOT_YET_APPROVABLE = "cannot approve: the complaint is Investigating, not AwaitingApproval"
OVER_ALEX_LIMIT = "cannot approve: 114.90 GBP is over the approval limit of Alex Morgan (agent, up to 100.00 GBP)"
FINDINGS = Findings(
    submitted_by="alex",
    summary="The November invoice was charged twice",
    root_cause="Payment retry bug in the billing system",
    root_cause_code="billing.duplicate-charge",
    severity=3,
    financial_loss=Decimal("89.90"),
)  # proposal: refund 89.90 + goodwill 25.00 = 114.90 GBP → team_lead approval


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def real_worker(
    dev_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory, session_mail_sink: MailSink
) -> AsyncIterator[ComplaintActivities]:
    """The production worker wiring on the dev server, with the real activities on SQLite."""
    settings = settings_for(tmp_path_factory.mktemp("cli-devserver"), session_mail_sink, task_queue=TASK_QUEUE)
    async with running_worker(dev_env.client, settings) as activities:
        yield activities


@pytest.fixture
def client(dev_env: WorkflowEnvironment, real_worker: ComplaintActivities) -> Client:
    return dev_env.client


def complaint(**overrides: Any) -> ComplaintInput:
    return make_complaint(**overrides)


def handle_of(client: Client, c: ComplaintInput) -> Handle:
    return client.get_workflow_handle_for(ComplaintWorkflow.run, c.workflow_id)


async def started_and_investigating(client: Client, c: ComplaintInput) -> Handle:
    """Start through the client library; wait for the first workflow task to open the case."""
    (result,) = await start_complaints(client, [c], TASK_QUEUE)
    assert result.started
    handle = handle_of(client, c)
    await reach(handle, Stage.INVESTIGATING)
    return handle


async def test_starting_twice_finds_the_existing_complaint(client: Client) -> None:
    c = complaint()
    (first,) = await start_complaints(client, [c], TASK_QUEUE)
    (again,) = await start_complaints(client, [c], TASK_QUEUE)
    (changed,) = await start_complaints(client, [c.model_copy(update={"description": "Other words"})], TASK_QUEUE)

    assert (first.started, again.started, changed.started) == (True, False, False)
    assert first.workflow_id == f"complaint-{c.id}"
    assert again.run_id == first.run_id == changed.run_id
    assert (again.closed, changed.closed) == (False, False)
    assert again.same_input is True
    assert changed.same_input is False
    # The real workflow kept the first input: the changed description never reached it.
    status = await reach(handle_of(client, c), Stage.INVESTIGATING)
    assert status.complaint_id == c.id
    timeline = await query_timeline(client, c.id)
    assert [event.kind for event in timeline[:2]] == ["received", "assigned"]


async def test_start_sets_search_attributes_summary_details_and_memo(client: Client) -> None:
    c = complaint()
    handle = await started_and_investigating(client, c)

    # Set by the starter from the very first moment: they are on the start event itself.
    started_event = None
    async for event in handle.fetch_history_events():
        started_event = event
        break
    assert started_event is not None
    assert started_event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
    at_start = decode_typed_search_attributes(
        started_event.workflow_execution_started_event_attributes.search_attributes
    )
    assert at_start.get(COMPLAINT_STAGE) == "Received"
    assert at_start.get(COMPLAINT_PRIORITY) == "high"
    assert at_start.get(COMPLAINT_CATEGORY) == "billing"
    assert at_start.get(CUSTOMER_ID) == c.customer.id

    # Then kept in step by the workflow itself.
    description = await handle.describe()
    attributes = description.typed_search_attributes
    assert attributes.get(COMPLAINT_STAGE) == "Investigating"
    assert attributes.get(ASSIGNED_TO) == "alex"
    assert attributes.get(COMPLAINT_PRIORITY) == "high"
    assert attributes.get(COMPLAINT_CATEGORY) == "billing"
    assert attributes.get(CUSTOMER_ID) == c.customer.id
    assert await description.static_summary() == f"Complaint {c.id} · Ada Lovelace · billing · high"
    assert "ada@example.com" in (await description.static_details() or "")
    assert (await description.memo())[MEMO_INPUT_SHA256] == input_sha256(c)


async def test_many_complaints_start_in_input_order(client: Client) -> None:
    batch = [complaint() for _ in range(5)]
    results = await start_complaints(client, batch, TASK_QUEUE)
    assert [r.complaint_id for r in results] == [c.id for c in batch]
    assert [r.workflow_id for r in results] == [f"complaint-{c.id}" for c in batch]
    assert all(r.started for r in results)
    for c in batch:  # each workflow got its own complaint
        assert (await reach(handle_of(client, c), Stage.INVESTIGATING)).complaint_id == c.id


async def test_refusal_carries_the_validators_reason_verbatim(client: Client) -> None:
    c = complaint()
    handle = await started_and_investigating(client, c)

    with pytest.raises(Refused) as too_early:
        await send_action(client, c.id, Approval(approver_id="tl-jordan"))
    assert too_early.value.reason == NOT_YET_APPROVABLE

    confirmation = await send_action(client, c.id, FINDINGS)
    assert confirmation == f"Findings recorded for {c.id}; a remedy will be proposed."
    status = await reach(handle, Stage.AWAITING_APPROVAL)
    assert status.proposal is not None
    assert status.proposal.total == Decimal("114.90")

    with pytest.raises(Refused) as over_limit:
        await send_action(client, c.id, Approval(approver_id="alex"))
    assert over_limit.value.reason == OVER_ALEX_LIMIT

    approved = await send_action(client, f"complaint-{c.id}", Approval(approver_id="tl-jordan"))
    assert approved == f"Approved 114.90 GBP for {c.id}."
    assert (await reach(handle, Stage.AWAITING_CUSTOMER)).approved_by == "tl-jordan"

    timeline = await query_timeline(client, c.id)
    assert [(e.kind, e.actor) for e in timeline if e.kind in ("findings", "approved")] == [
        ("findings", "alex"),
        ("approved", "tl-jordan"),
    ]
    # Refused updates never reach history.
    assert await accepted_update_names(handle) == ["submit_findings", "approve"]


async def test_a_closed_complaint_refuses_actions_and_is_not_restarted(client: Client) -> None:
    c = complaint()
    handle = await started_and_investigating(client, c)
    withdrawn = await send_action(client, c.id, Withdrawal(reason="Sorted it out with my bank"))
    assert withdrawn == f"{c.id} is withdrawn; the customer will get a confirmation."

    outcome = await asyncio.wait_for(handle.result(), timeout=PATIENCE)
    assert isinstance(outcome, CaseOutcome)
    assert (outcome.complaint_id, outcome.outcome, outcome.paid) == (c.id, "withdrawn", False)
    assert (await query_status(client, c.id)).stage is Stage.WITHDRAWN

    with pytest.raises(Refused) as refused:
        await send_action(client, c.id, Note(author="alex", text="too late"))
    assert refused.value.reason == f"complaint {c.id} is already closed"

    (again,) = await start_complaints(client, [c], TASK_QUEUE)
    assert (again.started, again.closed, again.same_input) == (False, True, True)
    assert again.run_id == (await handle.describe()).run_id


async def test_unknown_complaint(client: Client) -> None:
    with pytest.raises(UnknownComplaint):
        await get_complaint(client, "does-not-exist")
    with pytest.raises(UnknownComplaint):
        await send_action(client, "complaint-does-not-exist", Note(author="alex", text="hello"))


async def cli(dev_env: WorkflowEnvironment, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return await run_cli(dev_env, TASK_QUEUE, *args, stdin=stdin)


async def test_cli_start_and_admin_exit_codes(dev_env: WorkflowEnvironment, client: Client) -> None:
    c = complaint()
    text = c.model_dump_json()

    first = await cli(dev_env, "start", "-", "--json", stdin=text)
    assert first.returncode == 0, first.stderr
    (row,) = json.loads(first.stdout)
    assert (row["outcome"], row["workflow_id"]) == ("started", f"complaint-{c.id}")
    assert row["url"].endswith(f"/namespaces/{dev_env.client.namespace}/workflows/complaint-{c.id}")

    again = await cli(dev_env, "start", "-", stdin=text)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"existing complaint-{c.id}")
    assert again.stderr == ""  # same input: no warning

    handle = handle_of(client, c)
    await reach(handle, Stage.INVESTIGATING)  # the first workflow task may need a moment

    refused = await cli(dev_env, "admin", "approve", c.id, "--by", "alex")
    assert refused.returncode == 1
    assert refused.stderr.strip() == f"refused: {NOT_YET_APPROVABLE}"
    assert refused.stdout == ""

    for attempt in range(5):
        noted = await cli(dev_env, "admin", "note", c.id, f"call {attempt}", "--by", "alex")
        assert noted.returncode == 0, f"attempt {attempt}: {noted.returncode} {noted.stderr}"
        assert noted.stdout.strip() == "Note added."

    timeline = await cli(dev_env, "admin", "timeline", c.id, "--json")
    assert timeline.returncode == 0, timeline.stderr
    events = json.loads(timeline.stdout)
    assert events[0]["kind"] == "received"
    notes = [(event["actor"], event["detail"]) for event in events if event["kind"] == "note"]
    assert notes == [("alex", f"call {attempt}") for attempt in range(5)]

    shown = await cli(dev_env, "admin", "show", c.id, "--json")
    assert shown.returncode == 0, shown.stderr
    assert (json.loads(shown.stdout)["stage"], json.loads(shown.stdout)["owner_id"]) == ("Investigating", "alex")

    unknown = await cli(dev_env, "admin", "note", "C-nope", "hello", "--by", "alex")
    assert unknown.returncode == 3
    assert "unknown complaint 'C-nope'" in unknown.stderr

    withdrawn = await cli(dev_env, "admin", "withdraw", c.id)
    assert withdrawn.returncode == 0, withdrawn.stderr
    assert withdrawn.stdout.strip() == f"{c.id} is withdrawn; the customer will get a confirmation."
    assert (await asyncio.wait_for(handle.result(), timeout=PATIENCE)).outcome == "withdrawn"

    closed = await cli(dev_env, "admin", "approve", c.id, "--by", "tl-jordan")
    assert closed.returncode == 1
    assert closed.stderr.strip() == f"refused: complaint {c.id} is already closed"


async def test_cli_raises_the_priority_and_refuses_a_lower_one(dev_env: WorkflowEnvironment, client: Client) -> None:
    c = complaint()  # opened as high
    handle = await started_and_investigating(client, c)
    deadlines_before = {clock.kind: clock.deadline for clock in (await query_status(client, c.id)).clocks}

    raised = await cli(
        dev_env, "admin", "priority", c.id, "urgent", "--by", "tl-jordan", "--reason", "vulnerable customer"
    )
    assert raised.returncode == 0, raised.stderr
    assert raised.stdout.strip() == f"{c.id} is now urgent; its deadlines are recomputed."

    status = await query_status(client, c.id)
    assert status.priority == "urgent"
    running = [clock for clock in status.clocks if clock.stopped_at is None and clock.deadline is not None]
    assert running, "an investigating case has running SLA clocks"
    for clock in running:  # urgent's targets are all shorter than high's
        before = deadlines_before[clock.kind]
        assert clock.deadline is not None and before is not None and clock.deadline < before, clock.kind
    timeline = await query_timeline(client, c.id)
    assert [(e.detail, e.actor) for e in timeline if e.kind == "priority raised"] == [
        ("high → urgent: vulnerable customer", "tl-jordan")
    ]

    async def priority_attribute() -> str | None:
        return (await handle.describe()).typed_search_attributes.get(COMPLAINT_PRIORITY)

    await wait_until(priority_attribute, lambda value: value == "urgent", lambda value: f"ComplaintPriority {value}")

    lower = await cli(dev_env, "admin", "priority", c.id, "high", "--by", "tl-jordan", "--reason", "calmer now")
    assert lower.returncode == 1
    assert lower.stderr.strip() == "refused: priority: the complaint is already urgent; a raise must be higher"
    assert lower.stdout == ""

    stranger = await cli(dev_env, "admin", "priority", c.id, "urgent", "--by", "nobody", "--reason", "why not")
    assert stranger.returncode == 1
    assert stranger.stderr.strip() == "refused: by: unknown staff id 'nobody'"

    no_such_level = await cli(dev_env, "admin", "priority", c.id, "sky-high", "--by", "tl-jordan", "--reason", "x")
    assert no_such_level.returncode == 2
    assert "sky-high" in no_such_level.stderr
    no_reason = await cli(dev_env, "admin", "priority", c.id, "urgent", "--by", "tl-jordan")
    assert no_reason.returncode == 2
    assert "--reason" in no_reason.stderr

    # Only the accepted raise reached history; the refused ones left no trace.
    assert await accepted_update_names(handle) == ["raise_priority"]
