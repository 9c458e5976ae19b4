"""What runs beside the process for the whole run: progress updates and the deadline watch.

Both are started once the case exists and stopped when the run closes or continues as new;
a message either of them is sending is let finish first, never abandoned half-way.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow

from workflows.deadline_watch import DeadlineWatch
from workflows.progress import ProgressUpdates

# Cases from before this patch may have closed or continued as new mid-send; they replay so.
FINISH_SENDING_PATCH = "finish-progress-update-before-leaving"


class BackgroundWork:
    def __init__(self, progress: ProgressUpdates, deadlines: DeadlineWatch) -> None:
        self._progress = progress
        self._deadlines = deadlines
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._progress.keep_customer_informed()),
            asyncio.create_task(self._deadlines.watch()),
        ]

    async def stop(self) -> None:
        if self._progress.sending and workflow.patched(FINISH_SENDING_PATCH):
            await workflow.wait_condition(lambda: not self._progress.sending)
        if self._deadlines.announcing:
            await workflow.wait_condition(lambda: not self._deadlines.announcing)
        for task in self._tasks:
            task.cancel()
