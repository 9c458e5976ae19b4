"""What the lifecycle benchmark drives and reads: the two paths a complaint takes, the staff and
customer who answer each case as soon as visibility shows it waiting, the bare workflow's shape
counted from our own histories, and the CPU a process has used.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from bare_lifecycle import UPDATE_NAME, BareSpec, Segment
from pydantic import BaseModel
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.service import RPCError

from complaints.actions import Approval, Feedback, Findings, OfferAnswer, OfferResponse
from complaints.case import Stage
from complaints.intake import ComplaintInput
from starter.client import NoAnswer, Refused, send_action
from workflows.search_attributes import COMPLAINT_STAGE

ANSWER_WITHIN = timedelta(seconds=60)
POLL_EVERY = 0.5
SEND_CONCURRENCY = 32


@dataclass(frozen=True)
class Step:
    stage: str
    action: Callable[[int], BaseModel]


def findings(loss: Callable[[int], Decimal]) -> Callable[[int], Findings]:
    return lambda i: Findings(
        submitted_by="sam",
        summary=f"Charged twice (case {i})",
        root_cause="retry",
        root_cause_code="billing.duplicate-charge",
        severity=1,
        financial_loss=loss(i),
    )


ACCEPT = OfferResponse(answer=OfferAnswer.ACCEPT, recorded_by="alex")
FEEDBACK = Feedback(csat=5, comment="Fine")

# Auto-approved: findings within auto-approval, the offer accepted, the survey answered.
AUTO = (
    Step(Stage.INVESTIGATING.value, findings(lambda i: Decimal(20 + i % 25))),
    Step(Stage.AWAITING_CUSTOMER.value, lambda i: ACCEPT),
    Step(Stage.AWAITING_FEEDBACK.value, lambda i: FEEDBACK),
)
# Two approval levels and a counter-offer: the team lead approves 300, the customer counters
# with 800, the manager approves the counter (agreed, so paid at once), the survey answered.
TWO_LEVELS = (
    Step(Stage.INVESTIGATING.value, findings(lambda i: Decimal(300))),
    Step(Stage.AWAITING_APPROVAL.value, lambda i: Approval(approver_id="tl-jordan")),
    Step(
        Stage.AWAITING_CUSTOMER.value,
        lambda i: OfferResponse(answer=OfferAnswer.COUNTER, counter_amount=Decimal(800), reason="more"),
    ),
    Step(Stage.AWAITING_APPROVAL.value, lambda i: Approval(approver_id="mgr-dana")),
    Step(Stage.AWAITING_FEEDBACK.value, lambda i: FEEDBACK),
)
PATHS = {"auto": AUTO, "two-levels": TWO_LEVELS}


def complaint(run: str, path: str, number: int) -> ComplaintInput:
    return ComplaintInput.model_validate(
        {
            "id": f"LC-{run}-{path}-{number:05d}",
            "customer": {
                "id": f"cust-{run}-{path}-{number}",
                "name": f"Customer {number}",
                "email": f"c{number}.{path}.{run}@customers.example",
            },
            "category": "billing",
            "priority": "low",
            "description": "Charged twice for one order.",
            "desired_remedy": "refund",
        }
    )


# -- driving ---------------------------------------------------------------------------------------


@dataclass
class Case:
    workflow_id: str
    stages: list[str]  # the stage each answer waits for, in order
    send: Callable[[int], Awaitable[None]]  # answer n (0-based); raises Refused when not taken
    answered: int = 0
    busy: bool = False


@dataclass
class Drive:
    client: Client
    query: str  # the visibility query of the run's workflows
    cases: dict[str, Case]
    refusals: int = 0
    no_answers: int = 0
    polls: int = 0
    _limit: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(SEND_CONCURRENCY))

    async def until_all_closed(self, within: float) -> float:
        """Answer each case when visibility shows it waiting; the seconds until every one completed."""
        began = time.monotonic()
        pending: set[asyncio.Task[None]] = set()
        while time.monotonic() - began < within:
            self.polls += 1
            async for execution in self.client.list_workflows(
                f'{self.query} AND ExecutionStatus="Running"', rpc_timeout=ANSWER_WITHIN
            ):
                case = self.cases.get(execution.id)
                stage = execution.typed_search_attributes.get(COMPLAINT_STAGE)
                if case is None or case.busy or case.answered >= len(case.stages):
                    continue
                if stage == case.stages[case.answered]:
                    case.busy = True
                    task = asyncio.create_task(self._answer(case))
                    pending.add(task)
                    task.add_done_callback(pending.discard)
            done = await self.client.count_workflows(
                f'{self.query} AND ExecutionStatus="Completed"', rpc_timeout=ANSWER_WITHIN
            )
            if done.count == len(self.cases):
                return time.monotonic() - began
            await asyncio.sleep(POLL_EVERY)
        raise TimeoutError(f"not every case closed within {within:.0f}s")

    async def _answer(self, case: Case) -> None:
        try:
            async with self._limit:
                await case.send(case.answered)
            case.answered += 1
        except Refused:
            self.refusals += 1  # visibility was behind: asked again at the next poll
        except (NoAnswer, RPCError, TimeoutError):
            self.no_answers += 1
        finally:
            case.busy = False


def our_case(client: Client, workflow_id: str, complaint_id: str, steps: tuple[Step, ...], index: int) -> Case:
    async def send(n: int) -> None:
        step = steps[n]
        await send_action(
            client,
            complaint_id,
            step.action(index),
            answer_within=ANSWER_WITHIN,
            update_id=f"lifecycle-{complaint_id}-{n}",
        )

    return Case(workflow_id, [step.stage for step in steps], send)


def bare_case(client: Client, workflow_id: str, spec: BareSpec) -> Case:
    async def send(n: int) -> None:
        handle = client.get_workflow_handle(workflow_id)
        try:
            await handle.execute_update(
                UPDATE_NAME, n + 1, id=f"{workflow_id}-{n}", rpc_timeout=ANSWER_WITHIN, result_type=int
            )
        except Exception as exc:
            if "not the one awaited" in str(exc):
                raise Refused(str(exc)) from exc
            raise

    return Case(workflow_id, [spec.stage(n + 1) for n in range(spec.answers)], send)


# -- reading histories -----------------------------------------------------------------------------


@dataclass
class Shape:
    """What a run's histories hold, per case."""

    events: float
    history_bytes: float
    activities: float
    timers: float
    updates: float
    workflow_tasks: float
    bytes_by_event: dict[str, float] = field(default_factory=dict)  # the heaviest event types

    def heaviest(self, top: int = 4) -> str:
        ordered = sorted(self.bytes_by_event.items(), key=lambda item: -item[1])[:top]
        return ", ".join(f"{name} {size / 1024:.1f}" for name, size in ordered)


async def read_shape(client: Client, workflow_ids: list[str]) -> Shape:
    totals = {"events": 0, "bytes": 0, "activities": 0, "timers": 0, "updates": 0, "tasks": 0}
    by_event: Counter[str] = Counter()
    limit = asyncio.Semaphore(SEND_CONCURRENCY)

    async def one(workflow_id: str) -> None:
        async with limit:
            history = await client.get_workflow_handle(workflow_id).fetch_history(rpc_timeout=ANSWER_WITHIN)
        totals["events"] += len(history.events)
        for event in history.events:
            kind = event.event_type
            size = event.ByteSize()
            totals["bytes"] += size
            by_event[EventType.Name(kind).removeprefix("EVENT_TYPE_")] += size
            totals["activities"] += kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
            totals["timers"] += kind == EventType.EVENT_TYPE_TIMER_STARTED
            totals["updates"] += kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
            totals["tasks"] += kind == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED

    await asyncio.gather(*(one(w) for w in workflow_ids))
    n = max(1, len(workflow_ids))
    per_case = {key: value / n for key, value in totals.items()}
    return Shape(
        events=per_case["events"],
        history_bytes=per_case["bytes"],
        activities=per_case["activities"],
        timers=per_case["timers"],
        updates=per_case["updates"],
        workflow_tasks=per_case["tasks"],
        bytes_by_event={name: size / n for name, size in by_event.items()},
    )


async def bare_spec_from(client: Client, workflow_id: str) -> BareSpec:
    """The shape of one of our cases: activities and fired timers between accepted updates, and
    how many timers it started that never fired (clocks, cancelled or left at the end)."""
    history = await client.get_workflow_handle(workflow_id).fetch_history(rpc_timeout=ANSWER_WITHIN)
    segments = [Segment(activities=0)]
    durations: dict[int, int] = {}
    started = fired = 0
    for event in history.events:
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            segments.append(Segment(activities=0))
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            segments[-1].activities += 1
        elif kind == EventType.EVENT_TYPE_TIMER_STARTED:
            started += 1
            timeout = event.timer_started_event_attributes.start_to_fire_timeout
            durations[event.event_id] = timeout.seconds * 1000 + timeout.nanos // 1_000_000
        elif kind == EventType.EVENT_TYPE_TIMER_FIRED:
            fired += 1
            segments[-1].fired_timers_ms.append(durations[event.timer_fired_event_attributes.started_event_id])
    return BareSpec(segments=segments, open_timers=started - fired)


# -- CPU -------------------------------------------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU the process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS
