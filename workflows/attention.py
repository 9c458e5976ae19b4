"""When retrying cannot help: the case asks a person instead of failing for ever.

A data error inside a stage (a date the calendar cannot hold, a profile the rules lack) would
otherwise fail the workflow task on every retry, and a message that cannot be rendered or is
refused for a member of staff would be dropped in silence. Either becomes a problem on the
case: recorded, shown in the Web UI and the `ComplaintNeedsAttention` search attribute (so
`complaints admin doctor` finds it), and mailed once to the owner and team lead. A problem
inside a stage holds the case until staff resume it; the stage is then tried again (its
one-shot steps are not repeated). A message problem does not hold anything up.
"""

from __future__ import annotations

from collections.abc import Callable

from temporalio import workflow

from workflows import steps
from workflows.messenger import NEEDS_ATTENTION_PATCH, Messenger
from workflows.record import CaseRecord
from workflows.waits import CaseWaits

with workflow.unsafe.imports_passed_through():
    from complaints import questions
    from complaints.actions import Resumption
    from complaints.case import AttentionProblem
    from complaints.messages import MessageKind

# Data errors: what bad data raises in the domain code. A bug of ours (TypeError,
# AssertionError…) still fails the workflow task, to be fixed by a deployment.
CASE_DATA_ERRORS: tuple[type[Exception], ...] = (ValueError, ArithmeticError, LookupError)


class Attention:
    def __init__(self, case: CaseRecord, waits: CaseWaits, messenger: Messenger, publish: Callable[[], None]) -> None:
        self._case = case
        self._waits = waits
        self._messenger = messenger
        self._publish = publish

    @staticmethod
    def applies() -> bool:
        """False while replaying a case that ran before problems were held for people."""
        return workflow.patched(NEEDS_ATTENTION_PATCH)

    def note(self, where: str, reason: str, *, holds: bool) -> None:
        """Record a problem; while one is open, a further one only joins the timeline."""
        state = self._case.state
        self._case.record("needs attention", f"{where}: {reason}")
        if state.attention is None:
            state.attention_count += 1
            state.attention = AttentionProblem(
                number=state.attention_count, where=where, reason=reason, since=workflow.now(), holds=holds
            )
            self._publish()

    def note_error(self, where: str, error: Exception, *, holds: bool = True) -> None:
        self.note(where, f"{type(error).__name__}: {error}", holds=holds)

    async def report(self, where: str, reason: str) -> None:
        """A problem that holds nothing up: note it and alert at once."""
        self.note(where, reason, holds=False)
        await self.alert()

    async def hold_if_needed(self) -> None:
        """Before a stage runs: if a problem holds the case, alert once and wait until staff resume it."""
        problem = self._case.state.attention
        if problem is None or not problem.holds:
            return
        await self.alert()
        await self._waits.until(lambda: self._case.state.attention is None, None, "staff to resolve a problem")

    async def alert(self) -> None:
        """Tell the owner and team lead of the open problem, once (after a stage, so that a problem
        found at receipt does not hold up the customer's acknowledgement)."""
        problem = self._case.state.attention
        if problem is None or not self._case.first_time(steps.attention_alert(problem.number)):
            return
        what_now = (
            "The case is held at this point until you resume it."
            if problem.holds
            else "The case goes on meanwhile; resume it to clear this alert once the cause is dealt with."
        )
        await self._messenger.tell_staff(
            MessageKind.NEEDS_ATTENTION,
            self._case.owner_and_lead(),
            note=f"{problem.where}: {problem.reason}",
            next_step=what_now,
            history=self._case.history_lines(),
        )

    def resume(self, resumption: Resumption) -> str:
        """The update's body: the validator (guards.check_resumption) made sure a problem is open."""
        state = self._case.state
        problem = state.attention
        assert problem is not None
        self._case.answered(questions.attention(state), resumption.by, "resumed")
        self._case.record("resumed", resumption.note or f"after: {problem.where}", actor=resumption.by)
        state.attention = None
        self._publish()
        return f"{state.complaint.id} goes on" + (f" ({problem.where} is tried again)." if problem.holds else ".")
