"""The end of a run: closing a case (thanked or withdrawn), or carrying it over into a new run.

Closing stops the clocks, lets the incident's budget have back what the case still held,
and records the outcome once; continuing as new waits for every update in flight and for
what runs in the background to finish what it is sending.
"""

from __future__ import annotations

from temporalio import workflow

from workflows import steps
from workflows.background import BackgroundWork
from workflows.clocks import CaseClocks
from workflows.incident_case import IncidentCase
from workflows.messenger import Messenger
from workflows.outward import OutwardCalls
from workflows.record import CaseRecord

with workflow.unsafe.imports_passed_through():
    from complaints.case import ComplaintWorkflowInput, Stage
    from complaints.messages import MessageKind


class CaseClosing:
    def __init__(
        self,
        case: CaseRecord,
        clocks: CaseClocks,
        messenger: Messenger,
        outward: OutwardCalls,
        incident: IncidentCase,
        background: BackgroundWork,
    ) -> None:
        self._case = case
        self._clocks = clocks
        self._messenger = messenger
        self._outward = outward
        self._incident = incident
        self._background = background

    async def close(self) -> Stage:
        await self._case.once(steps.THANK_YOU, lambda: self._messenger.tell_customer(MessageKind.THANK_YOU))
        return await self._finish(Stage.CLOSED)

    async def close_withdrawn(self) -> Stage:
        withdrawal = self._case.state.withdrawal
        assert withdrawal is not None
        await self._case.once(
            steps.WITHDRAWAL_CONFIRMATION,
            lambda: self._messenger.tell_customer(
                MessageKind.WITHDRAWAL_CONFIRMATION, wait_for_contact=False, note=withdrawal.reason
            ),
        )
        return await self._finish(Stage.WITHDRAWN)

    async def _finish(self, final: Stage) -> Stage:
        state = self._case.state
        state.closed_at = state.closed_at or workflow.now()
        self._clocks.stop_all()
        await self._incident.closed()
        await self._case.once(
            steps.OUTCOME_RECORDED, lambda: self._outward.record_outcome(self._case.closing_record(final))
        )
        return final

    async def continue_as_new(self) -> None:
        state = self._case.state
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._background.stop()
        state.continued_as_new += 1
        self._case.record("continued as new", f"history reached {workflow.info().get_current_history_length()} events")
        workflow.continue_as_new(ComplaintWorkflowInput(complaint=state.complaint, carried=state))
