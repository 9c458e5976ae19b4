"""What the incident workflow does besides deciding: its timeline, waits, staff notices and activities.

The incident asks for an approval (of the scheme, or of more budget) the way a case does:
the approvers of the level the amount needs are mailed, reminded before the deadline, and
at the deadline the next level up is asked, until someone decides.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from workflows.outward import DURABLE_RETRY

with workflow.unsafe.imports_passed_through():
    from complaints import contracts
    from complaints.case import TimelineEvent
    from complaints.contracts import ActivityContract
    from complaints.dates import when
    from complaints.incident_state import IncidentState
    from complaints.messages import CaseBrief, MessageKind, MessageRequest, Recipient
    from complaints.rules import StaffMember

MESSAGE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_interval=timedelta(minutes=5))
CONTINUE_AS_NEW_AFTER_EVENTS = 2000
TIMELINE_KEPT = 200  # the incident's own timeline; every customer's story is in their case


class Interrupted(Exception):
    """Raised out of a wait: the incident is closing, must assess again, or must continue as new."""


class IncidentDesk:
    def __init__(self, state: Callable[[], IncidentState]) -> None:
        self._state = state

    # -- the timeline and one-shot steps -----------------------------------------------------------

    def record(self, kind: str, detail: str, actor: str = "system") -> None:
        timeline = self._state().timeline
        timeline.append(TimelineEvent(at=workflow.now(), kind=kind, detail=detail, actor=actor))
        del timeline[:-TIMELINE_KEPT]

    def first_time(self, key: str) -> bool:
        done = self._state().done
        if key in done:
            return False
        done.append(key)
        return True

    # -- waiting ------------------------------------------------------------------------------------

    def history_is_long(self) -> bool:
        info = workflow.info()
        return info.is_continue_as_new_suggested() or info.get_current_history_length() >= CONTINUE_AS_NEW_AFTER_EVENTS

    def interrupted(self) -> bool:
        state = self._state()
        return state.closing is not None or state.reassess or self.history_is_long()

    async def until(self, ready: Callable[[], bool], deadline: datetime | None, summary: str) -> bool:
        """Wait for `ready()` until `deadline` (None: for ever); False when the deadline passed.
        Raises `Interrupted` when the incident is closing, must assess again or continue as new."""
        if deadline is not None and deadline <= workflow.now():
            return ready()
        try:
            await workflow.wait_condition(
                lambda: ready() or self.interrupted(),
                timeout=(deadline - workflow.now()) if deadline else None,
                timeout_summary=summary,
            )
        except TimeoutError:
            return ready()
        if ready():
            return True
        raise Interrupted()

    # -- approvals ------------------------------------------------------------------------------------

    async def until_approved(self, approved: Callable[[], bool], amount: Decimal, what: str, key: str) -> None:
        """Ask the level `amount` needs, remind, escalate at each deadline; until `approved()`."""
        state = self._state()
        rules, timings = state.rules, state.rules.timings
        level = rules.level_needed(amount).name
        round_ = 0
        while True:
            if state.approval_due is None:
                state.approval_due = workflow.now() + timings.approval
            due = state.approval_due
            people = self._approvers(level)
            if self.first_time(f"{key}-ask-{round_}"):
                self.record("approval requested", f"{what}: {level} ({', '.join(p.id for p in people)})")
                note = (
                    f"{what}.\n\nPlease approve it by {when(due)}: complaints incident approve {state.declaration.id}"
                )
                await self.tell(people, f"Approval wanted: {what}", note, f"{key}-ask-{round_}")
            if await self.until(approved, due - timings.approval_reminder_before, "approval reminder"):
                break
            if self.first_time(f"{key}-remind-{round_}"):
                await self.tell(
                    people, f"Reminder: approval wanted: {what}", f"Still waiting: {what}.", f"{key}-r{round_}"
                )
            if await self.until(approved, due, "approval deadline"):
                break
            higher = rules.next_level(level)
            self.record("approval escalated", f"no decision by {when(due)}; now {higher.name if higher else level}")
            level, state.approval_due, round_ = (higher.name if higher else level), None, round_ + 1
        state.approval_due = None

    def _approvers(self, level: str) -> list[StaffMember]:
        """Whom to ask: never the one who declared the incident (four eyes)."""
        state = self._state()
        declarer = state.declaration.declared_by
        asked = [person for person in state.rules.asked_to_approve(level) if person.id != declarer]
        return asked or [p for p in state.rules.approvers_at(level) if p.id != declarer]

    # -- messages and activities ----------------------------------------------------------------------

    async def tell(self, people: list[StaffMember], subject: str, note: str, key: str) -> None:
        """An incident notice to each person, once per key; a failure is recorded, never fatal."""
        brief = self._brief()
        for person in people:
            request = MessageRequest(
                idempotency_key=f"{workflow.info().workflow_id}:{key}:{person.id}",
                kind=MessageKind.INCIDENT_NOTICE,
                to=Recipient(name=person.name, email=person.email),
                case=brief,
                next_step=subject,
                note=note,
            )
            try:
                await workflow.execute_activity(
                    contracts.SEND_MESSAGE.name,
                    request,
                    result_type=contracts.SEND_MESSAGE.result,
                    start_to_close_timeout=timedelta(seconds=60),
                    schedule_to_close_timeout=timedelta(hours=6),
                    retry_policy=MESSAGE_RETRY,
                    summary=f"send incident notice to {person.name}",
                )
            except ActivityError as error:  # recorded; the incident goes on
                self.record("message failed", f"{subject} to {person.email}: {error.cause or error}")

    def _brief(self) -> CaseBrief:
        state = self._state()
        declaration = state.declaration
        owner = (
            state.rules.staff_member(declaration.declared_by)
            or state.rules.approvers_at(state.rules.top_role().name)[0]
        )
        return CaseBrief(
            reference=declaration.workflow_id,
            customer_name="",
            customer_email="",
            category=declaration.categories[0].value,
            priority="high",
            description=declaration.description,
            desired_outcome=None,
            received_at=state.declared_at,
            owner_name=owner.name,
            owner_email=owner.email,
            owner_phone=owner.phone,
            department="incident",
            stage=state.stage.value,
        )

    async def call(self, contract: ActivityContract[Any, Any], arg: Any, summary: str, minutes: int = 2) -> Any:
        """One of the incident's activities, retried until it works (money and records are never given up)."""
        return await workflow.execute_activity(
            contract.name,
            arg,
            result_type=contract.result,
            start_to_close_timeout=timedelta(minutes=minutes),
            heartbeat_timeout=timedelta(seconds=20) if minutes > 2 else None,  # a lost worker: retried soon
            retry_policy=DURABLE_RETRY,
            summary=summary,
        )
