"""Stage 8: the satisfaction survey, sent once per case, suppressed when another case of the
customer's surveyed them recently (survey fatigue), with one reminder before it expires.
"""

from __future__ import annotations

from collections.abc import Callable

from temporalio import workflow

from workflows import steps
from workflows.messenger import Messenger
from workflows.outward import OutwardCalls
from workflows.record import CaseRecord
from workflows.waits import CaseWaits

with workflow.unsafe.imports_passed_through():
    from complaints.dates import when
    from complaints.messages import MessageKind

# Cases from before survey fatigue was checked replay without the check.
SURVEY_FATIGUE_PATCH = "survey-fatigue"


class Survey:
    def __init__(
        self,
        case: CaseRecord,
        outward: OutwardCalls,
        messenger: Messenger,
        waits: CaseWaits,
        publish: Callable[[], None],
    ) -> None:
        self._case = case
        self._outward = outward
        self._messenger = messenger
        self._waits = waits
        self._publish = publish

    async def run(self) -> None:
        case, state = self._case, self._case.state
        timings = state.rules.timings
        if case.done(steps.SURVEY_SUPPRESSED) or (state.survey_started_at is None and await self._surveyed_recently()):
            return
        if state.survey_started_at is None:
            state.survey_started_at = workflow.now()
            self._publish()
            await self._messenger.tell_customer(
                MessageKind.SURVEY_INVITATION, due=state.survey_started_at + timings.survey_expires_after
            )
        started, expires = state.survey_started_at, state.survey_started_at + timings.survey_expires_after

        def answered() -> bool:
            return state.feedback is not None

        if not await self._waits.until(answered, started + timings.survey_reminder_after, "survey reminder"):
            await case.once(
                steps.SURVEY_REMINDER, lambda: self._messenger.tell_customer(MessageKind.SURVEY_REMINDER, due=expires)
            )
            if not await self._waits.until(answered, expires, "survey expires"):
                case.record("survey expired", "no answer")

    async def _surveyed_recently(self) -> bool:
        if not workflow.patched(SURVEY_FATIGUE_PATCH):
            return False
        window = self._case.state.rules.timings.survey_fatigue_window
        last = await self._outward.customer_last_surveyed(workflow.now() - window)
        if last is None:
            return False
        self._case.record("survey suppressed", f"the customer was surveyed on {when(last)}, within {window.days} days")
        self._case.mark(steps.SURVEY_SUPPRESSED)
        return True
