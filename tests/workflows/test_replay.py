"""Determinism: histories of real runs replay on the current workflow code.

`tests/histories/*.json` are histories saved from earlier versions of the code. A change
to the workflow that would break a running case fails here until it is guarded with
`workflow.patched`. To save a new one after a deliberate change of behaviour:

    COMPLAINTS_SAVE_HISTORY=tests/histories/<name>.json .venv/bin/python -m pytest tests/workflows/test_replay.py
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from complaints.actions import (
    Amendment,
    Approval,
    CustomerMessage,
    Feedback,
    InformationRequest,
    Note,
    OfferAnswer,
    OfferResponse,
    PriorityRaise,
    Reassignment,
    Rejection,
    Resumption,
    Withdrawal,
)
from complaints.case import Stage
from complaints.intake import Priority
from infra.sandbox import workflow_runner
from tests.support import FINDINGS, reach, skip, start_case, to_approval, wait_until
from workflows import ComplaintWorkflow
from workflows.incident import IncidentWorkflow

HISTORIES = Path(__file__).resolve().parents[1] / "histories"


def read_history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


def save_history(target: str, history: WorkflowHistory) -> None:
    Path(target).write_text(history.to_json())


def replayer() -> Replayer:
    return Replayer(
        workflows=[ComplaintWorkflow, IncidentWorkflow],
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(),
    )


async def record_a_rich_case(env: WorkflowEnvironment, client: Client) -> WorkflowHistory:
    """Most handlers and stages once: reassign, note, a question and the customer's reply, a
    priority raise, SLA warnings and breaches, reject, amend, counter, reopen, survey."""
    handle = await start_case(client)
    await reach(handle, Stage.INVESTIGATING)
    question = InformationRequest(by="alex", questions="Which card was charged twice?")
    await handle.execute_update("request_information", question, result_type=str)
    await skip(env, days=4)  # SLA warnings and breaches (two working days at least), resolution paused
    await handle.execute_update("add_customer_message", CustomerMessage(text="The one ending 1881."), result_type=str)
    raise_ = PriorityRaise(priority=Priority.URGENT, by="tl-jordan", reason="vulnerable customer")
    await handle.execute_update(ComplaintWorkflow.raise_priority, raise_)
    await handle.execute_update("reassign", Reassignment(to_staff_id="sam", brief="Please take over"), result_type=str)
    await handle.execute_update(ComplaintWorkflow.add_note, Note(author="sam", text="Called the customer"))
    await to_approval(handle)
    await handle.execute_update(ComplaintWorkflow.reject, Rejection(approver_id="tl-jordan", reason="Check the loss"))
    await reach(handle, Stage.INVESTIGATING)
    await handle.execute_update(ComplaintWorkflow.submit_findings, FINDINGS)
    await reach(handle, Stage.AWAITING_APPROVAL)
    amendment = Amendment(approver_id="tl-jordan", amount=Decimal("120"), reason="Round up")
    await handle.execute_update(ComplaintWorkflow.amend, amendment)
    await reach(handle, Stage.AWAITING_CUSTOMER)
    counter = OfferResponse(answer=OfferAnswer.COUNTER, counter_amount=Decimal("150"), reason="Bank fees")
    await handle.execute_update(ComplaintWorkflow.respond_to_offer, counter)
    await reach(handle, Stage.AWAITING_APPROVAL)
    await handle.execute_update(ComplaintWorkflow.approve, Approval(approver_id="mgr-dana"))
    await reach(handle, Stage.FOLLOWING_UP)
    await skip(env, days=14, minutes=1)
    await reach(handle, Stage.AWAITING_FEEDBACK)
    await handle.execute_update(ComplaintWorkflow.submit_feedback, Feedback(csat=4))
    outcome = await handle.result()
    assert outcome.remedy_total == Decimal("150")
    return await handle.fetch_history()


async def test_a_fresh_rich_history_replays(time_env: WorkflowEnvironment, client: Client) -> None:
    history = await record_a_rich_case(time_env, client)
    result = await replayer().replay_workflow(history)
    assert result.replay_failure is None
    if target := os.environ.get("COMPLAINTS_SAVE_HISTORY"):
        save_history(target, history)


@pytest.mark.parametrize("path", sorted(HISTORIES.glob("*.json")), ids=lambda path: path.stem)
async def test_saved_history_replays_on_current_code(path: Path) -> None:
    result = await replayer().replay_workflow(read_history(path))
    assert result.replay_failure is None


async def record_a_case_that_needed_attention(client: Client) -> WorkflowHistory:
    """Received in 9999 (its deadlines cannot be set: the patched needs-attention path), staff
    alerted and resuming it, then withdrawn."""
    handle = await start_case(client, received_at=datetime(9999, 12, 31, 12, tzinfo=UTC))
    await reach(handle, Stage.INVESTIGATING)
    await wait_until(
        lambda: handle.query(ComplaintWorkflow.status),
        lambda now: now.attention is not None,
        lambda now: f"never needed attention: {now.stage}",
    )
    await handle.execute_update(ComplaintWorkflow.resume, Resumption(by="alex", note="received_at checked"))
    await handle.execute_update(ComplaintWorkflow.submit_findings, FINDINGS)
    await reach(handle, Stage.AWAITING_APPROVAL)
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal(reason="sorted out by phone"))
    outcome = await handle.result()
    assert outcome.outcome == "withdrawn"
    return await handle.fetch_history()


async def test_a_fresh_history_of_a_case_that_needed_attention_replays(client: Client) -> None:
    history = await record_a_case_that_needed_attention(client)
    assert "needs-attention" in patch_markers(history)
    result = await replayer().replay_workflow(history)
    assert result.replay_failure is None
    if target := os.environ.get("COMPLAINTS_SAVE_ATTENTION_HISTORY"):
        save_history(target, history)


def patch_markers(history: WorkflowHistory) -> str:
    """The raw marker details of the history: the patch ids it recorded are in there."""
    details = [
        payload.data.decode("utf-8", "replace")
        for event in history.events
        if event.HasField("marker_recorded_event_attributes")
        for payload in event.marker_recorded_event_attributes.details["patch-data"].payloads
    ]
    return " ".join(details)


def test_there_are_saved_histories() -> None:
    assert len(list(HISTORIES.glob("*.json"))) >= 1
