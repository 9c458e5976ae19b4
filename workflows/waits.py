"""Waiting inside a stage: for a condition, until a deadline, interruptible by the case itself.

Every wait of the process goes through `CaseWaits.until`, so a withdrawal or a history long
enough to continue as new interrupts any of them in the same way; the stage is re-entered
afterwards and its one-shot steps are not repeated.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from temporalio import workflow

from workflows.record import CaseRecord


class Withdrawn(Exception):
    """Raised out of any wait when the customer withdraws the complaint."""


class TimeToContinueAsNew(Exception):
    """Raised out of a wait when the history is long enough to start afresh."""


class CaseWaits:
    def __init__(self, case: CaseRecord) -> None:
        self._case = case

    async def until(self, ready: Callable[[], bool], deadline: datetime | None, summary: str) -> bool:
        """Wait for `ready()` until `deadline` (None: for ever). False when the deadline passed."""
        state = self._case.state

        def interrupted() -> bool:
            return state.withdrawal is not None or self.history_is_long()

        if deadline is not None and deadline <= workflow.now():
            return ready()
        try:
            await workflow.wait_condition(
                lambda: ready() or interrupted(),
                timeout=(deadline - workflow.now()) if deadline else None,
                timeout_summary=summary,
            )
        except TimeoutError:
            return ready()
        if ready():
            return True
        if state.withdrawal is not None:
            raise Withdrawn()
        raise TimeToContinueAsNew()

    def history_is_long(self) -> bool:
        info = workflow.info()
        limit = self._case.state.rules.continue_as_new_after_events
        return info.is_continue_as_new_suggested() or info.get_current_history_length() >= limit
