"""The bare Temporal baseline of the lifecycle benchmark: a workflow with the same shape as a
complaint's (activities, timers and updates, counted from a real case's history) and nothing
else: no-op activities, no domain code, one search attribute per wait.

Run as a worker process by `benchmarks/lifecycle.py` (`python benchmarks/bare_lifecycle.py`,
with TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and BARE_TASK_QUEUE set), with the SDK's defaults, as
our worker has: the sandboxed runner and the pydantic data converter.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from functools import partial

from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.search_attributes import COMPLAINT_STAGE

WORKFLOW_NAME = "BareLifecycle"
UPDATE_NAME = "answer"
CLOSED = "Closed"


class Segment(BaseModel):
    """What the case does between one staff answer and the next (or the end)."""

    activities: int
    fired_timers_ms: list[int] = []


class BareSpec(BaseModel):
    """A complaint's shape: `segments[n]` runs before answer n+1 is awaited; the last one after
    the last answer. `open_timers` are started at once and cancelled at the end (the clocks)."""

    segments: list[Segment]
    open_timers: int

    @property
    def answers(self) -> int:
        return len(self.segments) - 1

    def stage(self, answer: int) -> str:
        """The ComplaintStage value the workflow shows while waiting for `answer` (1-based)."""
        return f"Bare-{answer}"


@activity.defn(name="bare_step")
async def bare_step(number: int) -> int:
    return number


@workflow.defn(name=WORKFLOW_NAME)
class BareLifecycle:
    def __init__(self) -> None:
        self._answered = 0

    @workflow.run
    async def run(self, spec: BareSpec) -> int:
        clocks = [asyncio.ensure_future(workflow.sleep(timedelta(days=30))) for _ in range(spec.open_timers)]
        steps = 0
        for number, segment in enumerate(spec.segments):
            for _ in range(segment.activities):
                steps += 1
                await workflow.execute_activity(
                    bare_step,
                    steps,
                    start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=RetryPolicy(maximum_attempts=3),
                )
            for milliseconds in segment.fired_timers_ms:
                await workflow.sleep(timedelta(milliseconds=milliseconds))
            if number < spec.answers:
                workflow.upsert_search_attributes([COMPLAINT_STAGE.value_set(spec.stage(number + 1))])
                await workflow.wait_condition(partial(self._answered_beyond, number))
        for clock in clocks:
            clock.cancel()
        workflow.upsert_search_attributes([COMPLAINT_STAGE.value_set(CLOSED)])
        return steps

    def _answered_beyond(self, number: int) -> bool:
        return self._answered > number

    @workflow.update(name=UPDATE_NAME)
    def answer(self, number: int) -> int:
        self._answered = number
        return number

    @answer.validator
    def check_answer(self, number: int) -> None:
        if number != self._answered + 1:
            raise ValueError(f"answer {number} is not the one awaited ({self._answered + 1})")
