"""The case record: the state one case carries, its audit trail and its one-shot steps.

Every other part of the workflow reads and changes the case through this object, so what a
case knows lives in one place (`CaseState`, carried whole across continue-as-new).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from complaints.case import Answer, CaseOutcome, CaseState, CaseStatus, ClosingRecord, Stage, TimelineEvent
    from complaints.case_file_builder import case_file_of
    from complaints.dates import when
    from complaints.messages import CaseBrief
    from complaints.rules import StaffMember
    from complaints.sla import clock_status


class CaseRecord:
    def __init__(self, state: CaseState | None) -> None:
        self._state = state

    @property
    def exists(self) -> bool:
        """False until the rules are loaded and the case is received (a new run's first task)."""
        return self._state is not None

    @property
    def state(self) -> CaseState:
        assert self._state is not None, "the case state is created by run() before any stage"
        return self._state

    def create(self, state: CaseState) -> None:
        self._state = state

    # -- the audit trail ------------------------------------------------------------------

    def record(self, kind: str, detail: str, actor: str = "system") -> None:
        self.state.timeline.append(TimelineEvent(at=workflow.now(), kind=kind, detail=detail, actor=actor))
        workflow.logger.info("%s: %s", kind, detail)

    def answered(self, question: str, by: str, what: str) -> None:
        """The one answer `question` takes, recorded by the update that gives it (see guards)."""
        self.state.answers[question] = Answer(by=by, at=workflow.now(), what=what)

    def enter(self, stage: Stage) -> None:
        if self.state.stage is not stage:
            self.record("stage", f"{self.state.stage.value} → {stage.value}")
            self.state.stage = stage

    def history_lines(self, last: int = 30) -> list[str]:
        return [f"{when(e.at)} · {e.kind} · {e.detail}" for e in self.state.timeline[-last:]]

    # -- one-shot steps: done once per case, even across continue-as-new ------------------

    def done(self, key: str) -> bool:
        return key in self.state.done

    def mark(self, key: str) -> None:
        self.state.done.append(key)

    async def once(self, key: str, step: Callable[[], Awaitable[None]]) -> None:
        """Run `step` unless it already completed; it counts as done only once it completes."""
        if not self.done(key):
            await step()
            self.mark(key)

    def first_time(self, key: str) -> bool:
        """Mark `key` done now; True if it was not done before (for steps that must not run twice
        even while still in flight)."""
        if self.done(key):
            return False
        self.mark(key)
        return True

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

    def owner_and_lead(self) -> list[StaffMember]:
        """Who hears of anything that needs a person now: the owner, and the team lead if someone else."""
        return [self.owner] if self.team_lead.id == self.owner.id else [self.owner, self.team_lead]

    @property
    def department(self) -> str:
        return self.state.rules.routing[self.state.complaint.category].department

    def brief(self) -> CaseBrief:
        """What every message needs to know about the case."""
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
            department=self.department,
            stage=state.stage.value,
        )

    # -- what the case leaves behind ---------------------------------------------------------

    def outcome(self, final: Stage | None = None) -> CaseOutcome:
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
            recurring=(findings.recurring or bool(state.same_cause_earlier)) if findings else None,
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

    def closing_record(self, final: Stage) -> ClosingRecord:
        """The outcome with the case's whole file, for the archive (written once, at closure)."""
        case_file = case_file_of(self.state, workflow.info().workflow_id, final, workflow.now())
        return ClosingRecord(**self.outcome(final).model_dump(), case_file=case_file)

    def status(self, waiting: str, due: datetime | None, next_deadline: datetime | None) -> CaseStatus:
        """Where the case stands, for the `status` query (what `admin show` prints)."""
        state = self.state
        return CaseStatus(
            complaint_id=state.complaint.id,
            stage=state.stage,
            customer_name=state.complaint.customer.name,
            customer_email=state.complaint.customer.email,
            category=state.complaint.category.value,
            priority=state.current_priority.value,
            owner_id=state.owner_id,
            owner_name=self.owner.name,
            waiting_for=waiting,
            due=due,
            findings=state.findings,
            proposal=state.proposal,
            approved_by=state.approved_by,
            offer_response=state.offer_response,
            offer_standing=state.offer_standing,
            payouts=state.payouts,
            feedback=state.feedback,
            received_at=state.received_at,
            closed_at=state.closed_at,
            continued_as_new=state.continued_as_new,
            clocks=[
                clock_status(clock, state.rules.sla.calendars[clock.calendar], workflow.now()) for clock in state.clocks
            ],
            regulatory_deadlines=state.regulatory_deadlines,
            sla_breached=state.sla_breached or state.investigation_escalated,
            next_deadline=next_deadline,
            attention=state.attention,
        )


def soonest(*moments: datetime | None) -> datetime | None:
    return min((moment for moment in moments if moment is not None), default=None)
