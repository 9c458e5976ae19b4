"""The failures callers of the client library are expected to handle, each with a clear message.

The CLI turns them into exit codes and the HTTP API into status codes (`starter.api.errors`).
"""

from __future__ import annotations

from complaints.intake import workflow_id_for


class ComplaintError(Exception):
    """Base of the failures callers are expected to handle (each has a clear message)."""


class UnknownComplaint(ComplaintError, LookupError):
    """No complaint workflow with this id exists in the namespace."""

    def __init__(self, complaint_id: str) -> None:
        super().__init__(f"unknown complaint {complaint_id!r} (no workflow {workflow_id_for(complaint_id)!r})")
        self.complaint_id = complaint_id


class UnknownIncident(ComplaintError, LookupError):
    """No incident workflow with this id exists in the namespace (or no row in the app database)."""

    def __init__(self, incident_id: str) -> None:
        super().__init__(f"unknown incident {incident_id!r} (no workflow 'incident-{incident_id}')")
        self.incident_id = incident_id


class Refused(ComplaintError):
    """The workflow refused an action; `reason` is the validator's message, verbatim."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NoAnswer(ComplaintError):
    """The complaint exists but nothing answered in time (usually: no worker is running)."""


class RequestIdReused(ComplaintError):
    """A request id (`--request-id`) already named a different request on this complaint; nothing was sent."""


class QueryFailed(ComplaintError):
    """The workflow could not answer a query (e.g. the worker failed to replay it)."""


def first_line(text: str) -> str:
    """The first non-empty line of an error: SDK and pydantic messages run on for many lines."""
    return text.strip().splitlines()[0] if text.strip() else text
