"""Interruptible waits: every wait in the process goes through `_wait`.

A withdrawal or a long history can then interrupt any stage (including a message waiting
for a corrected customer address); stages are written to be re-entered afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from temporalio import workflow

from workflows.case_io import CaseIO


class Withdrawn(Exception):
    """Raised out of any wait when the customer withdraws the complaint."""


class TimeToContinueAsNew(Exception):
    """Raised out of a wait when the history is long enough to start afresh."""


class CaseWaits(CaseIO):
    async def _wait(self, ready: Callable[[], bool], until: datetime | None, summary: str) -> bool:
        """Wait for `ready()` until a deadline (None: for ever). False when the deadline passed.

        A withdrawal or a long history interrupts any wait; the stage is re-entered later.
        """
        state = self.state

        def interrupted() -> bool:
            return state.withdrawal is not None or self._history_is_long()

        if until is not None and until <= workflow.now():
            return ready()
        try:
            await workflow.wait_condition(
                lambda: ready() or interrupted(),
                timeout=(until - workflow.now()) if until else None,
                timeout_summary=summary,
            )
        except TimeoutError:
            return ready()
        if ready():
            return True
        if state.withdrawal is not None:
            raise Withdrawn()
        raise TimeToContinueAsNew()

    def _history_is_long(self) -> bool:
        info = workflow.info()
        limit = self.state.rules.continue_as_new_after_events
        return info.is_continue_as_new_suggested() or info.get_current_history_length() >= limit
