"""IncidentWorkflow: one incident, from declaration to closure, compensating everyone it hit.

`run` reads like the process: assess the listed customers under the scheme, have the scheme
approved as a whole (four eyes, the level the total needs), offer every eligible customer in
pages (each gets a proactive case of their own), ask for more budget when it runs short,
and close with what was learned. The customers are never in this history: they are staged
in the app database and worked on there, a page per activity.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows import search_attributes as sa
from workflows.incident_desk import IncidentDesk, Interrupted
from workflows.outward import load_case_rules

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from complaints import contracts
    from complaints import incident_state as guards
    from complaints.case import TimelineEvent
    from complaints.failures import REFUSED
    from complaints.guards import Refused
    from complaints.incident import IncidentDeclaration, IncidentStage, IncidentSummary
    from complaints.incident_records import (
        AssessRequest,
        AssessResult,
        BudgetChange,
        IncidentClosing,
        IncidentOpening,
        JoinOutcome,
        JoinRequest,
        JoinResult,
        OfferPageRequest,
        OfferPageResult,
    )
    from complaints.incident_state import (
        BudgetRaise,
        CustomersListed,
        IncidentClose,
        IncidentPause,
        IncidentState,
        SchemeAmendment,
        SchemeApproval,
    )
    from complaints.intake import ComplaintInput


class IncidentWorkflowInput(BaseModel):
    declaration: IncidentDeclaration
    carried: IncidentState | None = None


class IncidentComplaint(BaseModel):
    """A customer's own complaint about the incident, to join it."""

    complaint: ComplaintInput


# Refused until the incident has loaded its rules and written its row: a moment after it starts.
STILL_DECLARING = "the incident is still being declared; try again in a moment"


@workflow.defn(name="IncidentWorkflow")
class IncidentWorkflow:
    @workflow.init
    def __init__(self, params: IncidentWorkflowInput) -> None:
        self._carried = params.carried
        self._declared = params.declaration
        self._desk = IncidentDesk(lambda: self._state)

    @property
    def _state(self) -> IncidentState:
        assert self._carried is not None, "the incident is still being declared"
        return self._carried

    @workflow.run
    async def run(self, params: IncidentWorkflowInput) -> IncidentSummary:
        if self._carried is None:
            await self._declare(params.declaration)
        while self._state.stage is not IncidentStage.CLOSED:
            if self._desk.history_is_long():
                await self._continue_as_new()
            self._show()
            try:
                self._state.stage = await STEPS[self._state.stage](self)
            except Interrupted:
                self._state.stage = self._after_interruption()
        self._show()
        return self.summary()

    async def _declare(self, declaration: IncidentDeclaration) -> None:
        rules = await load_case_rules()
        self._carried = IncidentState(declaration=declaration, rules=rules, declared_at=workflow.now())
        opening = IncidentOpening(declaration=declaration, declared_at=self._state.declared_at)
        await self._desk.call(contracts.OPEN_INCIDENT, opening, "record the incident and its budget")
        self._desk.record(
            "declared", f"{declaration.title}; scheme v{declaration.scheme.version}", declaration.declared_by
        )
        workflow.upsert_search_attributes([sa.INCIDENT_ID.value_set(declaration.id)])

    def _after_interruption(self) -> IncidentStage:
        state = self._state
        if state.closing is not None:
            return IncidentStage.CLOSING
        if state.reassess:
            return IncidentStage.ASSESSING
        return state.stage  # only the history is long: the loop continues as new, then goes on

    # -- the stages ----------------------------------------------------------------------------------------

    async def _assess(self) -> IncidentStage:
        state = self._state
        state.reassess = False
        request = AssessRequest(incident_id=state.declaration.id)
        result: AssessResult = await self._desk.call(
            contracts.ASSESS_INCIDENT, request, f"assess the customers under scheme v{state.scheme.version}", 30
        )
        state.estimate, state.offered, state.committed = result.estimate, result.offered, result.committed
        state.to_offer, state.to_offer_total = result.to_offer, result.to_offer_total
        estimate = result.estimate
        self._desk.record(
            "assessed",
            f"scheme v{estimate.scheme_version}: {estimate.eligible} of {estimate.affected} eligible, "
            f"{estimate.total:.2f} {estimate.currency}; {result.to_offer} to offer",
        )
        if state.to_approve > state.approved_total:
            return IncidentStage.AWAITING_APPROVAL
        return IncidentStage.OFFERING if result.to_offer else IncidentStage.OFFERED

    async def _seek_approval(self) -> IncidentStage:
        state = self._state
        amount, currency = state.to_approve, state.scheme.currency
        what = f"the scheme v{state.scheme.version} of incident {state.declaration.id}, {amount:.2f} {currency}"

        def approved() -> bool:
            return state.approved_total >= amount

        await self._desk.until_approved(approved, amount, what, f"approval-v{state.scheme.version}-{amount}")
        return IncidentStage.OFFERING

    async def _offer(self) -> IncidentStage:
        state = self._state
        if self._desk.interrupted():
            raise Interrupted()
        if state.paused_by is not None:
            await self._desk.until(lambda: state.paused_by is None, None, "offers resumed")
        assert state.approved_by is not None
        page: OfferPageResult = await self._desk.call(
            contracts.OFFER_PAGE,
            OfferPageRequest(incident_id=state.declaration.id, approved_by=state.approved_by),
            "offer a page of customers",
            30,
        )
        state.offered = page.offered_in_all
        if page.offered or page.already:
            self._desk.record("offered", f"{page.offered} customers ({state.offered} so far)")
        if page.budget_short:
            state.budget_short = True
            return IncidentStage.AWAITING_BUDGET
        if page.more:
            return IncidentStage.OFFERING
        self._desk.record("all offered", f"every eligible customer listed so far has an offer ({state.offered})")
        return IncidentStage.OFFERED

    async def _seek_budget(self) -> IncidentStage:
        state = self._state
        budget, currency = state.scheme.budget, state.scheme.currency
        remaining = budget - state.committed
        what = (
            f"more budget for incident {state.declaration.id}: {budget:.2f} {currency} is committed "
            f"but for {remaining:.2f}, and the next offers do not fit"
        )
        if self._desk.first_time(f"budget-short-{budget}"):
            self._desk.record("budget short", what)
        needed = max(state.estimate.total if state.estimate else budget, budget)
        await self._desk.until_approved(lambda: not state.budget_short, needed, what, f"budget-{budget}")
        return IncidentStage.OFFERING

    async def _wait_for_more(self) -> IncidentStage:
        """Everyone listed has an offer: wait for more customers, an amendment, or the closure."""
        await self._desk.until(lambda: False, None, "more customers, an amendment or the closure")
        return IncidentStage.OFFERED

    async def _close(self) -> IncidentStage:
        state = self._state
        closing = state.closing
        assert closing is not None
        state.closed_at = workflow.now()
        record = IncidentClosing(
            incident_id=state.declaration.id,
            closed_by=closing.by,
            lessons=closing.lessons,
            preventive_measures=closing.preventive_measures,
            to_assess=state.reassess,
            closed_at=state.closed_at,
        )
        await self._desk.call(contracts.CLOSE_INCIDENT, record, "write the incident report")
        self._desk.record("closed", closing.lessons, closing.by)
        return IncidentStage.CLOSED

    async def _continue_as_new(self) -> None:
        await workflow.wait_condition(workflow.all_handlers_finished)
        self._state.continued_as_new += 1
        workflow.continue_as_new(IncidentWorkflowInput(declaration=self._state.declaration, carried=self._state))

    # -- what the Web UI shows -------------------------------------------------------------------------------

    def _show(self) -> None:
        summary = self.summary()
        workflow.set_current_details(
            f"**{summary.stage.value}** — {summary.waiting_for}.\n\n"
            f"Eligible {summary.eligible} of {summary.affected}; offered {summary.offered}. "
            f"Budget {summary.budget:.2f} {summary.currency}, approved {summary.approved_total:.2f}"
            f"{' by ' + summary.approved_by if summary.approved_by else ''}."
        )

    # -- staff actions ------------------------------------------------------------------------------------------

    @workflow.update(description="Approve the scheme as a whole (four eyes; the approver's limit must cover it).")
    def approve(self, approval: SchemeApproval) -> str:
        state = self._state
        state.approved_by, state.approved_total = approval.approver_id, state.to_approve
        self._desk.record("approved", f"{state.to_approve:.2f} {state.scheme.currency}", approval.approver_id)
        return f"scheme v{state.scheme.version} approved: {state.to_approve:.2f} {state.scheme.currency}"

    @approve.validator
    def _check_approve(self, approval: SchemeApproval) -> None:
        self._refuse_unless(lambda state: guards.check_approval(state, approval))

    @workflow.update(description="Raise the incident's budget (four eyes; the approver's limit must cover it).")
    async def raise_budget(self, change: BudgetRaise) -> str:
        state = self._state
        request = BudgetChange(incident_id=state.declaration.id, budget=change.budget)
        await self._desk.call(contracts.SET_INCIDENT_BUDGET, request, f"raise the budget to {change.budget:.2f}")
        scheme = state.scheme.model_copy(update={"budget": change.budget})
        state.declaration = state.declaration.model_copy(update={"scheme": scheme})
        state.approved_total = max(state.approved_total, state.to_approve)
        state.approved_by = state.approved_by or change.approver_id
        state.budget_short = False
        self._desk.record("budget raised", f"to {change.budget:.2f}: {change.reason}", change.approver_id)
        return f"budget raised to {change.budget:.2f} {scheme.currency}"

    @raise_budget.validator
    def _check_raise_budget(self, change: BudgetRaise) -> None:
        self._refuse_unless(lambda state: guards.check_budget_raise(state, change))

    @workflow.update(description="Pause the offers (cases already offered go on).")
    def pause(self, pause: IncidentPause) -> str:
        self._state.paused_by = pause.by
        self._desk.record("paused", pause.reason or "-", pause.by)
        return "offers paused"

    @pause.validator
    def _check_pause(self, pause: IncidentPause) -> None:
        self._refuse_unless(lambda state: guards.check_pause(state, pause))

    @workflow.update(description="Resume the offers.")
    def resume(self, resume: IncidentPause) -> str:
        self._state.paused_by = None
        self._desk.record("resumed", resume.reason or "-", resume.by)
        return "offers resumed"

    @resume.validator
    def _check_resume(self, resume: IncidentPause) -> None:
        self._refuse_unless(lambda state: guards.check_resume(state, resume))

    @workflow.update(description="A new version of the scheme, for the customers not offered yet.")
    async def amend_scheme(self, amendment: SchemeAmendment) -> str:
        state = self._state
        declaration = state.declaration.model_copy(update={"scheme": amendment.scheme})
        await self._desk.call(contracts.AMEND_INCIDENT, declaration, f"store scheme v{amendment.scheme.version}")
        state.declaration, state.reassess = declaration, True
        self._desk.record("scheme amended", f"v{amendment.scheme.version}: {amendment.reason}", amendment.by)
        return f"scheme v{amendment.scheme.version} applies to the customers not offered yet"

    @amend_scheme.validator
    def _check_amend_scheme(self, amendment: SchemeAmendment) -> None:
        self._refuse_unless(lambda state: guards.check_amendment(state, amendment))

    @workflow.update(description="Customers were added to the list (staged in the app database): assess them.")
    def customers_listed(self, listed: CustomersListed) -> str:
        self._state.reassess = True
        self._desk.record("customers listed", f"{listed.added} added", listed.by)
        return f"{listed.added} customers will be assessed"

    @customers_listed.validator
    def _check_customers_listed(self, listed: CustomersListed) -> None:
        self._refuse_unless(lambda state: guards.check_listing(state, listed))

    @workflow.update(description="A customer's own complaint about the incident: their case, an offer or a refusal.")
    async def join(self, own: IncidentComplaint) -> JoinResult:
        state = self._state
        approved = state.approved_by if state.stage not in _UNAPPROVED and state.approved_total > 0 else ""
        request = JoinRequest(
            incident_id=state.declaration.id, complaint_json=own.complaint.model_dump_json(), approved_by=approved or ""
        )
        result: JoinResult = await self._desk.call(contracts.JOIN_INCIDENT, request, "a customer's own complaint")
        if result.outcome is JoinOutcome.OFFERED:
            state.offered += 1  # the next page's count (from the database) includes them too
        self._desk.record(f"complaint {result.outcome.value}", f"{result.case_id} {result.reason}".strip())
        return result

    @join.validator
    def _check_join(self, own: IncidentComplaint) -> None:
        self._refuse_unless(guards.check_joining)

    @workflow.update(description="Close the incident with what was learned and the preventive measures.")
    def close(self, close: IncidentClose) -> str:
        self._state.closing = close
        self._desk.record("closing", close.preventive_measures, close.by)
        return "the incident closes once the page in progress is done"

    @close.validator
    def _check_close(self, close: IncidentClose) -> None:
        self._refuse_unless(lambda state: guards.check_close(state, close))

    def _refuse_unless(self, check: Callable[[IncidentState], None]) -> None:
        """An update validator: the guard's reason as the caller's error, or let it in."""
        if self._carried is None:
            raise ApplicationError(STILL_DECLARING, type=REFUSED)
        try:
            check(self._state)
        except Refused as refusal:
            raise ApplicationError(str(refusal), type=REFUSED, non_retryable=True) from None

    # -- queries ---------------------------------------------------------------------------------------------------

    @workflow.query(description="Where the incident stands: stage, scheme, approval, budget, offers.")
    def summary(self) -> IncidentSummary:
        state = self._state
        estimate = state.estimate
        return IncidentSummary(
            incident_id=state.declaration.id,
            title=state.declaration.title,
            stage=state.stage,
            declared_by=state.declaration.declared_by,
            declared_at=state.declared_at,
            scheme_version=state.scheme.version,
            currency=state.scheme.currency,
            budget=state.scheme.budget,
            estimated_total=estimate.total if estimate else state.to_offer_total,
            eligible=estimate.eligible if estimate else 0,
            affected=estimate.affected if estimate else 0,
            approved_by=state.approved_by,
            approved_total=state.approved_total,
            paused=state.paused_by is not None,
            offered=state.offered,
            waiting_for=_WAITING_FOR[state.stage]
            if state.paused_by is None
            else f"resume (paused by {state.paused_by})",
            to_assess=state.reassess,
            closed_at=state.closed_at,
        )

    @workflow.query(description="The declaration as it stands: the current scheme version (for a dry run).")
    def declaration(self) -> IncidentDeclaration:
        return self._carried.declaration if self._carried is not None else self._declared

    @workflow.query(description="The incident's own timeline (each customer's story is in their case).")
    def timeline(self) -> list[TimelineEvent]:
        return self._state.timeline if self._carried is not None else []


_UNAPPROVED = (IncidentStage.ASSESSING, IncidentStage.AWAITING_APPROVAL)
_WAITING_FOR: Mapping[IncidentStage, str] = MappingProxyType(
    {
        IncidentStage.ASSESSING: "the assessment of the listed customers",
        IncidentStage.AWAITING_APPROVAL: "approval of the scheme",
        IncidentStage.OFFERING: "the offers going out",
        IncidentStage.CLOSING: "the incident report",
        IncidentStage.AWAITING_BUDGET: "approval of more budget",
        IncidentStage.OFFERED: "more customers, an amendment or the closure",
        IncidentStage.CLOSED: "nothing: closed",
    }
)
STEPS: Mapping[IncidentStage, Callable[[IncidentWorkflow], Awaitable[IncidentStage]]] = MappingProxyType(
    {
        IncidentStage.ASSESSING: IncidentWorkflow._assess,
        IncidentStage.AWAITING_APPROVAL: IncidentWorkflow._seek_approval,
        IncidentStage.OFFERING: IncidentWorkflow._offer,
        IncidentStage.AWAITING_BUDGET: IncidentWorkflow._seek_budget,
        IncidentStage.OFFERED: IncidentWorkflow._wait_for_more,
        IncidentStage.CLOSING: IncidentWorkflow._close,
    }
)  # The incident's process, in order (read-only: shared by all runs).
