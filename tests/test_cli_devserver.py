"""The client library and the CLI against a real dev server (`temporal server start-dev`).

A stand-in `ComplaintWorkflow` (same type name, update and query names) answers here, so
these tests pin what the client and CLI do — idempotent starts, metadata, refusal and
closed-case translation, exit codes — independently of the real workflow's business rules.
User metadata (static summary/details) needs the dev server: the time-skipping one lacks it.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio import workflow
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from complaints.actions import Approval, Note, Withdrawal
from complaints.case import ComplaintWorkflowInput, TimelineEvent
from complaints.intake import ComplaintInput
from complaints.search_attributes import ALL, COMPLAINT_CATEGORY, COMPLAINT_PRIORITY, COMPLAINT_STAGE, CUSTOMER_ID
from starter.client import (
    MEMO_INPUT_SHA256,
    Refused,
    UnknownComplaint,
    get_complaint,
    input_sha256,
    query_timeline,
    send_action,
    start_complaints,
)

pytestmark = pytest.mark.devserver

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TASK_QUEUE = f"cli-devserver-{uuid.uuid4().hex[:8]}"
OWNER_REFUSAL = "alex owns this complaint and cannot approve its remedy"


@workflow.defn(name="ComplaintWorkflow")
class StandInComplaintWorkflow:
    """Just enough of the contract: validated updates returning `str`, a query, closing."""

    def __init__(self) -> None:
        self._events: list[TimelineEvent] = []
        self._closed = False

    @workflow.run
    async def run(self, data: ComplaintWorkflowInput) -> str:
        self._record("received", data.complaint.description)
        await workflow.wait_condition(lambda: self._closed)
        return "withdrawn"

    def _record(self, kind: str, detail: str, actor: str = "system") -> None:
        self._events.append(TimelineEvent(at=workflow.now(), kind=kind, detail=detail, actor=actor))

    @workflow.update(name="approve")
    def approve(self, approval: Approval) -> str:
        self._record("approved", approval.comment, approval.approver_id)
        return f"Approved by {approval.approver_id}."

    @approve.validator
    def _check_approval(self, approval: Approval) -> None:
        if approval.approver_id == "alex":
            raise ApplicationError(OWNER_REFUSAL)

    @workflow.update(name="add_note")
    def add_note(self, note: Note) -> str:
        self._record("note", note.text, note.author)
        return "Noted."

    @workflow.update(name="withdraw")
    def withdraw(self, withdrawal: Withdrawal) -> str:
        self._closed = True
        return "Withdrawn."

    @workflow.query(name="timeline")
    def timeline(self) -> list[TimelineEvent]:
        return self._events


@pytest_asyncio.fixture(scope="module")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=ALL,
        dev_server_log_level="error",
    )
    async with Worker(
        env.client,
        task_queue=TASK_QUEUE,
        workflows=[StandInComplaintWorkflow],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        yield env
    await env.shutdown()


@pytest.fixture
def client(dev_env: WorkflowEnvironment) -> Client:
    return dev_env.client


def complaint(**overrides: Any) -> ComplaintInput:
    fields: dict[str, Any] = {
        "id": f"T-{uuid.uuid4().hex[:10]}",
        "customer": {"id": "cust-42", "name": "Ada Lovelace", "email": "ada@example.com"},
        "category": "billing",
        "priority": "high",
        "description": "I was charged twice for my November invoice.",
        "claimed_amount": "89.90",
    }
    fields.update(overrides)
    return ComplaintInput.model_validate(fields)


async def test_starting_twice_finds_the_existing_complaint(client: Client) -> None:
    c = complaint()
    (first,) = await start_complaints(client, [c], TASK_QUEUE)
    (again,) = await start_complaints(client, [c], TASK_QUEUE)
    (changed,) = await start_complaints(client, [c.model_copy(update={"description": "Other words"})], TASK_QUEUE)

    assert (first.started, again.started, changed.started) == (True, False, False)
    assert first.workflow_id == f"complaint-{c.id}"
    assert again.run_id == first.run_id == changed.run_id
    assert again.same_input is True
    assert changed.same_input is False


async def test_start_sets_search_attributes_summary_details_and_memo(client: Client) -> None:
    c = complaint()
    await start_complaints(client, [c], TASK_QUEUE)
    description = await client.get_workflow_handle(f"complaint-{c.id}").describe()

    attributes = description.typed_search_attributes
    assert attributes.get(COMPLAINT_STAGE) == "Received"
    assert attributes.get(COMPLAINT_PRIORITY) == "high"
    assert attributes.get(COMPLAINT_CATEGORY) == "billing"
    assert attributes.get(CUSTOMER_ID) == "cust-42"
    assert await description.static_summary() == f"Complaint {c.id} · Ada Lovelace · billing · high"
    assert "ada@example.com" in (await description.static_details() or "")
    assert (await description.memo())[MEMO_INPUT_SHA256] == input_sha256(c)


async def test_many_complaints_start_in_input_order(client: Client) -> None:
    batch = [complaint() for _ in range(5)]
    results = await start_complaints(client, batch, TASK_QUEUE)
    assert [r.complaint_id for r in results] == [c.id for c in batch]
    assert all(r.started for r in results)


async def test_refusal_carries_the_validators_reason_verbatim(client: Client) -> None:
    c = complaint()
    await start_complaints(client, [c], TASK_QUEUE)
    with pytest.raises(Refused) as refused:
        await send_action(client, c.id, Approval(approver_id="alex"))
    assert refused.value.reason == OWNER_REFUSAL
    assert await send_action(client, f"complaint-{c.id}", Approval(approver_id="tl-jordan")) == "Approved by tl-jordan."
    kinds = [event.kind for event in await query_timeline(client, c.id)]
    assert kinds == ["received", "approved"]


async def test_a_closed_complaint_refuses_actions_and_is_not_restarted(client: Client) -> None:
    c = complaint()
    await start_complaints(client, [c], TASK_QUEUE)
    assert await send_action(client, c.id, Withdrawal()) == "Withdrawn."
    await client.get_workflow_handle(f"complaint-{c.id}").result()

    with pytest.raises(Refused) as refused:
        await send_action(client, c.id, Note(author="alex", text="too late"))
    assert refused.value.reason == f"complaint {c.id} is already closed"

    (again,) = await start_complaints(client, [c], TASK_QUEUE)
    assert (again.started, again.closed, again.same_input) == (False, True, True)


async def test_unknown_complaint(client: Client) -> None:
    with pytest.raises(UnknownComplaint):
        await get_complaint(client, "does-not-exist")
    with pytest.raises(UnknownComplaint):
        await send_action(client, "complaint-does-not-exist", Note(author="alex", text="hello"))


async def cli(dev_env: WorkflowEnvironment, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `complaints …` in a thread: the worker serving it shares this event loop."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    env.update(
        TEMPORAL_ADDRESS=dev_env.client.service_client.config.target_host,
        TEMPORAL_NAMESPACE=dev_env.client.namespace,
        COMPLAINTS_TASK_QUEUE=TASK_QUEUE,
        COLUMNS="200",
    )
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "starter.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=60,
    )


async def test_cli_start_and_admin_exit_codes(dev_env: WorkflowEnvironment) -> None:
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

    refused = await cli(dev_env, "admin", "approve", c.id, "--by", "alex")
    assert refused.returncode == 1
    assert refused.stderr.strip() == f"refused: {OWNER_REFUSAL}"
    assert refused.stdout == ""

    for attempt in range(5):
        noted = await cli(dev_env, "admin", "note", c.id, f"call {attempt}", "--by", "alex")
        assert noted.returncode == 0, f"attempt {attempt}: {noted.returncode} {noted.stderr}"
        assert noted.stdout.strip() == "Noted."

    timeline = await cli(dev_env, "admin", "timeline", c.id, "--json")
    assert timeline.returncode == 0, timeline.stderr
    assert [event["kind"] for event in json.loads(timeline.stdout)] == ["received"] + ["note"] * 5

    unknown = await cli(dev_env, "admin", "note", "C-nope", "hello", "--by", "alex")
    assert unknown.returncode == 3
    assert "unknown complaint 'C-nope'" in unknown.stderr

    assert (await cli(dev_env, "admin", "withdraw", c.id)).returncode == 0
    closed = await cli(dev_env, "admin", "approve", c.id, "--by", "tl-jordan")
    assert closed.returncode == 1
    assert closed.stderr.strip() == f"refused: complaint {c.id} is already closed"
