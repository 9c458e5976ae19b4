"""What runs throughout a case: progress updates and continue-as-new."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

from temporalio import workflow

from workflows.case_actions import CaseActions

with workflow.unsafe.imports_passed_through():
    from complaints.case import ComplaintWorkflowInput, Stage
    from complaints.messages import MessageKind

# Cases from before this patch may have closed or continued as new mid-send; they replay so.
FINISH_SENDING_PATCH = "finish-progress-update-before-leaving"

# Stages in which the customer hears from us every few days even without news.
_PROGRESS_STAGES = (Stage.INVESTIGATING, Stage.PROPOSING, Stage.AWAITING_APPROVAL, Stage.FULFILLING)


class CaseRuntime(CaseActions):
    async def _keep_customer_informed(self) -> None:
        """A progress update every N days while we are working on the case, even without news."""
        state = self.state
        every = state.rules.timings.progress_update_every
        while not state.stage.is_final:
            if state.stage not in _PROGRESS_STAGES:
                await workflow.wait_condition(lambda: state.stage in _PROGRESS_STAGES or state.stage.is_final)
                continue
            last, stage = state.last_customer_update_at, state.stage
            next_update = last + every
            if workflow.now() >= next_update:
                waiting, due = self.waiting_for()
                self._sending_progress_update = True
                try:
                    await self._tell_customer(
                        MessageKind.PROGRESS_UPDATE,
                        wait_for_contact=False,  # a missed update is retried next period
                        next_step=f"we are waiting for {waiting}",
                        due=due,
                    )
                finally:
                    self._sending_progress_update = False
                if state.last_customer_update_at == last:  # delivery failed: try again next period
                    state.last_customer_update_at = workflow.now()
                continue

            def news(last: datetime = last, stage: Stage = stage) -> bool:
                return state.last_customer_update_at != last or state.stage != stage

            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    news, timeout=next_update - workflow.now(), timeout_summary="next progress update"
                )

    async def _stop_progress_updates(self, progress_updates: asyncio.Task[None]) -> None:
        """Let a progress update being sent finish, then stop them: a run that closes or
        continues as new with the send in flight would abandon it half-way."""
        if self._sending_progress_update and workflow.patched(FINISH_SENDING_PATCH):
            await workflow.wait_condition(lambda: not self._sending_progress_update)
        progress_updates.cancel()

    async def _continue_as_new(self, progress_updates: asyncio.Task[None]) -> None:
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._stop_progress_updates(progress_updates)
        self.state.continued_as_new += 1
        self._record("continued as new", f"history reached {workflow.info().get_current_history_length()} events")
        workflow.continue_as_new(ComplaintWorkflowInput(complaint=self.state.complaint, carried=self.state))

    def _enter(self, stage: Stage) -> None:
        if self.state.stage is not stage:
            self._record("stage", f"{self.state.stage.value} → {stage.value}")
            self.state.stage = stage
        self._publish()
