"""Opening a case, once, at receipt: the rules it is judged by, its owner, its clocks."""

from __future__ import annotations

from temporalio import workflow

from workflows.attention import CASE_DATA_ERRORS, Attention
from workflows.clocks import CaseClocks
from workflows.outward import load_case_rules
from workflows.record import CaseRecord

with workflow.unsafe.imports_passed_through():
    from complaints.case import CaseState
    from complaints.incident import IncidentLink
    from complaints.intake import ComplaintInput
    from complaints.rules import CaseRules

# Cases started with their rules (an incident's fan-out) use them instead of loading them; a case
# that an older worker began by loading its rules replays that way.
RULES_FROM_STARTER_PATCH = "rules-pinned-by-starter"


async def open_case(
    case: CaseRecord,
    clocks: CaseClocks,
    attention: Attention,
    complaint: ComplaintInput,
    incident: IncidentLink | None = None,
    pinned: CaseRules | None = None,
) -> None:
    if pinned is not None and workflow.patched(RULES_FROM_STARTER_PATCH):
        rules = pinned
    else:
        rules = await load_case_rules()
    now = workflow.now()
    owner_id = rules.routing[complaint.category].owner
    received_at = complaint.received_at or now
    state = CaseState(
        complaint=complaint,
        rules=rules,
        owner_id=owner_id,
        received_at=received_at,
        last_customer_update_at=now,
        incident=incident,
    )
    case.create(state)
    state.priority = state.priority or clocks.derived_priority()
    case.record("received", f"{complaint.category.value} complaint, priority {state.current_priority.value}")
    case.record("assigned", f"owner {case.owner.name} ({owner_id}); rules {rules.version}")
    try:
        clocks.start()
    except CASE_DATA_ERRORS as error:
        if not attention.applies():
            raise
        # Nothing would set them later: the case goes on without deadlines, and staff are told.
        state.clocks, state.regulatory_deadlines = [], []
        attention.note_error("setting the case's deadlines", error, holds=False)
