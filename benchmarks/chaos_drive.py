"""Staff and customers of the chaos benchmark: start the complaints, watch where each one stands,
and send each planned action when its case is ready for it, through the project's own client.

Where a case stands comes from visibility (`ComplaintStage`, `AwaitingApprovalLevel`), listed every
two seconds by one task, so watching 500 cases costs the worker nothing. Every action is sent
with an update id stable per (case, step, answer): a retry after NoAnswer, a timeout or a server
restart is the same update, never a second one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path

from chaos_plan import Journey, Plan, Step
from pydantic import BaseModel
from stack import TASK_QUEUE
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError

from complaints.actions import OfferResponse
from starter.client import (
    UPDATE_FOR_ACTION,
    WORKFLOW_TYPE,
    IntakeChecks,
    Refused,
    complaint_id_of,
    rules_for_intake,
    send_action,
    start_complaints,
    update_name,
)
from workflows.search_attributes import AWAITING_APPROVAL_LEVEL, COMPLAINT_STAGE

POLL_EVERY = 2.0
ANSWER_WITHIN = timedelta(seconds=20)
RETRY_PAUSE = 2.0
REFUSALS_BEFORE_GIVING_UP = 5


@dataclass(frozen=True)
class Seen:
    stage: str
    level: str
    status: WorkflowExecutionStatus | None

    @property
    def running(self) -> bool:
        return self.status == WorkflowExecutionStatus.RUNNING


class Watcher:
    """Where every complaint stands, by visibility; drivers wait on it."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self.seen: dict[str, Seen] = {}
        self.changed = asyncio.Condition()
        self.polls = 0
        self.failed_polls = 0

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                self.seen = await self._list()
                self.polls += 1
            except Exception:  # the server is restarting: the drivers wait for the next list
                self.failed_polls += 1
            async with self.changed:
                self.changed.notify_all()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), POLL_EVERY)
        async with self.changed:
            self.changed.notify_all()

    async def _list(self) -> dict[str, Seen]:
        seen: dict[str, Seen] = {}
        query = f"WorkflowType = '{WORKFLOW_TYPE}'"
        async for execution in self._client.list_workflows(query, page_size=1000, rpc_timeout=timedelta(seconds=10)):
            complaint_id = complaint_id_of(execution.id)
            earlier = seen.get(complaint_id)
            if earlier is not None and earlier.running:
                continue  # an earlier run that continued as new is listed too: the running one counts
            attributes = execution.typed_search_attributes
            stage = attributes.get(COMPLAINT_STAGE) or ""
            level = attributes.get(AWAITING_APPROVAL_LEVEL) or ""
            seen[complaint_id] = Seen(stage, level, execution.status)
        return seen

    async def until(self, complaint_id: str, ready: Callable[[Seen], bool], stop: asyncio.Event) -> Seen | None:
        """The case as seen once `ready` (or once it stopped running); None if the run is stopped."""

        def done() -> bool:
            seen = self.seen.get(complaint_id)
            return stop.is_set() or (seen is not None and (not seen.running or ready(seen)))

        async with self.changed:
            await self.changed.wait_for(done)
        return None if stop.is_set() else self.seen.get(complaint_id)


def label(action: BaseModel) -> str:
    """How the benchmark names an answer: the offer answer, else the update's name."""
    if isinstance(action, OfferResponse):
        return action.answer.value
    return update_name(UPDATE_FOR_ACTION[type(action)])


@dataclass
class Driver:
    client: Client
    watcher: Watcher
    stop: asyncio.Event
    in_flight: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(16))
    retries: Counter[str] = field(default_factory=Counter)  # transient failures by exception type
    refusals: list[str] = field(default_factory=list)  # every refusal, with case and step
    anomalies: list[str] = field(default_factory=list)  # what no case should ever do

    async def drive(self, plan: Plan) -> None:
        """Take the case through its steps, then wait until it stops running."""
        steps = plan.steps()
        index, refused = 0, 0
        while index < len(steps) and not self.stop.is_set():
            step = steps[index]
            seen = await self.watcher.until(plan.complaint_id, partial(_ready, step=step), self.stop)
            if seen is None:
                return
            if not seen.running:
                # Closed before an optional step was ever ready for it (its window passed while
                # an earlier answer was still being retried): refused for good, in effect.
                plan.skipped.extend(s.name for s in steps[index:] if s.optional)
                return
            if await self._take(plan, step):
                index, refused = index + 1, 0
                continue
            if step.optional:
                plan.skipped.append(step.name)
                if step.name == "reopen":  # too late: the rounds after the reopening never come
                    steps = [s for s in steps[index + 1 :] if s.name == "feedback"]
                    index = 0
                else:
                    index += 1
                continue
            refused += 1
            if refused >= REFUSALS_BEFORE_GIVING_UP:
                self.anomalies.append(f"{plan.complaint_id} ({plan.journey.value}): gave up on {step.name}")
                return
            await asyncio.sleep(POLL_EVERY)
        await self.watcher.until(plan.complaint_id, lambda s: False, self.stop)

    async def _take(self, plan: Plan, step: Step) -> bool:
        """Send the step's answers at once; True if the case took one of them."""
        results = await asyncio.gather(*(self._send(plan, step, n, action) for n, action in enumerate(step.actions)))
        taken = [label(action) for action, ok in zip(step.actions, results, strict=True) if ok]
        if len(taken) > 1:
            self.anomalies.append(f"{plan.complaint_id}: {step.name} took {len(taken)} answers: {', '.join(taken)}")
        if taken:
            plan.taken[step.name] = taken[0]
            return True
        return False

    async def _send(self, plan: Plan, step: Step, number: int, action: BaseModel) -> bool:
        update_id = f"{plan.complaint_id}:{step.name}:{number}"
        while not self.stop.is_set():
            try:
                async with self.in_flight:
                    await send_action(
                        self.client, plan.complaint_id, action, answer_within=ANSWER_WITHIN, update_id=update_id
                    )
                return True
            except Refused as refusal:
                self.refusals.append(f"{plan.complaint_id} {step.name} {label(action)}: {refusal.reason}")
                return False
            except Exception as exc:  # NoAnswer, the server restarting, a worker being killed: the same again
                self.retries[type(exc).__name__] += 1
                await asyncio.sleep(RETRY_PAUSE)
        return False


def _ready(seen: Seen, step: Step) -> bool:
    return seen.stage in step.stages and (step.levels is None or seen.level in step.levels)


async def start_all(client: Client, plans: list[Plan], rules_file: Path, retries: Counter[str]) -> None:
    """Start every complaint (50 at a time; a batch is retried whole, which starting allows)."""
    checks = IntakeChecks(rules=rules_for_intake(rules_file))
    for first in range(0, len(plans), 50):
        batch = [plan.complaint() for plan in plans[first : first + 50]]
        while True:
            try:
                await start_complaints(client, batch, TASK_QUEUE, rpc_timeout=timedelta(seconds=20), checks=checks)
                break
            except (RPCError, RuntimeError, TimeoutError) as exc:
                retries[f"start: {type(exc).__name__}"] += 1
                await asyncio.sleep(RETRY_PAUSE)


def journeys_of(plans: list[Plan]) -> Counter[Journey]:
    return Counter(plan.journey for plan in plans)
