"""The Python client library for complaints: start them, look them up, act on them.

Shared by the `complaints` CLI, the HTTP API and any other intake (CRM bridges), so every
entry point starts complaints the same idempotent way and translates the same failures the
same way. Import from here; the modules are how it is organised, not its interface.
"""

from starter.client.admission import IntakeChecks, RulesUnavailable, rules_for_intake
from starter.client.connection import Unreachable, connect_or_explain, temporal_address
from starter.client.errors import (
    ComplaintError,
    NoAnswer,
    QueryFailed,
    Refused,
    RequestIdReused,
    UnknownComplaint,
    UnknownIncident,
    first_line,
)
from starter.client.lookup import WORKFLOW_TYPE, complaint_id_of, find_complaint, get_complaint, is_closed, ui_link
from starter.client.request_ids import (
    accepted_action,
    action_name,
    canonical,
    sha256_of,
    update_id_for,
    update_id_for_key,
)
from starter.client.starting import (
    MEMO_INPUT_SHA256,
    StartResult,
    canonical_json,
    details_for,
    input_sha256,
    search_attributes_for,
    start_complaint,
    start_complaints,
    summary_for,
)
from starter.client.updates import (
    DEFAULT_ANSWER_WITHIN,
    UPDATE_FOR_ACTION,
    Update,
    query_name,
    query_status,
    query_timeline,
    run_update,
    send_action,
    update_name,
)

__all__ = [
    "DEFAULT_ANSWER_WITHIN",
    "MEMO_INPUT_SHA256",
    "UPDATE_FOR_ACTION",
    "WORKFLOW_TYPE",
    "ComplaintError",
    "IntakeChecks",
    "NoAnswer",
    "QueryFailed",
    "Refused",
    "RequestIdReused",
    "RulesUnavailable",
    "StartResult",
    "UnknownComplaint",
    "UnknownIncident",
    "Unreachable",
    "Update",
    "accepted_action",
    "action_name",
    "canonical",
    "canonical_json",
    "complaint_id_of",
    "connect_or_explain",
    "details_for",
    "find_complaint",
    "first_line",
    "get_complaint",
    "input_sha256",
    "is_closed",
    "query_name",
    "query_status",
    "query_timeline",
    "rules_for_intake",
    "run_update",
    "search_attributes_for",
    "send_action",
    "sha256_of",
    "start_complaint",
    "start_complaints",
    "summary_for",
    "temporal_address",
    "ui_link",
    "update_id_for",
    "update_id_for_key",
    "update_name",
]
