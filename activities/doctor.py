"""Which cases are not moving, and why: what `complaints admin doctor` prints and the scheduled check mails.

It finds candidates the cheap way — visibility queries on search attributes, and the outbox's
retry counts in the app database — and only then looks closer at those few cases (their
history's last failure, their status query, their pending activities). It never describes
every open case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import SearchAttributeKey
from temporalio.service import RPCError

from activities.db import OutboxRow, as_utc
from complaints.case import CaseStatus
from complaints.dates import visibility_time, when
from complaints.stuck import Problem, StuckCase

# What the workflow upserts (workflows/search_attributes.py; a test keeps them equal). Importing
# the workflows package from here would tie the activities to the workflow code.
COMPLAINT_STAGE = SearchAttributeKey.for_keyword("ComplaintStage")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("NextDeadline")

WORKFLOW_TYPE = "ComplaintWorkflow"
STATUS_QUERY = "status"  # ComplaintWorkflow.status, by name: activities do not import workflows
WHY_LENGTH = 300


@dataclass(frozen=True)
class DoctorLimits:
    attempts: int = 5  # an activity or a mail past this many attempts is reported
    grace: timedelta = timedelta(minutes=15)  # how long a passed deadline may stand unanswered
    failed_within: timedelta = timedelta(days=7)  # failed cases closed this recently are listed


def _found(workflow_id: str, problem: Problem, since: datetime | None, why: str) -> StuckCase:
    return StuckCase(workflow_id=workflow_id, problem=problem, since=since, why=_short(why))


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= WHY_LENGTH else text[: WHY_LENGTH - 1] + "…"


class CaseDoctor:
    def __init__(self, client: Client, engine: AsyncEngine | None, limits: DoctorLimits = DoctorLimits()) -> None:
        self._client = client
        self._engine = engine
        self._limits = limits

    async def examine(self, now: datetime) -> list[StuckCase]:
        """Every case not moving, each problem once, oldest first."""
        found: list[StuckCase] = []
        found += await self._failing_workflow_tasks()
        found += await self._needing_attention()
        found += await self._past_deadline(now)
        found += await self._retrying(found)
        found += await self._failed(now)
        unique = {case.key: case for case in found}
        return sorted(unique.values(), key=lambda case: (case.since is None, case.since or now, case.workflow_id))

    async def _running(self, condition: str) -> list[str]:
        query = f"WorkflowType = '{WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' AND {condition}"
        return [execution.id async for execution in self._client.list_workflows(query)]

    async def _failing_workflow_tasks(self) -> list[StuckCase]:
        """The server marks a run whose workflow task keeps failing (TemporalReportedProblems)."""
        cases = []
        for workflow_id in await self._running("TemporalReportedProblems IS NOT NULL"):
            since, why = await self._last_failure(workflow_id, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)
            cases.append(_found(workflow_id, Problem.WORKFLOW_TASK_FAILING, since, why))
        return cases

    async def _needing_attention(self) -> list[StuckCase]:
        cases = []
        for workflow_id in await self._running("ComplaintNeedsAttention = true"):
            since, why = None, "the case needs a person (its status could not be read now)"
            try:
                status = await self._client.get_workflow_handle(workflow_id).query(STATUS_QUERY, result_type=CaseStatus)
                if status.attention is not None:
                    since = status.attention.since
                    held = "held until resumed" if status.attention.holds else "goes on meanwhile"
                    why = f"{status.attention.where}: {status.attention.reason} ({held})"
            except Exception as error:  # a query fails while no worker runs: the finding stands
                why += f": {type(error).__name__}"
            cases.append(_found(workflow_id, Problem.NEEDS_ATTENTION, since, why))
        return cases

    async def _past_deadline(self, now: datetime) -> list[StuckCase]:
        cutoff = visibility_time(now - self._limits.grace)
        query = f"WorkflowType = '{WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' AND NextDeadline < '{cutoff}'"
        cases = []
        async for execution in self._client.list_workflows(query):
            deadline = execution.typed_search_attributes.get(NEXT_DEADLINE)
            stage = execution.typed_search_attributes.get(COMPLAINT_STAGE) or "?"
            why = f"stage {stage}: its next deadline ({when(deadline)}) passed and nothing has acted on it"
            cases.append(_found(execution.id, Problem.PAST_DEADLINE, deadline, why))
        return cases

    async def _retrying(self, already: list[StuckCase]) -> list[StuckCase]:
        """Mail past N attempts (from the outbox), and any activity past N attempts on the cases found so far;
        each case described once, and only running ones reported (a closed case's outbox rows stay pending)."""
        mail = await self._mail_retrying()
        cases: list[StuckCase] = []
        for workflow_id in sorted({case.workflow_id for case in already + mail}):
            try:
                description = await self._client.get_workflow_handle(workflow_id).describe()
            except RPCError:
                continue
            if description.status is not WorkflowExecutionStatus.RUNNING:
                continue
            cases += [case for case in mail if case.workflow_id == workflow_id]
            for pending in description.raw_description.pending_activities:
                if pending.attempt >= self._limits.attempts:
                    failure = pending.last_failure.message or "no failure recorded"
                    why = f"{pending.activity_type.name}: attempt {pending.attempt}, last failure: {failure}"
                    since = pending.last_attempt_complete_time.ToDatetime().replace(tzinfo=UTC)
                    cases.append(_found(workflow_id, Problem.ACTIVITY_RETRYING, since, why))
        return cases

    async def _mail_retrying(self) -> list[StuckCase]:
        if self._engine is None:
            return []
        outbox = OutboxRow.__table__
        statement = select(outbox).where(
            outbox.c.status == "pending",
            outbox.c.attempts >= self._limits.attempts,
            ~outbox.c.idempotency_key.startswith("doctor:", autoescape=True),
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(statement)).all()
        cases = []
        for row in rows:
            workflow_id = cast(str, row.idempotency_key).rsplit(":", 2)[0]
            why = f"{row.kind} to {row.recipient}: {row.attempts} attempts, last error: {row.last_error or '?'}"
            since = as_utc(row.created_at)
            cases.append(_found(workflow_id, Problem.MAIL_RETRYING, since, why))
        return cases

    async def _failed(self, now: datetime) -> list[StuckCase]:
        cutoff = visibility_time(now - self._limits.failed_within)
        query = f"WorkflowType = '{WORKFLOW_TYPE}' AND ExecutionStatus = 'Failed' AND CloseTime > '{cutoff}'"
        cases = []
        async for execution in self._client.list_workflows(query):
            _, why = await self._last_failure(execution.id, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED)
            cases.append(_found(execution.id, Problem.FAILED, execution.close_time, why))
        return cases

    async def _last_failure(self, workflow_id: str, event_type: EventType.ValueType) -> tuple[datetime | None, str]:
        """When and why the run last failed this way, from its history (only read for the few cases found)."""
        since, why = None, "no failure in the history yet"
        async for event in self._client.get_workflow_handle(workflow_id).fetch_history_events():
            if event.event_type != event_type:
                continue
            since = event.event_time.ToDatetime().replace(tzinfo=UTC)
            if event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                failure = event.workflow_task_failed_event_attributes.failure
            else:
                failure = event.workflow_execution_failed_event_attributes.failure
            messages = [failure.message]
            while failure.HasField("cause"):  # "Failed decoding arguments" says little; its cause says which field
                failure = failure.cause
                messages.append(failure.message)
            why = ": ".join(messages)
        return since, why
