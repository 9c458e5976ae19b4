"""What the incident workflow, its cases and the incident activities pass each other.

The affected customers themselves never travel through a workflow: they are staged in the
app database and read there in pages. These models are the small messages about them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel

from complaints.incident import IncidentDeclaration
from complaints.scheme import SchemeEstimate

ZERO = Decimal("0")


class AffectedStatus(StrEnum):
    """Where one affected customer stands, as their case reports it."""

    LISTED = "listed"  # staged, not offered (yet, or ever: ineligible)
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COUNTERED = "countered"
    PAID = "paid"
    LAPSED = "lapsed"  # no answer by the deadline: the offer stands, its hold goes back to the budget
    CLOSED = "closed"  # the case closed (after paying, or without: lapsed, withdrawn)
    COMPLAINED = "complained"  # the customer's own complaint, handled as any other (not offered)


class BudgetMoveKind(StrEnum):
    RESERVE = "reserve"  # hold `amount` for this case (raising the hold needs room in the budget)
    PAY = "pay"  # `amount` was paid: the hold becomes spending
    RELEASE = "release"  # let the rest of the hold go


class BudgetMove(BaseModel):
    """One change to the incident budget for one case, applied once per `key`."""

    incident_id: str
    case_id: str  # the complaint id
    customer_id: str
    key: str
    kind: BudgetMoveKind
    amount: Decimal = ZERO
    status: AffectedStatus | None = None  # the customer's new standing, if it changes


class BudgetMoveResult(BaseModel):
    fits: bool  # False: a reserve or payment the budget could not hold (nothing changed; the key is free again)
    applied: bool  # False when it did not fit, or when this key was applied before (nothing changed now)
    reserved: Decimal  # this case's hold after the move
    paid: Decimal
    remaining: Decimal  # the incident's budget not reserved or paid


class IncidentOpening(BaseModel):
    """The incident's row in the app database: written once when it is declared."""

    declaration: IncidentDeclaration
    declared_at: datetime


class AssessRequest(BaseModel):
    incident_id: str


class AssessResult(BaseModel):
    """Every listed customer under the scheme's current version, and what is left to offer."""

    estimate: SchemeEstimate  # all eligible customers, offered or not, at their offer
    offered: int
    to_offer: int  # eligible and not offered yet
    to_offer_total: Decimal
    committed: Decimal  # reserved + paid so far


class OfferPageRequest(BaseModel):
    """One page of the fan-out: its size, concurrency and rate are the worker's settings."""

    incident_id: str
    approved_by: str


class OfferPageResult(BaseModel):
    offered: int  # cases started by this page
    already: int  # customers whose case existed (an earlier attempt started it)
    budget_short: bool  # stopped: the next offer did not fit in what is left
    more: bool  # eligible customers not offered yet remain
    offered_in_all: int = 0  # customers with a proactive case so far (a crashed attempt's included)


class BudgetChange(BaseModel):
    incident_id: str
    budget: Decimal


class IncidentClosing(BaseModel):
    incident_id: str
    closed_by: str
    lessons: str
    preventive_measures: str
    closed_at: datetime


class IncidentNotice(BaseModel):
    """A staff message about the incident (approval wanted, budget short, a reminder, escalation)."""

    incident_id: str
    kind: str
    to: list[str]  # staff ids
    subject: str
    body: str
    key: str


class JoinRequest(BaseModel):
    """A customer complained about the incident on their own."""

    incident_id: str
    complaint_json: str  # the complaint as given (ComplaintInput), kept as text to stay one model
    approved_by: str


class JoinOutcome(StrEnum):
    EXISTING = "existing"  # they have a case already: the message is added to it
    OFFERED = "offered"  # a new proactive case with the scheme's offer
    REFUSED = "refused"  # not eligible: the reason names the rule; the complaint is handled on its own
    OWN_CASE = "own_case"  # no offer can be made now (not approved yet, budget short): handled on its own


class JoinResult(BaseModel):
    outcome: JoinOutcome
    case_id: str
    reason: str = ""
