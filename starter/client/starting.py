"""Opening complaints: one workflow per complaint id, started idempotently with its UI metadata.

Starting the same complaint twice never makes two: the existing workflow is found and
reported, with whether it was started with the same input (a digest kept in its memo).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from temporalio.client import Client, WorkflowExecutionDescription, WorkflowExecutionStatus, WorkflowHandle
from temporalio.common import (
    Priority,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from complaints import contracts
from complaints.case import ComplaintWorkflowInput, Stage
from complaints.intake import ComplaintInput, workflow_id_for
from infra.settings import Settings
from starter.client.admission import IntakeChecks
from starter.client.errors import Refused, UnknownIncident
from workflows import ComplaintWorkflow
from workflows.search_attributes import COMPLAINT_CATEGORY, COMPLAINT_PRIORITY, COMPLAINT_STAGE, CUSTOMER_ID

if TYPE_CHECKING:  # SQLAlchemy is read only when a caller matches complaints to incidents
    from complaints.incident_match import IncidentMatch
    from starter.client.incident_matching import OpenIncidents

MEMO_INPUT_SHA256: Final = "input_sha256"
_START_CONCURRENCY: Final = 16


@dataclasses.dataclass(frozen=True)
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
    joined: str | None = None
    """A complaint naming an incident joined it: offered, refused, own_case or existing (JoinOutcome)."""
    reason: str = ""
    incident_id: str | None = None
    """The incident it joined: the one it named, or the one it was matched to by its rules."""

    @property
    def outcome(self) -> str:
        if self.joined is not None:
            return self.joined
        return "started" if self.started else "existing"


def canonical_json(complaint: ComplaintInput) -> str:
    """Key-sorted, whitespace-free JSON of the validated input: equal input, equal text."""
    return json.dumps(complaint.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def input_sha256(complaint: ComplaintInput) -> str:
    """Stored in the memo so a later start with the same id but other content can be spotted."""
    return hashlib.sha256(canonical_json(complaint).encode()).hexdigest()


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
    client: Client,
    complaint: ComplaintInput,
    task_queue: str,
    *,
    rpc_timeout: timedelta | None = None,
    checks: IntakeChecks | None = None,
    incidents: OpenIncidents | None = None,
) -> StartResult:
    """Start one complaint, or find it if it already exists; never fails because it exists.

    First the complaint is checked against the rules and the clock (`checks`; None: from
    `Settings()`, as the worker reads them): `InvalidInput` names each refused field, and
    nothing starts. `rpc_timeout` bounds each call to the server (None: the SDK's default).
    The SDK retries a start with the same request id, so a transient failure never makes a
    second start. With `incidents`, a complaint naming no incident that fits an open one by
    its rules joins it (see `_join_matched`); None: no matching.
    """
    (admitted,) = (checks or IntakeChecks.from_settings(Settings())).admit([complaint])
    return await _start(client, complaint, admitted, task_queue, rpc_timeout, incidents)


async def _start(
    client: Client,
    complaint: ComplaintInput,
    admitted: ComplaintInput,
    task_queue: str,
    rpc_timeout: timedelta | None,
    incidents: OpenIncidents | None = None,
) -> StartResult:
    """Start `admitted`, the complaint as its workflow gets it; the digest is of what was sent,
    so sending the same complaint again is recognised as the same."""
    if admitted.incident_id is not None:
        return await _join_incident(client, admitted)
    matched = incidents.match(admitted) if incidents is not None else None
    if matched is not None:
        joined = await _join_matched(client, admitted, matched)
        if joined is not None:
            return joined
    workflow_id = workflow_id_for(complaint.id)
    digest = input_sha256(complaint)
    try:
        handle = await client.start_workflow(
            ComplaintWorkflow.run,
            ComplaintWorkflowInput(complaint=admitted),
            id=workflow_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=search_attributes_for(complaint),
            static_summary=summary_for(complaint),
            static_details=details_for(complaint),
            memo={MEMO_INPUT_SHA256: digest},
            # First contact first: until acknowledged, the case's work goes ahead of later stages.
            priority=Priority(priority_key=contracts.FIRST_CONTACT_PRIORITY),
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
    client: Client,
    complaints: list[ComplaintInput],
    task_queue: str,
    *,
    rpc_timeout: timedelta | None = None,
    checks: IntakeChecks | None = None,
    incidents: OpenIncidents | None = None,
) -> list[StartResult]:
    """Start many complaints (a few at a time); results are in input order.

    All are checked first (see `start_complaint`): one refused and none starts.
    """
    admitted = (checks or IntakeChecks.from_settings(Settings())).admit(complaints)
    limit = asyncio.Semaphore(_START_CONCURRENCY)

    async def one(complaint: ComplaintInput, as_started: ComplaintInput) -> StartResult:
        async with limit:
            return await _start(client, complaint, as_started, task_queue, rpc_timeout, incidents)

    return list(await asyncio.gather(*(one(c, a) for c, a in zip(complaints, admitted, strict=True))))


async def _join_incident(client: Client, complaint: ComplaintInput) -> StartResult:
    """One customer and one incident make one case: the incident finds theirs, offers, or refuses
    (naming the rule), and the complaint is then handled on its own case."""
    from starter.client.incidents import join  # SQLAlchemy and the incident workflow, only when needed

    assert complaint.incident_id is not None
    joined = await join(client, complaint.incident_id, complaint)
    return StartResult(
        complaint_id=joined.case_id,
        workflow_id=workflow_id_for(joined.case_id),
        run_id="",
        started=joined.outcome.value != "existing",
        joined=joined.outcome.value,
        reason=joined.reason,
        incident_id=complaint.incident_id,
    )


async def _join_matched(client: Client, complaint: ComplaintInput, matched: IncidentMatch) -> StartResult | None:
    """Join the incident the complaint was matched to; None if it closed meanwhile (the complaint
    then starts on its own: it was never addressed to the incident, so it is not refused)."""
    try:
        joined = await _join_incident(client, complaint.model_copy(update={"incident_id": matched.incident_id}))
    except (Refused, UnknownIncident):
        return None
    reason = f"{matched.reason}; {joined.reason}" if joined.reason else matched.reason
    return dataclasses.replace(joined, reason=reason)


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
