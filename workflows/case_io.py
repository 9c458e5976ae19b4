"""The workflow's outward steps: payouts, records, and what the UI shows (messages: case_messaging).

A base class of `ComplaintWorkflow`, kept apart so the workflow module reads as the
process. Every outward step is an activity with timeouts, a retry policy and an
idempotency key derived from the workflow id and a sequence carried in the state.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    import email_validator  # noqa: F401  (pydantic imports it lazily to check EmailStr)
    from pydantic import BaseModel

    from complaints.case import CaseOutcome, CaseState, Stage, TimelineEvent
    from complaints.messages import CaseBrief
    from complaints.payout import CustomerPaid, CustomerPaidQuery, PayoutReceipt, PayoutRequest, payout_key
    from complaints.rules import StaffMember
    from complaints.standing import ROLLING_YEAR, CustomerStanding, StandingQuery, month_start
    from workflows import search_attributes as sa

# Money and records must never be given up on: retry until it works, however long.
DURABLE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=2))


R = TypeVar("R", bound=BaseModel)


def when(moment: datetime | None) -> str:
    return moment.strftime("%a %d %b %Y %H:%M UTC") if moment else "no deadline"


class CaseIO:
    """State holder plus the helpers every stage uses."""

    _state: CaseState | None = None
    _published: dict[str, object]
    _sending_progress_update: bool

    @property
    def state(self) -> CaseState:
        assert self._state is not None, "the case state is created by run() before any stage"
        return self._state

    # -- the audit trail ----------------------------------------------------------------

    def _record(self, kind: str, detail: str, actor: str = "system") -> None:
        self.state.timeline.append(TimelineEvent(at=workflow.now(), kind=kind, detail=detail, actor=actor))
        workflow.logger.info("%s: %s", kind, detail)

    def _done(self, marker: str) -> bool:
        return marker in self.state.done

    def _mark_done(self, marker: str) -> None:
        self.state.done.append(marker)

    # -- people ---------------------------------------------------------------------------

    @property
    def owner(self) -> StaffMember:
        owner = self.state.rules.staff_member(self.state.owner_id)
        assert owner is not None, "owners are validated against the directory"
        return owner

    @property
    def team_lead(self) -> StaffMember:
        """Whom the case escalates to: its category's route (the directory is validated)."""
        lead = self.state.rules.staff_member(self.state.rules.routing[self.state.complaint.category].escalate_to)
        assert lead is not None, "routes are validated against the directory"
        return lead

    def _owner_and_lead(self) -> list[StaffMember]:
        """Who hears of anything that needs a person now: the owner, and the team lead if someone else."""
        return [self.owner] if self.team_lead.id == self.owner.id else [self.owner, self.team_lead]

    def _brief(self) -> CaseBrief:
        state, owner = self.state, self.owner
        complaint = state.complaint
        return CaseBrief(
            reference=complaint.id,
            customer_id=complaint.customer.id,
            customer_name=complaint.customer.name,
            customer_email=state.contact_email or complaint.customer.email,
            customer_timezone=complaint.customer.timezone,
            customer_language=complaint.customer.language,
            category=complaint.category.value,
            priority=state.current_priority.value,
            description=complaint.description,
            desired_outcome=complaint.desired_outcome,
            received_at=state.received_at,
            owner_name=owner.name,
            owner_email=owner.email,
            owner_phone=owner.phone,
            department=state.rules.routing[complaint.category].department,
            stage=state.stage.value,
        )

    def _history_lines(self, last: int = 30) -> list[str]:
        return [f"{when(e.at)} · {e.kind} · {e.detail}" for e in self.state.timeline[-last:]]

    # -- money and records ------------------------------------------------------------------

    async def _pay(self, amount_due: Decimal, approved_by: str) -> PayoutReceipt:
        """Raises ActivityError caused by ApplicationError(type=PAYOUT_REFUSED) if refused for good."""
        proposal = self.state.proposal
        assert proposal is not None
        info = workflow.info()
        request = PayoutRequest(
            idempotency_key=payout_key(info.workflow_id, proposal.version, self.state.payout_attempt),
            complaint_id=self.state.complaint.id,
            workflow_id=info.workflow_id,
            customer_id=self.state.complaint.customer.id,
            category=self.state.complaint.category,
            amount=amount_due,
            currency=proposal.currency,
            items=proposal.items,
            approved_by=approved_by,
            policy_version=proposal.policy_version,
        )
        receipt: PayoutReceipt = await workflow.execute_activity(
            "pay_compensation",
            request,
            result_type=PayoutReceipt,
            start_to_close_timeout=timedelta(seconds=60),
            retry_policy=DURABLE_RETRY,
            summary=f"pay {amount_due} {proposal.currency} (proposal v{proposal.version})",
        )
        return receipt

    async def _read(self, activity: str, query: BaseModel, result_type: type[R], summary: str) -> R:
        """A read-only ledger activity: quick, safe to retry for as long as the database is down."""
        result: R = await workflow.execute_activity(
            activity,
            query,
            result_type=result_type,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=DURABLE_RETRY,
            summary=summary,
        )
        return result

    async def _customer_paid_in_last_year(self) -> Decimal:
        query = CustomerPaidQuery(
            customer_id=self.state.complaint.customer.id,
            currency=self.state.rules.compensation.currency,
            since=workflow.now() - timedelta(days=365),
        )
        summary = "read what the customer was paid in the last 12 months"
        return (await self._read("customer_paid_since", query, CustomerPaid, summary)).amount

    async def _read_customer_standing(self) -> CustomerStanding:
        now, complaint = workflow.now(), self.state.complaint
        query = StandingQuery(
            customer_id=complaint.customer.id,
            category=complaint.category,
            currency=self.state.rules.compensation.currency,
            year_since=now - ROLLING_YEAR,
            month_since=month_start(now),
            exclude_workflow_id=workflow.info().workflow_id,
        )
        summary = "read the customer's payouts and complaints of the last 12 months, and this month's budget"
        return await self._read("read_customer_standing", query, CustomerStanding, summary)

    async def _record_outcome(self, outcome: CaseOutcome) -> None:
        await workflow.execute_activity(
            "record_outcome",
            outcome,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=DURABLE_RETRY,
            summary=f"record outcome: {outcome.outcome}",
        )

    def _outcome(self, final: Stage | None = None) -> CaseOutcome:
        state = self.state
        final = final or state.stage
        findings = state.findings
        outcome = "offer_lapsed" if state.offer_standing else "resolved"
        if final is Stage.WITHDRAWN:
            outcome = "withdrawn"
        return CaseOutcome(
            complaint_id=state.complaint.id,
            workflow_id=workflow.info().workflow_id,
            customer_id=state.complaint.customer.id,
            category=state.complaint.category.value,
            priority=state.current_priority.value,
            outcome=outcome,
            root_cause=findings.root_cause if findings else None,
            recurring=findings.recurring if findings else None,
            severity=findings.severity if findings else None,
            remedy_total=state.paid_total,
            currency=state.rules.compensation.currency,
            paid=bool(state.payouts),
            csat=state.feedback.csat if state.feedback else None,
            received_at=state.received_at,
            closed_at=state.closed_at or workflow.now(),
            reopened=any(event.kind == "reopened" for event in state.timeline),
            investigation_escalated=state.investigation_escalated,
        )

    # -- what the Web UI and the admin queue see ----------------------------------------------

    def waiting_for(self) -> tuple[str, datetime | None]:
        """What the case waits for, and until when: shown in the UI and by `admin show`."""
        state = self.state
        if state.contact_problem is not None and not state.stage.is_final:
            return "staff to correct the customer's address (our mail was refused)", None
        if state.information_request is not None and not state.stage.is_final:
            return "the customer's answer to our question (the clock is paused)", None
        match state.stage:
            case Stage.INVESTIGATING:
                dept = state.rules.routing[state.complaint.category].department
                return f"findings from {dept}", state.investigation_due
            case Stage.AWAITING_APPROVAL:
                return f"approval by a {state.approval_level or 'staff member'}", state.approval_due
            case Stage.AWAITING_CUSTOMER:
                return "the customer's answer to the offer", state.offer_due
            case Stage.FOLLOWING_UP:
                standing = " (the offer still stands)" if state.offer_standing else ""
                return f"the reopen window to close{standing}", state.reopen_until
            case Stage.AWAITING_FEEDBACK:
                due = (
                    state.survey_started_at + state.rules.timings.survey_expires_after
                    if state.survey_started_at
                    else None
                )
                return "the customer's survey answer", due
            case Stage.FULFILLING if state.payout_refusal:
                return "a staff decision on the refused payout", None
            case Stage.CLOSED | Stage.WITHDRAWN:
                return "nothing: the case is closed", None
            case _:
                return "the system (working)", None

    def _clock_deadlines(self) -> list[datetime]:
        """Hook: the deadlines of the SLA clocks and the regulator (case_clocks)."""
        return []

    def next_deadline(self) -> datetime | None:
        """The soonest deadline on the case: what it waits for, an SLA clock, or a regulator's."""
        return self._soonest_deadline(self.waiting_for()[1])

    def _soonest_deadline(self, stage_due: datetime | None) -> datetime | None:
        return min([*([stage_due] if stage_due else []), *self._clock_deadlines()], default=None)

    def _publish(self) -> None:
        """Keep search attributes and current details in step with the state (only on change)."""
        state = self.state
        waiting, due = self.waiting_for()
        next_deadline = self._soonest_deadline(due)
        breached = state.investigation_escalated or state.sla_breached
        proposal_total = float(state.proposal.total) if state.proposal else 0.0
        values: dict[str, object] = {
            sa.COMPLAINT_STAGE.name: state.stage.value,
            sa.ASSIGNED_TO.name: state.owner_id,
            sa.AWAITING_APPROVAL_LEVEL.name: state.approval_level if state.stage is Stage.AWAITING_APPROVAL else "",
            sa.COMPENSATION_AMOUNT.name: proposal_total,
            sa.SLA_BREACHED.name: breached,
            sa.NEXT_DEADLINE.name: next_deadline,
        }
        if values != self._published:
            updates: list[SearchAttributeUpdate[Any]] = [
                sa.COMPLAINT_STAGE.value_set(state.stage.value),
                sa.ASSIGNED_TO.value_set(state.owner_id),
                sa.COMPENSATION_AMOUNT.value_set(proposal_total),
                sa.SLA_BREACHED.value_set(breached),
                sa.AWAITING_APPROVAL_LEVEL.value_set(state.approval_level)
                if state.stage is Stage.AWAITING_APPROVAL and state.approval_level
                else sa.AWAITING_APPROVAL_LEVEL.value_unset(),
                sa.NEXT_DEADLINE.value_set(next_deadline) if next_deadline else sa.NEXT_DEADLINE.value_unset(),
            ]
            workflow.upsert_search_attributes(updates)
            self._published = values
        workflow.set_current_details(
            f"**{state.stage.value}** — waiting for {waiting}, due {when(due)}.\n\n"
            f"Next deadline: {when(next_deadline)}{' · SLA breached' if breached else ''}.\n\n"
            f"Owner: {self.owner.name} ({state.owner_id}). Customer: {state.complaint.customer.name}."
        )
