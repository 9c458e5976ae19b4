"""ComplaintWorkflow: one complaint, from receipt to closure, as one durable workflow.

`run` walks the process table (`PROCESS`, at the bottom): each stage is a method that returns
the next stage, and can be re-entered after continue-as-new without repeating itself. The
workflow owns small objects that do the rest: the case record (state, timeline, one-shot
steps), the clocks and their deadline watch, the messenger, the outward calls, and the
attention a person must give when retrying cannot help. Staff and customer actions arrive
as updates whose validators (complaints.guards) refuse what the case cannot take now.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows import steps, waiting
from workflows.actions import CaseActions, refuse_unless
from workflows.approvals import Approvals
from workflows.attention import CASE_DATA_ERRORS, Attention
from workflows.background import BackgroundWork
from workflows.clocks import CaseClocks
from workflows.closing import CaseClosing
from workflows.deadline_watch import DeadlineWatch
from workflows.display import CaseDisplay
from workflows.fulfilment import Fulfilment
from workflows.incident_case import IncidentCase
from workflows.investigation import Investigation
from workflows.messenger import Messenger
from workflows.offer import Offer
from workflows.opening import open_case
from workflows.outward import OutwardCalls
from workflows.progress import ProgressUpdates
from workflows.record import CaseRecord
from workflows.remedy import CaseRemedy
from workflows.survey import Survey
from workflows.waits import CaseWaits, TimeToContinueAsNew, Withdrawn

with workflow.unsafe.imports_passed_through():
    from complaints import actions, guards
    from complaints.case import CaseOutcome, CaseState, CaseStatus, ComplaintWorkflowInput, Stage, TimelineEvent
    from complaints.messages import MessageKind
    from complaints.policy import propose_remedy
    from complaints.sla import ClockKind


@workflow.defn(name="ComplaintWorkflow")
class ComplaintWorkflow:
    @workflow.init
    def __init__(self, params: ComplaintWorkflowInput) -> None:
        self._case = case = CaseRecord(params.carried)
        self._waits = CaseWaits(case)
        self._display = CaseDisplay(
            case,
            waits_for=lambda state: PROCESS[state.stage].waits_for(state),
            deadlines=lambda: self._clocks.deadlines(),
        )
        self._clocks = CaseClocks(case, on_change=self._display.refresh)
        self._messenger = Messenger(
            case,
            self._waits,
            on_customer_heard=self._clocks.customer_heard,
            publish=self._display.refresh,
            on_problem=lambda where, reason: self._attention.report(where, reason),
        )
        self._attention = Attention(case, self._waits, self._messenger, self._display.refresh)
        self._outward = OutwardCalls(case)
        self._remedy = CaseRemedy(case, self._clocks)
        self._incident = IncidentCase(case)
        self._fulfilment = Fulfilment(
            case,
            self._outward,
            self._messenger,
            self._waits,
            self._clocks,
            self._remedy,
            self._incident,
            self._display.refresh,
        )
        self._actions = CaseActions(case, self._clocks, self._messenger, self._display.refresh)
        self._deadlines = DeadlineWatch(case, self._clocks, self._messenger, self._display.refresh)
        self._investigation = Investigation(case, self._clocks, self._messenger, self._waits, self._display.refresh)
        self._approvals = Approvals(case, self._messenger, self._waits, self._display.refresh)
        self._offer = Offer(case, self._clocks, self._messenger, self._waits, self._incident, self._display.refresh)
        self._survey_stage = Survey(case, self._outward, self._messenger, self._waits, self._display.refresh)
        progress = ProgressUpdates(
            case,
            self._messenger,
            sends_updates=lambda stage: PROCESS[stage].progress_updates,
            waiting_for=self._display.waiting_for,
        )
        self._background = BackgroundWork(progress, self._deadlines)
        self._closing = CaseClosing(
            case, self._clocks, self._messenger, self._outward, self._incident, self._background
        )

    @property
    def _state(self) -> CaseState:
        return self._case.state

    @workflow.run
    async def run(self, params: ComplaintWorkflowInput) -> CaseOutcome:
        if not self._case.exists:
            await open_case(self._case, self._clocks, self._attention, params.complaint, params.incident, params.rules)
            self._display.show_what_never_changes()
        self._display.refresh()
        self._background.start()
        while not self._state.stage.is_final:
            try:
                await self._attention.hold_if_needed()
                step = PROCESS[self._state.stage].step
                assert step is not None, "only final stages have no step"
                self._case.enter(await step(self))
                await self._attention.alert()
            except Withdrawn:
                self._case.enter(await self._closing.close_withdrawn())
            except TimeToContinueAsNew:
                await self._closing.continue_as_new()
            except CASE_DATA_ERRORS as error:
                if not self._attention.applies():
                    raise
                self._attention.note_error(f"the {self._state.stage.value} stage", error)
            self._display.refresh()
        await self._background.stop()
        return self._case.outcome()

    async def _acknowledge(self) -> Stage:
        if self._state.incident is not None:  # a proactive case: its first letter is the offer
            return self._incident.open()
        due = self._investigation.open()
        await self._case.once(
            steps.ACKNOWLEDGED,
            lambda: self._messenger.tell_customer(
                MessageKind.ACKNOWLEDGEMENT,
                next_step=f"I have asked our {self._case.department} team to look into what happened",
                due=due,
                regulatory=self._clocks.regulatory_promise(),
            ),
        )
        await self._outward.after_first_contact()
        return Stage.INVESTIGATING

    async def _investigate(self) -> Stage:
        await self._investigation.until_findings()
        self._clocks.stop(ClockKind.INVESTIGATION)
        self._clocks.priority_from_findings()
        self._state.investigation_due = None
        return Stage.PROPOSING

    async def _propose_remedy(self) -> Stage:
        state = self._state
        assert state.findings is not None
        standing = await self._outward.standing_for_policy()
        proposal = propose_remedy(
            state.findings,
            state.complaint,
            state.rules,
            state.proposal_versions + 1,
            standing=standing,
            as_of=state.received_at.date(),
        )
        if proposal.note:
            self._case.record("policy", proposal.note)
        return self._remedy.set_proposal(proposal)

    async def _seek_approval(self) -> Stage:
        self._clocks.open(ClockKind.APPROVAL)
        await self._approvals.until_decided()
        self._clocks.stop(ClockKind.APPROVAL)
        if self._state.approval_outcome == "rejected":
            return self._remedy.send_back_to_review(self._state.review_reason or "approval rejected")
        return self._remedy.after_approval()

    async def _make_offer(self) -> Stage:
        if await self._offer.until_answered():
            await self._incident.answered(self._state.offer_response)
            return self._remedy.apply_offer_response()
        await self._incident.lapsed()
        await self._offer.let_stand(self._remedy.resolve_now)
        return Stage.FOLLOWING_UP

    async def _fulfil(self) -> Stage:
        proposal = self._state.proposal
        assert proposal is not None
        amount_due = proposal.total - self._state.paid_total
        if amount_due > 0:
            await self._case.once(steps.paid(proposal.version), lambda: self._fulfilment.pay(amount_due))
        await self._case.once(steps.resolution(proposal.version), lambda: self._fulfilment.tell_resolution(proposal))
        return Stage.FOLLOWING_UP

    async def _follow_up(self) -> Stage:
        state = self._state
        follow_up_at = self._remedy.resolve_now()
        assert state.reopen_until is not None

        def customer_came_back() -> bool:
            return state.reopened or state.offer_response is not None

        if not await self._waits.until(customer_came_back, follow_up_at, "follow-up"):
            await self._case.once(
                steps.follow_up(state.investigation_round),
                lambda: self._messenger.tell_customer(MessageKind.FOLLOW_UP, due=state.reopen_until),
            )
            if not await self._waits.until(customer_came_back, state.reopen_until, "reopen window closes"):
                return Stage.AWAITING_FEEDBACK
        if state.offer_response is not None:
            return self._remedy.apply_offer_response()
        state.reopened, state.resolved_at, state.reopen_until = False, None, None
        return self._remedy.send_back_to_review(f"reopened by the customer: {state.review_reason}")

    async def _survey(self) -> Stage:
        await self._survey_stage.run()
        return Stage.CLOSING

    async def _close(self) -> Stage:
        return await self._closing.close()

    # -- what the Web UI, the admin script and progress updates see -------------------------------------------
    @workflow.update(description="Department findings: what happened, root cause, severity, loss.")
    def submit_findings(self, findings: actions.Findings) -> str:
        return self._actions.submit_findings(findings)

    @submit_findings.validator
    def _check_findings(self, findings: actions.Findings) -> None:
        refuse_unless(self._case, lambda state: guards.check_findings(state, findings))

    @workflow.update(description="Approve the proposed remedy (approver's limit must cover it).")
    def approve(self, approval: actions.Approval) -> str:
        return self._actions.approve(approval)

    @approve.validator
    def _check_approve(self, approval: actions.Approval) -> None:
        refuse_unless(self._case, lambda state: guards.check_approval(state, approval))

    @workflow.update(description="Reject the proposed remedy; the case goes back to review.")
    def reject(self, rejection: actions.Rejection) -> str:
        return self._actions.reject(rejection)

    @reject.validator
    def _check_reject(self, rejection: actions.Rejection) -> None:
        refuse_unless(self._case, lambda state: guards.check_rejection(state, rejection))

    @workflow.update(description="Approve a different amount than proposed.")
    def amend(self, amendment: actions.Amendment) -> str:
        return self._actions.amend(amendment)

    @amend.validator
    def _check_amend(self, amendment: actions.Amendment) -> None:
        refuse_unless(self._case, lambda state: guards.check_amendment(state, amendment))

    @workflow.signal(description="approve / reject / amend by signal: same checks; a refusal is only recorded.")
    async def decide(self, decision: actions.StaffDecision) -> None:
        await workflow.wait_condition(lambda: self._case.exists)
        self._actions.decide(decision)

    @workflow.update(description="The customer's answer to the offer: accept, decline (with reason) or counter.")
    def respond_to_offer(self, response: actions.OfferResponse) -> str:
        return self._actions.respond_to_offer(response)

    @respond_to_offer.validator
    def _check_offer_response(self, response: actions.OfferResponse) -> None:
        refuse_unless(self._case, lambda state: guards.check_offer_response(state, response))

    @workflow.update(description="Reopen a resolved complaint within the reopen window.")
    def reopen(self, reopen: actions.Reopen) -> str:
        return self._actions.reopen(reopen)

    @reopen.validator
    def _check_reopen(self, reopen: actions.Reopen) -> None:
        refuse_unless(self._case, lambda state: guards.check_reopen(state, reopen, workflow.now()))

    @workflow.update(description="The customer's satisfaction survey answer (CSAT 1-5).")
    def submit_feedback(self, feedback: actions.Feedback) -> str:
        return self._actions.submit_feedback(feedback)

    @submit_feedback.validator
    def _check_feedback(self, feedback: actions.Feedback) -> None:
        refuse_unless(self._case, lambda state: guards.check_feedback(state, feedback))

    @workflow.update(description="Give the case to another staff member, with a brief.")
    async def reassign(self, reassignment: actions.Reassignment) -> str:
        return await self._actions.reassign(reassignment)

    @reassign.validator
    def _check_reassign(self, reassignment: actions.Reassignment) -> None:
        refuse_unless(self._case, lambda state: guards.check_reassignment(state, reassignment))

    @workflow.update(description="After a refused payout: retry (cause fixed) or record it settled elsewhere.")
    def resolve_payout(self, resolution: actions.PayoutResolution) -> str:
        return self._actions.resolve_payout(resolution)

    @resolve_payout.validator
    def _check_payout_resolution(self, resolution: actions.PayoutResolution) -> None:
        refuse_unless(self._case, lambda state: guards.check_payout_resolution(state, resolution))

    @workflow.update(description="After a problem that needed a person: go on (a held stage is tried again).")
    def resume(self, resumption: actions.Resumption) -> str:
        return self._attention.resume(resumption)

    @resume.validator
    def _check_resume(self, resumption: actions.Resumption) -> None:
        refuse_unless(self._case, lambda state: guards.check_resumption(state, resumption))

    @workflow.update(description="Add an internal note to the timeline.")
    def add_note(self, note: actions.Note) -> str:
        return self._actions.add_note(note)

    @add_note.validator
    def _check_note(self, note: actions.Note) -> None:
        refuse_unless(self._case, lambda state: guards.check_note(state, note))

    @workflow.update(description="The customer withdraws the complaint.")
    def withdraw(self, withdrawal: actions.Withdrawal) -> str:
        return self._actions.withdraw(withdrawal)

    @withdraw.validator
    def _check_withdraw(self, withdrawal: actions.Withdrawal) -> None:
        refuse_unless(self._case, lambda state: guards.check_withdrawal(state, withdrawal))

    @workflow.update(description="Ask the customer for information we don't have; the SLA clock pauses.")
    async def request_information(self, request: actions.InformationRequest) -> str:
        return await self._actions.request_information(request)

    @request_information.validator
    def _check_information_request(self, request: actions.InformationRequest) -> None:
        refuse_unless(self._case, lambda state: guards.check_information_request(state, request))

    @workflow.update(description="A message from the customer, once per message_id; answers an open question.")
    async def add_customer_message(self, message: actions.CustomerMessage) -> str:
        return await self._actions.add_customer_message(message)

    @add_customer_message.validator
    def _check_customer_message(self, message: actions.CustomerMessage) -> None:
        refuse_unless(self._case, lambda state: guards.check_customer_message(state, message))

    @workflow.update(description="After refused mail: a corrected address, or post / phone via the owner.")
    def correct_contact(self, correction: actions.ContactCorrection) -> str:
        return self._actions.correct_contact(correction)

    @correct_contact.validator
    def _check_contact_correction(self, correction: actions.ContactCorrection) -> None:
        refuse_unless(self._case, lambda state: guards.check_contact_correction(state, correction))

    @workflow.update(description="Raise the priority: the SLA clocks take the shorter targets from their start.")
    def raise_priority(self, change: actions.PriorityRaise) -> str:
        return self._actions.raise_priority(change)

    @raise_priority.validator
    def _check_priority_raise(self, change: actions.PriorityRaise) -> None:
        refuse_unless(self._case, lambda state: guards.check_priority_raise(state, change))

    # -- queries ------------------------------------------------------------------------------------------------
    @workflow.query(description="Where the case stands: stage, what it waits for and until when, remedy.")
    def status(self) -> CaseStatus:
        if not self._case.exists:
            raise ApplicationError("the complaint is still being received; try again in a moment")
        waits_for, due = self._display.waiting_for()
        return self._case.status(waits_for, due, self._display.next_deadline(due))

    @workflow.query(description="The complete audit trail of the case.")
    def timeline(self) -> list[TimelineEvent]:
        return self._state.timeline if self._case.exists else []


@dataclass(frozen=True)
class StageStep:
    """A stage: what runs it, what the case then waits for, whether it sends progress updates."""

    step: Callable[[ComplaintWorkflow], Awaitable[Stage]] | None
    waits_for: Callable[[CaseState], waiting.Waiting]
    progress_updates: bool = False


PROCESS: Mapping[Stage, StageStep] = MappingProxyType(
    {
        Stage.RECEIVED: StageStep(ComplaintWorkflow._acknowledge, waiting.the_system),
        Stage.INVESTIGATING: StageStep(ComplaintWorkflow._investigate, waiting.findings, progress_updates=True),
        Stage.PROPOSING: StageStep(ComplaintWorkflow._propose_remedy, waiting.the_system, progress_updates=True),
        Stage.AWAITING_APPROVAL: StageStep(ComplaintWorkflow._seek_approval, waiting.approval, progress_updates=True),
        Stage.AWAITING_CUSTOMER: StageStep(ComplaintWorkflow._make_offer, waiting.offer_answer),
        Stage.FULFILLING: StageStep(ComplaintWorkflow._fulfil, waiting.payout, progress_updates=True),
        Stage.FOLLOWING_UP: StageStep(ComplaintWorkflow._follow_up, waiting.reopen_window),
        Stage.AWAITING_FEEDBACK: StageStep(ComplaintWorkflow._survey, waiting.survey_answer),
        Stage.CLOSING: StageStep(ComplaintWorkflow._close, waiting.the_system),
        Stage.CLOSED: StageStep(None, waiting.nothing),
        Stage.WITHDRAWN: StageStep(None, waiting.nothing),
    }
)  # The process, in order: the only list of stages and what each one does (read-only: shared by all runs).
