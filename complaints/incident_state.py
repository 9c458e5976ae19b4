"""The incident workflow's state, the staff actions it takes, and the checks that refuse them.

The checks are pure functions of the state, run by the updates' validators: a refusal raises
before anything reaches the history, and says why in words an approver understands.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from complaints.case import TimelineEvent
from complaints.fields import FreeText, Money, NonEmptyText, SingleLine
from complaints.guards import Refused
from complaints.incident import IncidentDeclaration, IncidentStage
from complaints.rules import CaseRules
from complaints.scheme import Scheme, SchemeEstimate

ZERO = Decimal("0")


class IncidentState(BaseModel):
    """Everything the incident needs to go on after continue-as-new; the customers are in the database."""

    declaration: IncidentDeclaration
    rules: CaseRules
    stage: IncidentStage = IncidentStage.ASSESSING
    declared_at: datetime
    timeline: list[TimelineEvent] = Field(default_factory=list)
    done: list[str] = Field(default_factory=list)  # one-shot notices, by key
    # the latest assessment of every listed customer under the current scheme version
    estimate: SchemeEstimate | None = None
    to_offer: int = 0
    to_offer_total: Decimal = ZERO
    offered: int = 0
    committed: Decimal = ZERO
    reassess: bool = True  # new customers listed, or the scheme amended
    # approval of the scheme (and of each budget raise) as a whole
    approved_by: str | None = None
    approved_total: Decimal = ZERO  # the most the approvals so far cover
    approval_due: datetime | None = None
    budget_short: bool = False
    paused_by: str | None = None
    closing: IncidentClose | None = None
    closed_at: datetime | None = None
    continued_as_new: int = 0

    @property
    def scheme(self) -> Scheme:
        return self.declaration.scheme

    @property
    def to_approve(self) -> Decimal:
        """What an approval commits: all eligible offers, at most the budget (more needs a raise)."""
        total = self.estimate.total if self.estimate is not None else ZERO
        return min(total, self.scheme.budget)


class SchemeApproval(BaseModel):
    approver_id: SingleLine
    comment: FreeText = ""


class BudgetRaise(BaseModel):
    approver_id: SingleLine
    budget: Money
    reason: NonEmptyText


class IncidentPause(BaseModel):
    by: SingleLine
    reason: FreeText = ""


class SchemeAmendment(BaseModel):
    """A new version of the scheme: it applies to the customers not offered yet."""

    by: SingleLine
    scheme: Scheme
    reason: NonEmptyText


class CustomersListed(BaseModel):
    """The client staged customers in the app database: assess them."""

    by: SingleLine
    added: int = Field(ge=0)


class IncidentClose(BaseModel):
    by: SingleLine
    lessons: NonEmptyText
    preventive_measures: NonEmptyText


IncidentState.model_rebuild()


def _staff(rules: CaseRules, staff_id: str) -> None:
    if rules.staff_member(staff_id) is None:
        raise Refused(f"{staff_id!r} is not a member of staff")


def _open(state: IncidentState) -> None:
    if state.stage is IncidentStage.CLOSED or state.closing is not None:
        raise Refused(f"incident {state.declaration.id} is closed")


def _covers(rules: CaseRules, approver_id: str, amount: Decimal, currency: str) -> None:
    limit = rules.approval_limit(approver_id)
    if limit < amount:
        level = rules.level_needed(amount).name
        raise Refused(
            f"{approver_id} may approve up to {limit:.2f} {currency}; {amount:.2f} {currency} needs a {level}"
        )


def _four_eyes(state: IncidentState, approver_id: str) -> None:
    if approver_id == state.declaration.declared_by:
        raise Refused(f"{approver_id} declared this incident and cannot approve it too (four eyes)")


def check_approval(state: IncidentState, approval: SchemeApproval) -> None:
    _open(state)
    if state.stage is not IncidentStage.AWAITING_APPROVAL:
        raise Refused(f"the scheme is not waiting for approval (the incident is {state.stage.value})")
    _staff(state.rules, approval.approver_id)
    _four_eyes(state, approval.approver_id)
    _covers(state.rules, approval.approver_id, state.to_approve, state.scheme.currency)


def check_budget_raise(state: IncidentState, change: BudgetRaise) -> None:
    _open(state)
    _staff(state.rules, change.approver_id)
    _four_eyes(state, change.approver_id)
    if change.budget <= state.scheme.budget:
        raise Refused(f"budget: {change.budget:.2f} is not above the budget of {state.scheme.budget:.2f}")
    _covers(state.rules, change.approver_id, change.budget, state.scheme.currency)


def check_pause(state: IncidentState, pause: IncidentPause) -> None:
    _open(state)
    _staff(state.rules, pause.by)
    if state.paused_by is not None:
        raise Refused(f"the offers are paused already (by {state.paused_by})")


def check_resume(state: IncidentState, resume: IncidentPause) -> None:
    _open(state)
    _staff(state.rules, resume.by)
    if state.paused_by is None:
        raise Refused("the offers are not paused")


def check_amendment(state: IncidentState, amendment: SchemeAmendment) -> None:
    _open(state)
    _staff(state.rules, amendment.by)
    if amendment.scheme.version != state.scheme.version + 1:
        raise Refused(f"scheme.version: must be {state.scheme.version + 1} (the scheme is at {state.scheme.version})")
    if amendment.scheme.currency != state.scheme.currency:
        raise Refused(f"scheme.currency: the incident's budget is in {state.scheme.currency}")


def check_listing(state: IncidentState, listed: CustomersListed) -> None:
    _open(state)
    _staff(state.rules, listed.by)


def check_close(state: IncidentState, close: IncidentClose) -> None:
    _open(state)
    _staff(state.rules, close.by)


def check_joining(state: IncidentState) -> None:
    if state.stage is IncidentStage.CLOSED or state.closing is not None:
        raise Refused(f"incident {state.declaration.id} is closed: the complaint is handled on its own")
