"""Acting on a running complaint (workflow updates) and asking where it stands (queries).

Every failure is translated once, here, into the errors callers handle: the validator's
reason verbatim (`Refused`), an unknown id, or no answer in time (no worker running).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, Final

from pydantic import BaseModel
from temporalio.client import (
    Client,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from complaints.actions import (
    Amendment,
    Approval,
    ContactCorrection,
    CustomerMessage,
    Feedback,
    Findings,
    InformationRequest,
    Note,
    OfferResponse,
    PayoutResolution,
    Reassignment,
    Rejection,
    Reopen,
    Withdrawal,
)
from complaints.case import CaseStatus, TimelineEvent
from starter.client.errors import NoAnswer, QueryFailed, Refused
from starter.client.lookup import complaint_id_of, find_complaint, get_complaint, is_closed

DEFAULT_ANSWER_WITHIN: Final = timedelta(seconds=30)

#: Which workflow update carries which action: one model per action, one update per model.
UPDATE_FOR_ACTION: Final[dict[type[BaseModel], str]] = {
    Findings: "submit_findings",
    Approval: "approve",
    Rejection: "reject",
    Amendment: "amend",
    OfferResponse: "respond_to_offer",
    Reopen: "reopen",
    Feedback: "submit_feedback",
    Reassignment: "reassign",
    Note: "add_note",
    Withdrawal: "withdraw",
    PayoutResolution: "resolve_payout",
    CustomerMessage: "add_customer_message",
    InformationRequest: "request_information",
    ContactCorrection: "correct_contact",
}


async def send_action(
    client: Client,
    reference: str,
    action: BaseModel,
    *,
    answer_within: timedelta = DEFAULT_ANSWER_WITHIN,
    update_id: str | None = None,
) -> str:
    """Run the update matching `action` and return the workflow's confirmation.

    Raises `Refused` (validator reason verbatim, or "already closed"), `UnknownComplaint`,
    or `NoAnswer` when nothing accepted the update within `answer_within` (no worker running).
    A caller that may retry after `NoAnswer` passes the same `update_id` each time: the
    server then runs the update at most once and a retry gets the first call's answer.
    """
    update = UPDATE_FOR_ACTION.get(type(action))
    if update is None:
        raise TypeError(f"no workflow update takes a {type(action).__name__}")
    return await run_update(client, reference, update, action, answer_within=answer_within, update_id=update_id)


async def run_update(
    client: Client,
    reference: str,
    update: str,
    arg: BaseModel,
    *,
    answer_within: timedelta = DEFAULT_ANSWER_WITHIN,
    update_id: str | None = None,
) -> str:
    """Run a named update on a complaint, translating failures into this module's errors.

    `answer_within` bounds the whole call and each RPC in it; `update_id` (see `send_action`)
    makes a retried call the same update rather than a second one.
    """
    complaint_id = complaint_id_of(reference)
    try:
        handle, description = await find_complaint(client, complaint_id, rpc_timeout=answer_within)
    except RPCError as exc:
        if exc.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
            raise NoAnswer(
                f"complaint {complaint_id}: the server did not answer within {answer_within.total_seconds():.0f}s"
            ) from exc
        raise
    if is_closed(description):
        raise Refused(f"complaint {complaint_id} is already closed")
    try:
        return await asyncio.wait_for(
            handle.execute_update(update, arg, id=update_id, result_type=str, rpc_timeout=answer_within),
            timeout=answer_within.total_seconds(),
        )
    except WorkflowUpdateFailedError as exc:
        raise Refused(_reason(exc.cause)) from exc
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError) as exc:
        seconds = answer_within.total_seconds()
        raise NoAnswer(
            f"complaint {complaint_id}: no answer to {update!r} within {seconds:.0f}s; is a worker running?"
        ) from exc
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            # Closed (or gone) between describe and update.
            _, description = await find_complaint(client, complaint_id)
            if is_closed(description):
                raise Refused(f"complaint {complaint_id} is already closed") from exc
        raise


def _reason(cause: BaseException) -> str:
    if isinstance(cause, ApplicationError):
        return cause.message
    return str(cause)


async def query_status(
    client: Client, reference: str, *, answer_within: timedelta = DEFAULT_ANSWER_WITHIN
) -> CaseStatus:
    """The `status` query: stage, who it waits for and until when, money, feedback."""
    status: CaseStatus = await _query(client, reference, "status", CaseStatus, answer_within)
    return status


async def query_timeline(
    client: Client, reference: str, *, answer_within: timedelta = DEFAULT_ANSWER_WITHIN
) -> list[TimelineEvent]:
    """The `timeline` query: the audit trail, oldest first."""
    events: list[TimelineEvent] = await _query(client, reference, "timeline", list[TimelineEvent], answer_within)
    return events


async def _query(client: Client, reference: str, name: str, result_type: Any, answer_within: timedelta) -> Any:
    complaint_id = complaint_id_of(reference)
    handle = await get_complaint(client, complaint_id)
    try:
        return await asyncio.wait_for(
            handle.query(name, result_type=result_type, rpc_timeout=answer_within),
            timeout=answer_within.total_seconds(),
        )
    except TimeoutError as exc:
        raise NoAnswer(f"complaint {complaint_id}: no answer to query {name!r}; is a worker running?") from exc
    except (WorkflowQueryFailedError, WorkflowQueryRejectedError) as exc:
        raise QueryFailed(f"complaint {complaint_id}: query {name!r} failed: {exc}") from exc
    except RPCError as exc:
        if exc.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
            raise NoAnswer(f"complaint {complaint_id}: no answer to query {name!r}; is a worker running?") from exc
        raise
