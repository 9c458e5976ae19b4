"""Stage 4's waiting: ask the approvers the proposal's level needs, remind them, and at each
deadline escalate to the next level up (the top level is asked again) until someone decides.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

from temporalio import workflow

from workflows import steps
from workflows.messenger import Messenger
from workflows.record import CaseRecord
from workflows.waits import CaseWaits

with workflow.unsafe.imports_passed_through():
    from complaints.dates import when
    from complaints.messages import MessageKind


class Approvals:
    def __init__(self, case: CaseRecord, messenger: Messenger, waits: CaseWaits, publish: Callable[[], None]) -> None:
        self._case = case
        self._messenger = messenger
        self._waits = waits
        self._publish = publish

    async def until_decided(self) -> None:
        case, state = self._case, self._case.state
        timings = state.rules.timings
        while state.approval_outcome is None:
            level = state.approval_level
            assert level is not None and state.proposal is not None
            if state.approval_due is None:
                state.approval_due = workflow.now() + timings.approval
                self._publish()
            due, version = state.approval_due, state.proposal.version
            await case.once(steps.approval_request(version, level), partial(self._ask, level, due))

            def decided() -> bool:
                return state.approval_outcome is not None

            if await self._waits.until(decided, due - timings.approval_reminder_before, "approval reminder"):
                return
            await case.once(steps.approval_reminder(version, level), partial(self._remind, level, due))
            if await self._waits.until(decided, due, "approval deadline"):
                return
            await self._escalate(level, due)

    async def _ask(self, level: str, due: datetime) -> None:
        state = self._case.state
        names = ", ".join(f"{person.name} ({person.id})" for person in state.rules.approvers_at(level))
        self._case.record("approval requested", f"{level}: {names}")
        approvers = state.rules.asked_to_approve(level)
        await self._messenger.tell_staff(
            MessageKind.APPROVAL_REQUEST, approvers, proposal=state.proposal, due=due, note=names
        )

    async def _remind(self, level: str, due: datetime) -> None:
        state = self._case.state
        approvers = state.rules.asked_to_approve(level)
        await self._messenger.tell_staff(MessageKind.APPROVAL_REMINDER, approvers, proposal=state.proposal, due=due)

    async def _escalate(self, level: str, due: datetime) -> None:
        state = self._case.state
        higher = state.rules.next_level(level)
        self._case.record("approval escalated", f"no decision by {when(due)}; now {higher.name if higher else level}")
        state.approval_level, state.approval_due = (higher.name if higher else level), None
        if higher is not None:
            await self._messenger.tell_staff(MessageKind.APPROVAL_ESCALATION, state.rules.asked_to_approve(higher.name))
