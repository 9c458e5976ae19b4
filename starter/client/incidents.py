"""Incidents from the client side: declare one, list its customers, dry-run its scheme, act on it.

Shared by `complaints incident …` and the HTTP API's `/incidents` routes. The affected
customers are staged straight into the app database (in pages), never sent through Temporal;
the incident is then told how many were added, and assesses them there.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, Final

from pydantic import BaseModel
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
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

from activities.db import make_engine
from activities.incident_figures import IncidentListing, IncidentStats
from activities.incident_store import IncidentStore, StagingResult
from activities.migrate import upgrade_to_head
from complaints.affected import AffectedList
from complaints.incident import IncidentDeclaration, IncidentSummary, incident_workflow_id
from complaints.incident_records import JoinResult
from complaints.incident_state import (
    BudgetRaise,
    CustomersListed,
    IncidentClose,
    IncidentPause,
    SchemeAmendment,
    SchemeApproval,
)
from complaints.intake import ComplaintInput, InvalidInput
from complaints.rules import CaseRules
from complaints.scheme import SchemeEstimate, assess, estimate
from starter.client.errors import ComplaintError, NoAnswer, Refused, UnknownIncident
from workflows.incident import STILL_DECLARING, IncidentComplaint, IncidentWorkflow, IncidentWorkflowInput
from workflows.search_attributes import INCIDENT_ID

ANSWER_WITHIN: Final = timedelta(seconds=30)
STAGE_PAGE: Final = 500


class Declared(BaseModel):
    incident_id: str
    workflow_id: str
    started: bool  # False: it was declared before (the same id is the same incident)


class Listing(BaseModel):
    """What one upload of affected customers did: staged, already listed, bad rows, repeats."""

    added: int
    already_listed: int
    problems: list[str]
    repeats: list[str]


def check_declaration(declaration: IncidentDeclaration, rules: CaseRules) -> None:
    """What pydantic cannot know: the declarer must be on the staff."""
    if rules.staff_member(declaration.declared_by) is None:
        raise InvalidInput(f"declared_by: {declaration.declared_by!r} is not a member of staff")


def dry_run(declaration: IncidentDeclaration, affected: AffectedList) -> SchemeEstimate:
    """Eligibility and the cost per band, computed here: nothing is stored, nothing is sent."""
    facts = declaration.facts
    return estimate(
        (assess(entry.customer.impact, declaration.scheme, facts) for entry in affected.customers), declaration.scheme
    )


async def declare(client: Client, declaration: IncidentDeclaration, task_queue: str) -> Declared:
    """Start `incident-<id>`, or find it: declaring the same id again is the same incident."""
    workflow_id = declaration.workflow_id
    try:
        handle = await client.start_workflow(
            IncidentWorkflow.run,
            IncidentWorkflowInput(declaration=declaration),
            id=workflow_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=TypedSearchAttributes([SearchAttributePair(INCIDENT_ID, declaration.id)]),
            static_summary=f"Incident: {declaration.title}",
            static_details=declaration.description,
        )
    except WorkflowAlreadyStartedError:  # a closed incident keeps its id
        return Declared(incident_id=declaration.id, workflow_id=workflow_id, started=False)
    response = getattr(handle, "_start_workflow_response", None)
    started = getattr(response, "started", True)
    return Declared(incident_id=declaration.id, workflow_id=workflow_id, started=bool(started))


async def stage_customers(database_url: str, incident_id: str, affected: AffectedList) -> Listing:
    """Stage the good rows in the app database, a page at a time; the same customer is one row."""
    engine = make_engine(database_url)
    try:
        await upgrade_to_head(engine)
        store = IncidentStore(engine)
        added, already = 0, 0
        for start in range(0, len(affected.customers), STAGE_PAGE):
            result: StagingResult = await store.stage(incident_id, affected.customers[start : start + STAGE_PAGE])
            added, already = added + result.added, already + len(result.already_listed)
    finally:
        await engine.dispose()
    return Listing(
        added=added,
        already_listed=already,
        problems=[str(problem) for problem in affected.problems],
        repeats=[str(repeat) for repeat in affected.repeats],
    )


async def list_customers(
    client: Client, database_url: str, incident_id: str, affected: AffectedList, by: str
) -> Listing:
    """Stage the customers, then have the incident assess them (it refuses if it is closed)."""
    await _handle(client, incident_id)  # an unknown incident stages nothing
    listing = await stage_customers(database_url, incident_id, affected)
    await act(client, incident_id, CustomersListed(by=by, added=listing.added))
    return listing


_UPDATES: Final[dict[type[BaseModel], Any]] = {
    SchemeApproval: IncidentWorkflow.approve,
    BudgetRaise: IncidentWorkflow.raise_budget,
    SchemeAmendment: IncidentWorkflow.amend_scheme,
    CustomersListed: IncidentWorkflow.customers_listed,
    IncidentClose: IncidentWorkflow.close,
}


async def act(
    client: Client, incident_id: str, action: BaseModel, *, resume: bool = False, update_id: str | None = None
) -> str:
    """Run the incident update that takes `action` (IncidentPause: pause, or resume with `resume`)."""
    update = (
        (IncidentWorkflow.resume if resume else IncidentWorkflow.pause)
        if isinstance(action, IncidentPause)
        else _UPDATES[type(action)]
    )
    answer: str = await _update(client, incident_id, update, action, update_id)
    return answer


async def join(client: Client, incident_id: str, complaint: ComplaintInput) -> JoinResult:
    """A customer's own complaint about the incident: their existing case, an offer, or a refusal."""
    answer: JoinResult = await _update(
        client, incident_id, IncidentWorkflow.join, IncidentComplaint(complaint=complaint), None
    )
    return answer


async def summary(client: Client, incident_id: str) -> IncidentSummary:
    found: IncidentSummary = await _query(client, incident_id, IncidentWorkflow.summary)
    return found


async def _query(client: Client, incident_id: str, query: Any) -> Any:
    handle = await _handle(client, incident_id)
    try:
        return await asyncio.wait_for(handle.query(query), ANSWER_WITHIN.total_seconds())
    except TimeoutError as exc:
        raise NoAnswer(f"incident {incident_id}: no answer; is a worker running?") from exc
    except WorkflowQueryFailedError as exc:
        raise ComplaintError(f"incident {incident_id}: {exc}") from exc


async def figures(database_url: str, incident_id: str) -> IncidentStats | None:
    engine = make_engine(database_url)
    try:
        return await IncidentStore(engine).figures.stats(incident_id)
    finally:
        await engine.dispose()


async def listing(database_url: str) -> list[IncidentListing]:
    engine = make_engine(database_url)
    try:
        await upgrade_to_head(engine)
        return await IncidentStore(engine).figures.incidents()
    finally:
        await engine.dispose()


async def _handle(client: Client, incident_id: str) -> WorkflowHandle[IncidentWorkflow, IncidentSummary]:
    handle: WorkflowHandle[IncidentWorkflow, IncidentSummary] = client.get_workflow_handle(
        incident_workflow_id(incident_id)
    )
    try:
        description = await handle.describe(rpc_timeout=ANSWER_WITHIN)
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            raise UnknownIncident(incident_id) from exc
        raise
    if description.status not in (None, WorkflowExecutionStatus.RUNNING):
        raise Refused(f"incident {incident_id} is closed")
    return handle


async def _update(client: Client, incident_id: str, update: Any, arg: BaseModel, update_id: str | None) -> Any:
    """The update's answer; sent again while the incident is still being declared (a moment after
    `declare`, as `declare --customers` lists its customers)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ANSWER_WITHIN.total_seconds()
    while True:
        try:
            return await _update_once(client, incident_id, update, arg, update_id)
        except Refused as refusal:
            if str(refusal) != STILL_DECLARING or loop.time() > deadline:
                raise
        await asyncio.sleep(0.2)


async def _update_once(client: Client, incident_id: str, update: Any, arg: BaseModel, update_id: str | None) -> Any:
    handle = await _handle(client, incident_id)
    try:
        return await asyncio.wait_for(
            handle.execute_update(update, arg, id=update_id, rpc_timeout=ANSWER_WITHIN), ANSWER_WITHIN.total_seconds()
        )
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        raise Refused(cause.message if isinstance(cause, ApplicationError) else str(cause)) from exc
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError) as exc:
        raise NoAnswer(
            f"incident {incident_id}: no answer within {ANSWER_WITHIN.total_seconds():.0f}s; is a worker running?"
        ) from exc


async def current_declaration(client: Client, incident_id: str) -> IncidentDeclaration:
    """The declaration as the incident holds it now (its current scheme version), for a dry run."""
    found: IncidentDeclaration = await _query(client, incident_id, IncidentWorkflow.declaration)
    return found
