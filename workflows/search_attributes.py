"""Custom search attributes (DESIGN.md): what the case upserts and the Web UI and admin queue filter on."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

COMPLAINT_STAGE = SearchAttributeKey.for_keyword("ComplaintStage")
COMPLAINT_PRIORITY = SearchAttributeKey.for_keyword("ComplaintPriority")
COMPLAINT_CATEGORY = SearchAttributeKey.for_keyword("ComplaintCategory")
CUSTOMER_ID = SearchAttributeKey.for_keyword("CustomerId")
ASSIGNED_TO = SearchAttributeKey.for_keyword("AssignedTo")
AWAITING_APPROVAL_LEVEL = SearchAttributeKey.for_keyword("AwaitingApprovalLevel")
COMPENSATION_AMOUNT = SearchAttributeKey.for_float("CompensationAmount")
SLA_BREACHED = SearchAttributeKey.for_bool("SlaBreached")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("NextDeadline")
# Set once a case first needs a person (workflows/attention.py); absent on every other case.
NEEDS_ATTENTION = SearchAttributeKey.for_bool("ComplaintNeedsAttention")
# The incident (workflows/incident.py) and each case linked to it: set when they start.
INCIDENT_ID = SearchAttributeKey.for_keyword("IncidentId")

ALL = (
    COMPLAINT_STAGE,
    COMPLAINT_PRIORITY,
    COMPLAINT_CATEGORY,
    CUSTOMER_ID,
    ASSIGNED_TO,
    AWAITING_APPROVAL_LEVEL,
    COMPENSATION_AMOUNT,
    SLA_BREACHED,
    NEXT_DEADLINE,
    NEEDS_ATTENTION,
    INCIDENT_ID,
)
