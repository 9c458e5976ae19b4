"""Acting on a running complaint (workflow updates) and asking where it stands (queries).

Updates and queries are named by the workflow's own typed definitions (`ComplaintWorkflow.approve`),
never by strings, so a renamed or retyped handler breaks here at type-check time, and
`tests/starter/test_update_contracts.py` checks that every update has its action model and every model its update.
Every failure is translated once, here, into the errors callers handle: the validator's
reason verbatim (`Refused`), an unknown id, or no answer in time (no worker running).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Final, TypeVar

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
from temporalio.workflow import UpdateMethodMultiParam, _QueryDefinition, _UpdateDefinition

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
    PriorityRaise,
    Reassignment,
    Rejection,
    Reopen,
    Resumption,
    Withdrawal,
)
from complaints.case import CaseStatus, TimelineEvent
from starter.client.errors import NoAnswer, QueryFailed, Refused
from starter.client.lookup import complaint_id_of, find_complaint, get_complaint, is_closed
from workflows import ComplaintWorkflow

DEFAULT_ANSWER_WITHIN: Final = timedelta(seconds=30)

R = TypeVar("R")

#: An update of `ComplaintWorkflow` that takes one action model and answers with a confirmation
#: (the SDK types an `async def` handler's answer as its coroutine; the server sends the string).
Update = UpdateMethodMultiParam[..., str | Awaitable[str]]

#: Which workflow update carries which action: one model per action, one update per model.
UPDATE_FOR_ACTION: Final[Mapping[type[BaseModel], Update]] = {
    Findings: ComplaintWorkflow.submit_findings,
    Approval: ComplaintWorkflow.approve,
    Rejection: ComplaintWorkflow.reject,
    Amendment: ComplaintWorkflow.amend,
    OfferResponse: ComplaintWorkflow.respond_to_offer,
    Reopen: ComplaintWorkflow.reopen,
    Feedback: ComplaintWorkflow.submit_feedback,
    Reassignment: ComplaintWorkflow.reassign,
    Note: ComplaintWorkflow.add_note,
    Withdrawal: ComplaintWorkflow.withdraw,
    PayoutResolution: ComplaintWorkflow.resolve_payout,
    CustomerMessage: ComplaintWorkflow.add_customer_message,
    InformationRequest: ComplaintWorkflow.request_information,
    ContactCorrection: ComplaintWorkflow.correct_contact,
    PriorityRaise: ComplaintWorkflow.raise_priority,
    Resumption: ComplaintWorkflow.resume,
}


def update_name(update: Update) -> str:
    """The name the server knows an update by (the method's, unless the workflow renames it)."""
    name, _ = _UpdateDefinition.get_name_and_result_type(update)
    return name


def query_name(query: Callable[..., object]) -> str:
    """The name the server knows a query by."""
    definition = _QueryDefinition.from_fn(query)
    if definition is None or definition.name is None:
        raise TypeError(f"{query!r} is not a workflow query")
    return definition.name


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
    update: Update,
    arg: BaseModel,
    *,
    answer_within: timedelta = DEFAULT_ANSWER_WITHIN,
    update_id: str | None = None,
) -> str:
    """Run an update of `ComplaintWorkflow` on a complaint, translating failures into this module's errors.

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
        confirmation = await asyncio.wait_for(
            handle.execute_update(update, arg, id=update_id, rpc_timeout=answer_within),
            timeout=answer_within.total_seconds(),
        )
    except WorkflowUpdateFailedError as exc:
        raise Refused(_reason(exc.cause)) from exc
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError) as exc:
        seconds = answer_within.total_seconds()
        name = update_name(update)
        raise NoAnswer(
            f"complaint {complaint_id}: no answer to {name!r} within {seconds:.0f}s; is a worker running?"
        ) from exc
    except RPCError as exc:
        if exc.status == RPCStatusCode.FAILED_PRECONDITION:
            # The server refuses updates while the case's last workflow task failed or timed out
            # (a worker too busy to finish one in time); nothing was accepted, so a retry is safe.
            raise NoAnswer(
                f"complaint {complaint_id}: not ready for {update_name(update)!r} right now ({exc.message}); try again"
            ) from exc
        if exc.status == RPCStatusCode.NOT_FOUND:
            # Closed (or gone) between describe and update.
            _, description = await find_complaint(client, complaint_id)
            if is_closed(description):
                raise Refused(f"complaint {complaint_id} is already closed") from exc
        raise
    assert isinstance(confirmation, str), "the SDK decodes an update's answer into the handler's return type"
    return confirmation


def _reason(cause: BaseException) -> str:
    if isinstance(cause, ApplicationError):
        return cause.message
    return str(cause)


async def query_status(
    client: Client, reference: str, *, answer_within: timedelta = DEFAULT_ANSWER_WITHIN
) -> CaseStatus:
    """The `status` query: stage, who it waits for and until when, money, feedback."""
    return await _query(client, reference, ComplaintWorkflow.status, answer_within)


async def query_timeline(
    client: Client, reference: str, *, answer_within: timedelta = DEFAULT_ANSWER_WITHIN
) -> list[TimelineEvent]:
    """The `timeline` query: the audit trail, oldest first."""
    return await _query(client, reference, ComplaintWorkflow.timeline, answer_within)


async def _query(
    client: Client, reference: str, query: Callable[[ComplaintWorkflow], R], answer_within: timedelta
) -> R:
    complaint_id = complaint_id_of(reference)
    name = query_name(query)
    handle = await get_complaint(client, complaint_id)
    try:
        return await asyncio.wait_for(
            handle.query(query, rpc_timeout=answer_within),
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
