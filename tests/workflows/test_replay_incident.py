"""Determinism for incidents: a fresh incident's history and a proactive case's replay on the
current code, and so do the saved ones (`tests/histories/incident-*.json`, `proactive-case-*.json`,
replayed with every other saved history by test_replay.py). To save new ones:

    COMPLAINTS_SAVE_INCIDENT_HISTORY=tests/histories/incident-v1.json \\
    COMPLAINTS_SAVE_PROACTIVE_HISTORY=tests/histories/proactive-case-v2-pinned-rules.json \\
        .venv/bin/python -m pytest tests/workflows/test_replay_incident.py
"""

from __future__ import annotations

import os
from decimal import Decimal

from temporalio.client import Client, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from activities import ComplaintActivities
from activities.incident_store import IncidentStore
from complaints.actions import OfferAnswer, OfferResponse
from complaints.case import CaseOutcome, Stage
from complaints.incident import IncidentStage, case_id_for
from complaints.incident_state import BudgetRaise, IncidentClose, IncidentPause, SchemeAmendment, SchemeApproval
from complaints.scheme import Scheme
from tests.incident_support import customers, declaration, declare, list_customers, reach_stage, scheme
from tests.support import Handle, reach, skip
from tests.workflows.test_replay import replayer, save_history
from workflows import ComplaintWorkflow
from workflows.incident import IncidentWorkflow
from workflows.opening import RULES_FROM_STARTER_PATCH


async def record_an_incident(
    env: WorkflowEnvironment, client: Client, store: IncidentStore
) -> tuple[WorkflowHistory, WorkflowHistory]:
    """Every incident handler once: listed, approved, budget short and raised, paused and resumed,
    amended and approved again, closed; and one proactive case accepted and paid to its close."""
    declared = declaration(scheme={**declaration().scheme.model_dump(mode="json"), "budget": "20.00"})
    handle = await declare(client, declared)
    await list_customers(store, handle, declared.id, customers(3))
    await reach_stage(handle, IncidentStage.AWAITING_APPROVAL)
    await handle.execute_update(IncidentWorkflow.approve, SchemeApproval(approver_id="alex"))
    await reach_stage(handle, IncidentStage.AWAITING_BUDGET, offered=2)
    await handle.execute_update("pause", IncidentPause(by="mgr-dana", reason="checking the list"), result_type=str)
    raise_ = BudgetRaise(approver_id="tl-jordan", budget=Decimal("30.00"), reason="one more customer")
    await handle.execute_update("raise_budget", raise_, result_type=str)
    await handle.execute_update("resume", IncidentPause(by="mgr-dana"), result_type=str)
    await reach_stage(handle, IncidentStage.OFFERED, offered=3)
    richer = SchemeAmendment(
        by="mgr-dana", scheme=Scheme.model_validate(scheme(budget="200.00", version=2)), reason="more listed"
    )
    await handle.execute_update("amend_scheme", richer, result_type=str)
    await list_customers(store, handle, declared.id, customers(2, prefix="late"))
    await reach_stage(handle, IncidentStage.AWAITING_APPROVAL)
    await handle.execute_update(IncidentWorkflow.approve, SchemeApproval(approver_id="tl-jordan"))
    await reach_stage(handle, IncidentStage.OFFERED, offered=5)

    case: Handle = client.get_workflow_handle(
        f"complaint-{case_id_for(declared.id, 'cust-0')}", result_type=CaseOutcome
    )
    await reach(case, Stage.AWAITING_CUSTOMER)
    await case.execute_update(ComplaintWorkflow.respond_to_offer, OfferResponse(answer=OfferAnswer.ACCEPT))
    await reach(case, Stage.FOLLOWING_UP)
    close = IncidentClose(by="mgr-dana", lessons="Stage updates by region", preventive_measures="Canary releases")
    await handle.execute_update(IncidentWorkflow.close, close)
    summary = await handle.result()
    assert summary.stage is IncidentStage.CLOSED and summary.offered == 5
    await skip(env, days=30)  # the case follows up, surveys and closes
    outcome = await case.result()
    assert outcome.paid and outcome.remedy_total == Decimal("10.00")
    return await handle.fetch_history(), await case.fetch_history()


async def test_a_fresh_incident_and_its_proactive_case_replay(
    time_env: WorkflowEnvironment, client: Client, activities: ComplaintActivities
) -> None:
    incident, case = await record_an_incident(time_env, client, IncidentStore(activities.engine))
    # The fan-out pinned the case's rules: the case did not load them (a patch marks the new way).
    scheduled = [
        event.activity_task_scheduled_event_attributes.activity_type.name
        for event in case.events
        if event.HasField("activity_task_scheduled_event_attributes")
    ]
    assert "load_case_rules" not in scheduled and "send_message" in scheduled
    markers = [
        event.marker_recorded_event_attributes
        for event in case.events
        if event.HasField("marker_recorded_event_attributes")
    ]
    assert any(RULES_FROM_STARTER_PATCH.encode() in marker.SerializeToString() for marker in markers)
    for history in (incident, case):
        result = await replayer().replay_workflow(history)
        assert result.replay_failure is None
    if target := os.environ.get("COMPLAINTS_SAVE_INCIDENT_HISTORY"):
        save_history(target, incident)
    if target := os.environ.get("COMPLAINTS_SAVE_PROACTIVE_HISTORY"):
        save_history(target, case)
