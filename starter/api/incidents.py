"""`/incidents`: declare an incident, upload its affected customers page by page, steer it.

The same models and client functions as `complaints incident …`: a bad field is named (422)
and nothing starts; the workflow's refusals come back verbatim (409). A page of customers is
a JSON list of rows; each bad row is reported by its number, field and reason, and the good
rows of the page go on.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from activities.incident_figures import IncidentListing, IncidentStats
from complaints.affected import AffectedList, ListedCustomer, RowProblem, check_row
from complaints.incident import IncidentDeclaration, IncidentSummary
from complaints.incident_records import JoinResult
from complaints.incident_state import BudgetRaise, IncidentClose, IncidentPause, SchemeAmendment, SchemeApproval
from complaints.intake import ComplaintInput, InvalidInput
from complaints.scheme import SchemeEstimate
from starter.api.dependencies import AppSettings, Caller, Temporal
from starter.client import incidents as client
from starter.client import rules_for_intake

incidents = APIRouter(prefix="/incidents", tags=["incidents"])

MAX_PAGE = 1000


class IncidentView(BaseModel):
    summary: IncidentSummary
    figures: IncidentStats | None


class CustomerPage(BaseModel):
    """What one page of customers did (or, for a dry run, would cost)."""

    listing: client.Listing | None = None
    estimate: SchemeEstimate | None = None


class Confirmation(BaseModel):
    incident_id: str
    result: str = Field(description="The workflow's confirmation, verbatim.")


@incidents.post("", status_code=status.HTTP_201_CREATED, response_model=client.Declared, summary="Declare an incident")
async def declare(
    declaration: IncidentDeclaration, caller: Caller, client_: Temporal, settings: AppSettings
) -> Response:
    """Start `incident-<id>` (201), or find it when the same id was declared before (200)."""
    try:
        client.check_declaration(declaration, rules_for_intake(settings.rules_file))
    except InvalidInput as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, detail=str(exc)) from exc
    declared = await client.declare(client_, declaration, settings.task_queue)
    code = status.HTTP_201_CREATED if declared.started else status.HTTP_200_OK
    return JSONResponse(declared.model_dump(), status_code=code)


@incidents.get("", summary="Every incident, newest first")
async def list_incidents(caller: Caller, settings: AppSettings) -> list[IncidentListing]:
    return await client.listing(settings.effective_database_url)


@incidents.get("/{incident_id}", summary="Where an incident stands")
async def show(incident_id: str, caller: Caller, client_: Temporal, settings: AppSettings) -> IncidentView:
    summary = await client.summary(client_, incident_id)
    return IncidentView(summary=summary, figures=await client.figures(settings.effective_database_url, incident_id))


@incidents.post("/{incident_id}/customers", summary="A page of affected customers")
async def customers(
    incident_id: str,
    rows: Annotated[list[dict[str, Any]], Field(max_length=MAX_PAGE)],
    caller: Caller,
    client_: Temporal,
    settings: AppSettings,
    by: Annotated[str, Query(description="Staff id of whoever uploads the list.")],
    first_row: Annotated[int, Query(ge=1, description="The number of this page's first row in the whole list.")] = 1,
    dry_run: Annotated[bool, Query(description="Eligibility and cost per band only; nothing is stored.")] = False,
) -> CustomerPage:
    """Stage the page's good rows (a customer listed before stays one row) and have the incident assess them."""
    affected = AffectedList()
    seen: dict[str, int] = {}
    for number, fields in enumerate(rows, start=first_row):
        checked = check_row(number, fields)
        if isinstance(checked, list):
            affected.problems.extend(checked)
        elif checked.customer_id in seen:
            reason = f"customer {checked.customer_id!r} is listed at row {seen[checked.customer_id]} already"
            affected.repeats.append(RowProblem(row=number, field="customer_id", reason=reason))
        else:
            seen[checked.customer_id] = number
            affected.customers.append(ListedCustomer(row=number, customer=checked))
    if dry_run:
        declaration = await client.current_declaration(client_, incident_id)
        return CustomerPage(estimate=client.dry_run(declaration, affected))
    listing = await client.list_customers(client_, settings.effective_database_url, incident_id, affected, by)
    return CustomerPage(listing=listing)


async def _act(client_: Temporal, incident_id: str, action: BaseModel, *, resume: bool = False) -> Confirmation:
    return Confirmation(incident_id=incident_id, result=await client.act(client_, incident_id, action, resume=resume))


@incidents.post("/{incident_id}/approve", summary="Approve the scheme as a whole")
async def approve(incident_id: str, approval: SchemeApproval, caller: Caller, client_: Temporal) -> Confirmation:
    return await _act(client_, incident_id, approval)


@incidents.post("/{incident_id}/budget", summary="Raise the budget")
async def raise_budget(incident_id: str, change: BudgetRaise, caller: Caller, client_: Temporal) -> Confirmation:
    return await _act(client_, incident_id, change)


@incidents.post("/{incident_id}/pause", summary="Pause the offers")
async def pause(incident_id: str, pause: IncidentPause, caller: Caller, client_: Temporal) -> Confirmation:
    return await _act(client_, incident_id, pause)


@incidents.post("/{incident_id}/resume", summary="Resume the offers")
async def resume(incident_id: str, resume: IncidentPause, caller: Caller, client_: Temporal) -> Confirmation:
    return await _act(client_, incident_id, resume, resume=True)


@incidents.post("/{incident_id}/scheme", summary="Amend the scheme (a new version)")
async def amend(incident_id: str, amendment: SchemeAmendment, caller: Caller, client_: Temporal) -> Confirmation:
    return await _act(client_, incident_id, amendment)


@incidents.post("/{incident_id}/close", summary="Close with what was learned")
async def close(incident_id: str, closing: IncidentClose, caller: Caller, client_: Temporal) -> Confirmation:
    return await _act(client_, incident_id, closing)


@incidents.post("/{incident_id}/complaints", summary="A customer's own complaint about the incident")
async def own_complaint(incident_id: str, complaint: ComplaintInput, caller: Caller, client_: Temporal) -> JoinResult:
    """Their existing case (the message is added), the scheme's offer, or a refusal naming the rule."""
    return await client.join(client_, incident_id, complaint)
