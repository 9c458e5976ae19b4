"""An incident on the time-skipping server with the real activities: declare, approve, offer, answer.

Each proactive case is a real ComplaintWorkflow sending real mail to the session's sink; the
customers are staged in the session's SQLite database, as `complaints incident customers` does.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from activities import ComplaintActivities
from activities.incident_store import IncidentStore
from complaints.actions import OfferAnswer, OfferResponse
from complaints.case import Stage
from complaints.incident import IncidentStage, case_id_for
from complaints.incident_records import AffectedStatus
from complaints.incident_state import SchemeApproval
from infra.settings import Settings
from tests.incident_support import IncidentHandle, customers, declaration, declare, list_customers, reach_stage
from tests.support import mail_arrives, mail_kinds, reach, skip
from workflows import ComplaintWorkflow
from workflows.incident import IncidentWorkflow


async def refused(handle: IncidentHandle, approval: SchemeApproval) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await handle.execute_update(IncidentWorkflow.approve, approval)
    return str(failure.value.cause)


@pytest.fixture
def store(activities: ComplaintActivities) -> IncidentStore:
    return IncidentStore(activities.engine)


async def test_declared_approved_and_every_eligible_customer_offered_once(
    client: Client, time_env: WorkflowEnvironment, store: IncidentStore, settings: Settings
) -> None:
    declared = declaration()
    handle = await declare(client, declared)
    listed = (
        customers(6, hours="6") + customers(2, hours="30", prefix="long") + customers(1, hours="0.5", prefix="brief")
    )
    await list_customers(store, handle, declared.id, listed)

    waiting = await reach_stage(handle, IncidentStage.AWAITING_APPROVAL)
    # 6 x 10.00 (short) + 2 x 25.00 (long; no proven loss) = 110.00; the half-hour customer has no band
    assert (waiting.eligible, waiting.affected, waiting.estimated_total) == (8, 9, Decimal("110.00"))

    assert "cannot approve it too (four eyes)" in await refused(handle, SchemeApproval(approver_id="mgr-dana"))
    assert "alex may approve up to 100.00 GBP; 110.00 GBP needs a team_lead" in await refused(
        handle, SchemeApproval(approver_id="alex")
    )
    await handle.execute_update(IncidentWorkflow.approve, SchemeApproval(approver_id="tl-jordan"))

    done = await reach_stage(handle, IncidentStage.OFFERED, offered=8)
    assert done.approved_by == "tl-jordan" and done.approved_total == Decimal("110.00")

    first = case_id_for(declared.id, "cust-0")
    kinds = await mail_arrives(settings.mail_dir, first, "incident_offer")
    assert kinds.count("incident_offer") == 1 and "acknowledgement" not in kinds
    case = client.get_workflow_handle_for(ComplaintWorkflow.run, f"complaint-{first}")
    offered = await reach(case, Stage.AWAITING_CUSTOMER)
    assert offered.proposal is not None and offered.proposal.total == Decimal("10.00")
    assert mail_kinds(settings.mail_dir, case_id_for(declared.id, "brief-0")) == []

    await case.execute_update(ComplaintWorkflow.respond_to_offer, OfferResponse(answer=OfferAnswer.ACCEPT))
    await reach(case, Stage.FOLLOWING_UP)
    row = await store.find(declared.id, "cust-0")
    assert row is not None and row.status is AffectedStatus.PAID
    stats = await store.stats(declared.id)
    assert stats is not None
    assert (stats.paid, stats.reserved) == (Decimal("10.00"), Decimal("100.00"))
    assert stats.remaining == Decimal("5000.00") - Decimal("110.00")
    await skip(time_env, days=60)
