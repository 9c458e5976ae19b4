"""What runs beside the process: a progress update every N days while we work on the case.

The customer hears from us even without news. Which stages send them, and what the update
says we wait for, come from the process table (complaint.py), passed in.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime

from temporalio import workflow

from workflows.messenger import Messenger
from workflows.record import CaseRecord

with workflow.unsafe.imports_passed_through():
    from complaints.case import Stage
    from complaints.messages import MessageKind


class ProgressUpdates:
    def __init__(
        self,
        case: CaseRecord,
        messenger: Messenger,
        *,
        sends_updates: Callable[[Stage], bool],
        waiting_for: Callable[[], tuple[str, datetime | None]],
    ) -> None:
        self._case = case
        self._messenger = messenger
        self._sends_updates = sends_updates
        self._waiting_for = waiting_for
        self.sending = False
        """True while an update is being sent: the run lets it finish before it closes or continues."""

    async def keep_customer_informed(self) -> None:
        state = self._case.state
        every = state.rules.timings.progress_update_every
        while not state.stage.is_final:
            if not self._sends_updates(state.stage):
                await workflow.wait_condition(lambda: self._sends_updates(state.stage) or state.stage.is_final)
                continue
            last, stage = state.last_customer_update_at, state.stage
            next_update = last + every
            if workflow.now() >= next_update:
                waiting, due = self._waiting_for()
                self.sending = True
                try:
                    await self._messenger.tell_customer(
                        MessageKind.PROGRESS_UPDATE,
                        wait_for_contact=False,  # a missed update is retried next period
                        next_step=f"we are waiting for {waiting}",
                        due=due,
                    )
                finally:
                    self.sending = False
                if state.last_customer_update_at == last:  # delivery failed: try again next period
                    state.last_customer_update_at = workflow.now()
                continue

            def news(last: datetime = last, stage: Stage = stage) -> bool:
                return state.last_customer_update_at != last or state.stage != stage

            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    news, timeout=next_update - workflow.now(), timeout_summary="next progress update"
                )
