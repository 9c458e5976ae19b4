"""Stage 2's waiting: ask the department, remind it, escalate at the deadline, wait for findings.

A review after a rejection, a declined offer or a reopening is a new round, with its own
request, reminder and escalation (one-shot per round).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from temporalio import workflow

from workflows import steps
from workflows.clocks import CaseClocks
from workflows.messenger import Messenger
from workflows.record import CaseRecord
from workflows.waits import CaseWaits

with workflow.unsafe.imports_passed_through():
    from complaints.messages import MessageKind
    from complaints.sla import ClockKind


class Investigation:
    def __init__(
        self,
        case: CaseRecord,
        clocks: CaseClocks,
        messenger: Messenger,
        waits: CaseWaits,
        publish: Callable[[], None],
    ) -> None:
        self._case = case
        self._clocks = clocks
        self._messenger = messenger
        self._waits = waits
        self._publish = publish

    def open(self) -> datetime:
        """The round's deadline, set when it opens (and kept when the stage is re-entered)."""
        state = self._case.state
        if state.investigation_due is None:
            state.investigation_due = workflow.now() + state.rules.timings.investigation
        self._clocks.open(ClockKind.INVESTIGATION)
        return state.investigation_due

    async def until_findings(self) -> None:
        case, state = self._case, self._case.state
        timings, round_ = state.rules.timings, state.investigation_round
        due = self.open()
        kind = MessageKind.INVESTIGATION_REQUEST if round_ == 1 else MessageKind.REVIEW_REQUEST
        await case.once(
            steps.investigation_request(round_),
            lambda: self._messenger.tell_department(
                kind, due=due, note=state.review_reason or "", history=case.history_lines()
            ),
        )

        def findings_in() -> bool:
            return state.findings is not None

        if not await self._waits.until(
            findings_in, due - timings.investigation_reminder_before, "investigation reminder"
        ):
            await case.once(
                steps.investigation_reminder(round_),
                lambda: self._messenger.tell_department(MessageKind.INVESTIGATION_REMINDER, due=due),
            )
        if not await self._waits.until(findings_in, due, "investigation deadline"):
            await case.once(steps.investigation_escalation(round_), self._escalate)
            await self._waits.until(findings_in, None, "findings after escalation")

    async def _escalate(self) -> None:
        """The deadline passed: the team lead takes over, and the customer hears of the delay."""
        case, state = self._case, self._case.state
        lead = case.team_lead
        state.investigation_escalated = True
        case.record("escalated", f"investigation deadline passed; escalated to {lead.name}")
        self._publish()
        await self._messenger.tell_staff(MessageKind.INVESTIGATION_ESCALATION, [lead], history=case.history_lines())
        await self._messenger.tell_customer(
            MessageKind.DELAY_NOTICE,
            next_step=f"{lead.name} is now overseeing the investigation personally",
            due=workflow.now() + state.rules.timings.progress_update_every,
        )
