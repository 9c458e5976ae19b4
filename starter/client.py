"""The Python client library for complaints: start them, look them up, act on them.

Shared by the `complaints` CLI and any other intake (HTTP, CRM bridges) so every entry point
starts complaints the same idempotent way and translates the same failures the same way.
The workflow is called by name (`ComplaintWorkflow`), so callers never import workflow code.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from pydantic import BaseModel
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
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
from complaints.case import CaseStatus, ComplaintWorkflowInput, Stage, TimelineEvent
from complaints.intake import WORKFLOW_ID_PREFIX, ComplaintInput, workflow_id_for
from workflows.search_attributes import (
    COMPLAINT_CATEGORY,
    COMPLAINT_PRIORITY,
    COMPLAINT_STAGE,
    CUSTOMER_ID,
)

WORKFLOW_TYPE: Final = "ComplaintWorkflow"
MEMO_INPUT_SHA256: Final = "input_sha256"
DEFAULT_ANSWER_WITHIN: Final = timedelta(seconds=30)
_START_CONCURRENCY: Final = 16

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


class ComplaintError(Exception):
    """Base of the failures callers are expected to handle (each has a clear message)."""


class UnknownComplaint(ComplaintError, LookupError):
    """No complaint workflow with this id exists in the namespace."""

    def __init__(self, complaint_id: str) -> None:
        super().__init__(f"unknown complaint {complaint_id!r} (no workflow {workflow_id_for(complaint_id)!r})")
        self.complaint_id = complaint_id


class Refused(ComplaintError):
    """The workflow refused an action; `reason` is the validator's message, verbatim."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NoAnswer(ComplaintError):
    """The complaint exists but nothing answered in time (usually: no worker is running)."""


class QueryFailed(ComplaintError):
    """The workflow could not answer a query (e.g. the worker failed to replay it)."""


@dataclass(frozen=True)
class StartResult:
    """What happened to one complaint submitted to `start_complaints`."""

    complaint_id: str
    workflow_id: str
    run_id: str
    started: bool
    """True when this call started the workflow; False when it already existed."""
    closed: bool = False
    """The existing workflow has already finished (its id is never reused)."""
    same_input: bool | None = None
    """For an existing complaint: was it started with identical input? None if unknown."""

    @property
    def outcome(self) -> str:
        return "started" if self.started else "existing"


def complaint_id_of(reference: str) -> str:
    """`C-1` or `complaint-C-1` -> `C-1`."""
    return reference.strip().removeprefix(WORKFLOW_ID_PREFIX)


def canonical_json(complaint: ComplaintInput) -> str:
    """Key-sorted, whitespace-free JSON of the validated input: equal input, equal text."""
    return json.dumps(complaint.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def input_sha256(complaint: ComplaintInput) -> str:
    """Stored in the memo so a later start with the same id but other content can be spotted."""
    return hashlib.sha256(canonical_json(complaint).encode()).hexdigest()


def ui_link(web_ui_url: str, namespace: str, workflow_id: str) -> str:
    """Where an engineer sees this complaint in the Temporal Web UI."""
    return f"{web_ui_url.rstrip('/')}/namespaces/{namespace}/workflows/{workflow_id}"


def summary_for(complaint: ComplaintInput) -> str:
    """One line for the Web UI's workflow list: `Complaint C-1 · Ada Lovelace · billing · high`."""
    priority = complaint.priority or "priority by rules"
    return f"Complaint {complaint.id} · {complaint.customer.name} · {complaint.category} · {priority}"


def details_for(complaint: ComplaintInput) -> str:
    """A few markdown lines shown on the workflow's page in the Web UI."""
    lines = [
        f"**Customer:** {complaint.customer.name} <{complaint.customer.email}> (id `{complaint.customer.id}`)",
        f"**Category / priority:** {complaint.category} / {complaint.priority or 'set by the rules'} "
        f"· via {complaint.channel}",
    ]
    if complaint.claimed_amount is not None:
        lines.append(f"**Claimed:** {complaint.claimed_amount:.2f}")
    if complaint.desired_outcome:
        lines.append(f"**Wants:** {complaint.desired_outcome}")
    description = complaint.description if len(complaint.description) <= 300 else complaint.description[:297] + "…"
    lines.append(f"\n> {description}")
    return "\n\n".join(lines)


def search_attributes_for(complaint: ComplaintInput) -> TypedSearchAttributes:
    """The filters engineers and the admin script use, set from the very first moment."""
    pairs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(COMPLAINT_STAGE, Stage.RECEIVED.value),
        SearchAttributePair(COMPLAINT_CATEGORY, complaint.category.value),
        SearchAttributePair(CUSTOMER_ID, complaint.customer.id),
    ]
    if complaint.priority is not None:  # else the workflow sets the derived one at once
        pairs.append(SearchAttributePair(COMPLAINT_PRIORITY, complaint.priority.value))
    return TypedSearchAttributes(pairs)


async def start_complaint(
    client: Client, complaint: ComplaintInput, task_queue: str, *, rpc_timeout: timedelta | None = None
) -> StartResult:
    """Start one complaint, or find it if it already exists; never fails because it exists.

    `rpc_timeout` bounds each call to the server (None: the SDK's default). The SDK retries a
    start with the same request id, so a transient failure never makes a second start.
    """
    workflow_id = workflow_id_for(complaint.id)
    digest = input_sha256(complaint)
    try:
        handle = await client.start_workflow(
            WORKFLOW_TYPE,
            ComplaintWorkflowInput(complaint=complaint),
            id=workflow_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=search_attributes_for(complaint),
            static_summary=summary_for(complaint),
            static_details=details_for(complaint),
            memo={MEMO_INPUT_SHA256: digest},
            rpc_timeout=rpc_timeout,
        )
    except WorkflowAlreadyStartedError as exc:
        # A closed run holds the id: REJECT_DUPLICATE means it stays the one complaint.
        description = await client.get_workflow_handle(workflow_id).describe(rpc_timeout=rpc_timeout)
        return StartResult(
            complaint_id=complaint.id,
            workflow_id=workflow_id,
            run_id=exc.run_id or description.run_id,
            started=False,
            closed=True,
            same_input=await _same_input(description, digest),
        )
    run_id = handle.result_run_id or ""
    if _was_started(handle):
        return StartResult(complaint_id=complaint.id, workflow_id=workflow_id, run_id=run_id, started=True)
    description = await handle.describe(rpc_timeout=rpc_timeout)
    return StartResult(
        complaint_id=complaint.id,
        workflow_id=workflow_id,
        run_id=run_id,
        started=False,
        closed=description.status not in (None, WorkflowExecutionStatus.RUNNING),
        same_input=await _same_input(description, digest),
    )


async def start_complaints(
    client: Client, complaints: list[ComplaintInput], task_queue: str, *, rpc_timeout: timedelta | None = None
) -> list[StartResult]:
    """Start many complaints (a few at a time); results are in input order."""
    limit = asyncio.Semaphore(_START_CONCURRENCY)

    async def one(complaint: ComplaintInput) -> StartResult:
        async with limit:
            return await start_complaint(client, complaint, task_queue, rpc_timeout=rpc_timeout)

    return list(await asyncio.gather(*(one(c) for c in complaints)))


def _was_started(handle: WorkflowHandle[Any, Any]) -> bool:
    """The server says in `StartWorkflowExecutionResponse.started` whether this call started it.

    With USE_EXISTING the run id alone cannot tell; the SDK keeps the response on the
    handle but exposes it only privately, hence the defensive `getattr`.
    """
    response = getattr(handle, "_start_workflow_response", None)
    started = getattr(response, "started", None)
    return True if started is None else bool(started)


async def _same_input(description: WorkflowExecutionDescription, digest: str) -> bool | None:
    memo = await description.memo()
    stored = memo.get(MEMO_INPUT_SHA256)
    return None if stored is None else stored == digest


async def find_complaint(
    client: Client, reference: str, *, rpc_timeout: timedelta | None = None
) -> tuple[WorkflowHandle[Any, Any], WorkflowExecutionDescription]:
    """Handle (following the latest run) and description of an existing complaint."""
    handle = client.get_workflow_handle(workflow_id_for(complaint_id_of(reference)))
    try:
        description = await handle.describe(rpc_timeout=rpc_timeout)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise UnknownComplaint(complaint_id_of(reference)) from exc
        raise
    return handle, description


async def get_complaint(client: Client, reference: str) -> WorkflowHandle[Any, Any]:
    """Handle of an existing complaint (`C-1` or `complaint-C-1`); `UnknownComplaint` if none."""
    handle, _ = await find_complaint(client, reference)
    return handle


def _is_closed(description: WorkflowExecutionDescription) -> bool:
    return description.status is not None and description.status != WorkflowExecutionStatus.RUNNING


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
    if _is_closed(description):
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
            if _is_closed(description):
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
