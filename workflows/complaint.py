"""ComplaintWorkflow: one complaint, from receipt to closure, as one durable workflow.

`run` walks the stages in process order (see `_advance`); each stage is a small method
that can be re-entered after continue-as-new without repeating itself. Staff and customer
actions arrive as updates whose validators (complaints.guards) refuse what the case
cannot take now.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow

from workflows.case_io import DURABLE_RETRY, when
from workflows.case_waits import TimeToContinueAsNew, Withdrawn
from workflows.remedy_stages import RemedyStages

with workflow.unsafe.imports_passed_through():
    from complaints.case import CaseOutcome, CaseState, ComplaintWorkflowInput, Stage
    from complaints.intake import ComplaintInput
    from complaints.messages import MessageKind, SurveyHistory, SurveyQuery
    from complaints.rules import CaseRules
    from complaints.sla import ClockKind
    from workflows import search_attributes as sa


# Cases from before survey fatigue was checked replay without the check.
SURVEY_FATIGUE_PATCH = "survey-fatigue"


@workflow.defn(name="ComplaintWorkflow")
class ComplaintWorkflow(RemedyStages):
    @workflow.init
    def __init__(self, params: ComplaintWorkflowInput) -> None:
        self._state = params.carried
        self._published = {}
        self._sending_progress_update = False

    @workflow.run
    async def run(self, params: ComplaintWorkflowInput) -> CaseOutcome:
        if self._state is None:
            await self._receive(params.complaint)
        self._publish()
        progress_updates = asyncio.create_task(self._keep_customer_informed())
        deadlines = asyncio.create_task(self._watch_deadlines())
        while not self.state.stage.is_final:
            try:
                await self._advance()
            except Withdrawn:
                await self._close_withdrawn()
            except TimeToContinueAsNew:
                await self._continue_as_new(progress_updates, deadlines)
            self._publish()
        await self._stop_background(progress_updates, deadlines)
        return self._outcome()

    async def _advance(self) -> None:
        """One stage of the process, in the order a complaint goes through them."""
        match self.state.stage:
            case Stage.RECEIVED:
                await self._acknowledge()
            case Stage.INVESTIGATING:
                await self._investigate()
            case Stage.PROPOSING:
                await self._propose_remedy()
            case Stage.AWAITING_APPROVAL:
                await self._seek_approval()
            case Stage.AWAITING_CUSTOMER:
                await self._make_offer()
            case Stage.FULFILLING:
                await self._fulfil()
            case Stage.FOLLOWING_UP:
                await self._follow_up()
            case Stage.AWAITING_FEEDBACK:
                await self._survey()
            case Stage.CLOSING:
                await self._close()

    # -- 1. receive and acknowledge -----------------------------------------------------------

    async def _receive(self, complaint: ComplaintInput) -> None:
        rules = await workflow.execute_activity(
            "load_case_rules",
            result_type=CaseRules,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=DURABLE_RETRY,
            summary="load and pin the case rules",
        )
        now = workflow.now()
        self._state = CaseState(
            complaint=complaint,
            rules=rules,
            owner_id=rules.routing[complaint.category].owner,
            received_at=complaint.received_at or now,
            last_customer_update_at=now,
        )
        self.state.priority = self.state.priority or self._derived_priority()
        self._record("received", f"{complaint.category.value} complaint, priority {self.state.current_priority.value}")
        self._record("assigned", f"owner {self.owner.name} ({self.owner.id}); rules {rules.version}")
        self._start_clocks()
        workflow.upsert_search_attributes(
            [
                sa.COMPLAINT_PRIORITY.value_set(self.state.current_priority.value),
                sa.COMPLAINT_CATEGORY.value_set(complaint.category.value),
                sa.CUSTOMER_ID.value_set(complaint.customer.id),
            ]
        )

    async def _acknowledge(self) -> None:
        self._open_investigation()
        if not self._done("acknowledged"):
            await self._tell_customer(
                MessageKind.ACKNOWLEDGEMENT,
                next_step=f"I have asked our {self._department} team to look into what happened",
                due=self.state.investigation_due,
                regulatory=self._regulatory_promise(),
            )
            self._mark_done("acknowledged")
        self._enter(Stage.INVESTIGATING)

    # -- 2. investigate -------------------------------------------------------------------------

    @property
    def _department(self) -> str:
        return self.state.rules.routing[self.state.complaint.category].department

    def _open_investigation(self) -> None:
        if self.state.investigation_due is None:
            self.state.investigation_due = workflow.now() + self.state.rules.timings.investigation
        self._open_clock(ClockKind.INVESTIGATION)

    async def _investigate(self) -> None:
        state, timings = self.state, self.state.rules.timings
        self._open_investigation()
        due = state.investigation_due
        assert due is not None
        round_ = state.investigation_round
        if not self._done(f"investigation-request-{round_}"):
            kind = MessageKind.INVESTIGATION_REQUEST if round_ == 1 else MessageKind.REVIEW_REQUEST
            await self._tell_department(kind, due=due, note=state.review_reason or "", history=self._history_lines())
            self._mark_done(f"investigation-request-{round_}")

        def findings_in() -> bool:
            return state.findings is not None

        reminder_at = due - timings.investigation_reminder_before
        reminded = self._done(f"investigation-reminder-{round_}")
        if not await self._wait(findings_in, reminder_at, "investigation reminder") and not reminded:
            await self._tell_department(MessageKind.INVESTIGATION_REMINDER, due=due)
            self._mark_done(f"investigation-reminder-{round_}")
        if not await self._wait(findings_in, due, "investigation deadline"):
            if not self._done(f"investigation-escalation-{round_}"):
                await self._escalate_investigation()
                self._mark_done(f"investigation-escalation-{round_}")
            await self._wait(findings_in, None, "findings after escalation")
        self._stop_clock(ClockKind.INVESTIGATION)
        self._priority_from_findings()
        state.investigation_due = None
        self._enter(Stage.PROPOSING)

    async def _escalate_investigation(self) -> None:
        lead = self.team_lead
        self.state.investigation_escalated = True
        self._record("escalated", f"investigation deadline passed; escalated to {lead.name}")
        self._publish()
        await self._tell_staff(MessageKind.INVESTIGATION_ESCALATION, [lead], history=self._history_lines())
        await self._tell_customer(
            MessageKind.DELAY_NOTICE,
            next_step=f"{lead.name} is now overseeing the investigation personally",
            due=workflow.now() + self.state.rules.timings.progress_update_every,
        )

    # -- 3. to 6. propose, approve, offer and pay: see remedy_stages.py ------------------------------

    # -- 7. follow up -----------------------------------------------------------------------------------

    async def _follow_up(self) -> None:
        state = self.state
        follow_up_at = self._resolve_now()
        assert state.reopen_until is not None

        def customer_came_back() -> bool:
            return state.reopened or state.offer_response is not None

        if not await self._wait(customer_came_back, follow_up_at, "follow-up"):
            if not self._done(f"follow-up-{state.investigation_round}"):
                await self._tell_customer(MessageKind.FOLLOW_UP, due=state.reopen_until)
                self._mark_done(f"follow-up-{state.investigation_round}")
            if not await self._wait(customer_came_back, state.reopen_until, "reopen window closes"):
                self._enter(Stage.AWAITING_FEEDBACK)
                return
        if state.offer_response is not None:
            self._apply_offer_response()
            return
        state.reopened, state.resolved_at, state.reopen_until = False, None, None
        self._send_back_to_review(f"reopened by the customer: {state.review_reason}")

    # -- 8. feedback and thanks ----------------------------------------------------------------------------

    async def _survey(self) -> None:
        state, timings = self.state, self.state.rules.timings
        if self._done("survey-suppressed") or (state.survey_started_at is None and await self._surveyed_recently()):
            self._enter(Stage.CLOSING)
            return
        if state.survey_started_at is None:
            state.survey_started_at = workflow.now()
            self._publish()
            await self._tell_customer(
                MessageKind.SURVEY_INVITATION, due=state.survey_started_at + timings.survey_expires_after
            )
        started, expires = state.survey_started_at, state.survey_started_at + timings.survey_expires_after

        def answered() -> bool:
            return state.feedback is not None

        if not await self._wait(answered, started + timings.survey_reminder_after, "survey reminder"):
            if not self._done("survey-reminder"):
                await self._tell_customer(MessageKind.SURVEY_REMINDER, due=expires)
                self._mark_done("survey-reminder")
            if not await self._wait(answered, expires, "survey expires"):
                self._record("survey expired", "no answer")
        self._enter(Stage.CLOSING)

    async def _surveyed_recently(self) -> bool:
        """Survey fatigue: another case of this customer's invited them within the window."""
        if not workflow.patched(SURVEY_FATIGUE_PATCH):
            return False
        window = self.state.rules.timings.survey_fatigue_window
        query = SurveyQuery(
            customer_id=self.state.complaint.customer.id,
            since=workflow.now() - window,
            exclude_workflow_id=workflow.info().workflow_id,
        )
        summary = "check when the customer was last surveyed"
        last = (await self._read("customer_surveyed_since", query, SurveyHistory, summary)).last_invited_at
        if last is None:
            return False
        self._record("survey suppressed", f"the customer was surveyed on {when(last)}, within {window.days} days")
        self._mark_done("survey-suppressed")
        return True

    async def _close(self) -> None:
        if not self._done("thank-you"):
            await self._tell_customer(MessageKind.THANK_YOU)
            self._mark_done("thank-you")
        await self._finish(Stage.CLOSED)

    async def _close_withdrawn(self) -> None:
        withdrawal = self.state.withdrawal
        assert withdrawal is not None
        if not self._done("withdrawal-confirmation"):
            await self._tell_customer(
                MessageKind.WITHDRAWAL_CONFIRMATION, wait_for_contact=False, note=withdrawal.reason
            )
            self._mark_done("withdrawal-confirmation")
        await self._finish(Stage.WITHDRAWN)

    # -- 9. close and learn ----------------------------------------------------------------------------------

    async def _finish(self, final: Stage) -> None:
        self.state.closed_at = self.state.closed_at or workflow.now()
        self._stop_all_clocks()
        if not self._done("outcome-recorded"):
            await self._record_outcome(self._outcome(final))
            self._mark_done("outcome-recorded")
        self._enter(final)
