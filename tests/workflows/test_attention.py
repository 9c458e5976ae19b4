"""Issue 14: what retrying cannot fix never fails a workflow task for ever: a person is told, once.

Intake refuses such input (tests/complaints/test_intake_property.py), but another system can
start a case with the Temporal client directly, a rules file can change, and a mail server
can refuse a member of staff. Each case here reaches "needs attention", mails the owner and
the team lead once, and shows it in its status; `admin doctor` finds them
(tests/starter/test_doctor.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

import complaints.policy
import workflows.complaint
from complaints.actions import Resumption, Withdrawal
from complaints.case import CaseStatus, Stage
from starter.dev.mailsink import MailSink
from tests.conftest import settings_for
from tests.support import (
    FINDINGS,
    Handle,
    failed_workflow_tasks,
    mail_arrives,
    mail_kinds,
    reach,
    start_case,
    status,
    status_or_none,
    wait_until,
)
from worker import running_worker
from workflows import ComplaintWorkflow

CONFIG = Path(__file__).resolve().parents[2] / "config" / "complaints.toml"
OWNER_AND_LEAD = 2  # billing: Alex Morgan, and team lead Jordan Lee


async def needs_attention(handle: Handle) -> CaseStatus:
    found = await wait_until(
        lambda: status_or_none(handle),
        lambda now: now is not None and now.attention is not None,
        lambda now: f"{handle.id} never needed attention; it is {now.stage.value if now else '?'}",
    )
    assert found is not None
    return found


@pytest_asyncio.fixture
async def withdrawn_afterwards() -> AsyncIterator[list[Handle]]:
    """Cases left open on the time-skipping server would wake on every later test's skipped days:
    each test's cases are withdrawn (and closed) when it ends."""
    handles: list[Handle] = []
    yield handles
    for handle in handles:
        await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal(reason="test over"))
        assert (await handle.result()).outcome == "withdrawn"


def reference(handle: Handle) -> str:
    return handle.id.removeprefix("complaint-")


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"received_at": datetime(9999, 12, 31, 12, tzinfo=UTC)}, "OverflowError"),
        ({"regulatory_profile": "no-such-regulator"}, "no-such-regulator"),
    ],
    ids=["received-in-9999", "unknown-regulatory-profile"],
)
async def test_input_the_clocks_cannot_use_needs_attention_and_the_customer_still_hears_first(
    client: Client, data_dir: Path, overrides: dict[str, Any], reason: str, withdrawn_afterwards: list[Handle]
) -> None:
    handle = await start_case(client, **overrides)  # straight to Temporal: no intake in the way
    withdrawn_afterwards.append(handle)

    now = await needs_attention(handle)
    assert now.attention is not None and not now.attention.holds
    assert now.attention.where == "setting the case's deadlines" and reason in now.attention.reason
    await reach(handle, Stage.INVESTIGATING)  # the case goes on without its deadlines
    kinds = await mail_arrives(data_dir / "mail", reference(handle), "needs_attention", OWNER_AND_LEAD)
    assert kinds.index("acknowledgement") < kinds.index("needs_attention")
    assert await failed_workflow_tasks(handle) == []

    await handle.execute_update(ComplaintWorkflow.submit_findings, FINDINGS)
    await reach(handle, Stage.AWAITING_APPROVAL)
    assert mail_kinds(data_dir / "mail", reference(handle)).count("needs_attention") == OWNER_AND_LEAD  # once

    answer = await handle.execute_update(ComplaintWorkflow.resume, Resumption(by="tl-jordan", note="checked"))
    assert "goes on" in answer
    assert (await status(handle)).attention is None
    with pytest.raises(WorkflowUpdateFailedError) as second:
        await handle.execute_update(ComplaintWorkflow.resume, Resumption(by="alex"))
    assert "already answered (resumed by tl-jordan" in str(second.value.cause)


async def test_a_stage_that_fails_on_its_data_is_held_for_staff_then_tried_again(
    client: Client, data_dir: Path, monkeypatch: pytest.MonkeyPatch, withdrawn_afterwards: list[Handle]
) -> None:
    """The policy raises on this case's data (as a bad rules file or a bug would) until it is fixed."""
    broken = {"yes": True}
    real = complaints.policy.propose_remedy

    def propose_or_fail(*args: Any, **kwargs: Any) -> Any:
        if broken["yes"]:
            raise ValueError("goodwill table has no row for severity 3")
        return real(*args, **kwargs)

    # Workflow modules are imported once and shared by every run (infra/sandbox.py): patch the name it calls.
    monkeypatch.setattr(workflows.complaint, "propose_remedy", propose_or_fail)
    handle = await start_case(client)
    withdrawn_afterwards.append(handle)
    await reach(handle, Stage.INVESTIGATING)
    await handle.execute_update(ComplaintWorkflow.submit_findings, FINDINGS)

    now = await needs_attention(handle)
    assert now.stage is Stage.PROPOSING and now.proposal is None
    assert now.attention is not None and now.attention.holds
    assert now.attention.where == "the ProposingRemedy stage"
    assert now.attention.reason == "ValueError: goodwill table has no row for severity 3"
    assert now.waiting_for == "staff to resolve a problem (the ProposingRemedy stage) and resume the case"
    await mail_arrives(data_dir / "mail", reference(handle), "needs_attention", OWNER_AND_LEAD)
    assert await failed_workflow_tasks(handle) == []

    broken["yes"] = False  # the fix is deployed
    await handle.execute_update(ComplaintWorkflow.resume, Resumption(by="alex", note="goodwill table fixed"))
    after = await reach(handle, Stage.AWAITING_APPROVAL)
    assert after.attention is None and after.proposal is not None
    assert mail_kinds(data_dir / "mail", reference(handle)).count("needs_attention") == OWNER_AND_LEAD
    assert await failed_workflow_tasks(handle) == []


# -- a member of staff the mail server refuses --------------------------------------------------------------

REFUSING_QUEUE = "complaints-attention-refused-department"


@pytest_asyncio.fixture
async def refused_department(
    time_env: WorkflowEnvironment, tmp_path: Path, session_mail_sink: MailSink
) -> AsyncIterator[Client]:
    """A worker whose rules give Billing an address the mail server refuses (a typo in the rules)."""
    rules = tmp_path / "rules.toml"
    text = CONFIG.read_text()
    assert 'department_email = "billing@complaintflow.example"' in text
    rules.write_text(
        text.replace(
            'department_email = "billing@complaintflow.example"',
            'department_email = "nosuchuser.billing@complaintflow.example"',
        )
    )
    settings = settings_for(tmp_path, session_mail_sink, task_queue=REFUSING_QUEUE, rules_file=rules)
    async with running_worker(time_env.client, settings):
        yield time_env.client


async def test_a_staff_message_refused_for_good_needs_attention_and_alerts_once(
    refused_department: Client, data_dir: Path, withdrawn_afterwards: list[Handle]
) -> None:
    handle = await start_case(refused_department, task_queue=REFUSING_QUEUE)
    withdrawn_afterwards.append(handle)

    now = await needs_attention(handle)
    assert now.attention is not None and not now.attention.holds
    assert now.attention.where == "investigation_request to nosuchuser.billing@complaintflow.example was not sent"
    assert "refused" in now.attention.reason
    kinds = await mail_arrives(data_dir / "mail", reference(handle), "needs_attention", OWNER_AND_LEAD)
    assert "investigation_request" not in kinds  # refused: the sink kept nothing for it
    assert now.stage is Stage.INVESTIGATING  # nothing is held up: findings can still come
    await handle.execute_update(ComplaintWorkflow.submit_findings, FINDINGS)
    await reach(handle, Stage.AWAITING_APPROVAL)
    assert mail_kinds(data_dir / "mail", reference(handle)).count("needs_attention") == OWNER_AND_LEAD
    assert await failed_workflow_tasks(handle) == []


async def test_a_receipt_stamped_ahead_of_the_servers_clock_is_acknowledged_and_needs_nobody(
    client: Client, withdrawn_afterwards: list[Handle]
) -> None:
    """Clocks disagree: a receipt a little in the future starts the SLA clocks now (it used to hold the case)."""
    handle = await start_case(client, received_at=datetime.now(UTC) + timedelta(seconds=90))
    withdrawn_afterwards.append(handle)
    now = await reach(handle, Stage.INVESTIGATING)
    assert now.attention is None
    assert [clock.kind for clock in now.clocks if clock.stopped_at is not None] == ["acknowledgement"]
    assert await failed_workflow_tasks(handle) == []
