"""What the Web UI and the admin queue see of a case: search attributes and current details.

Upserted only when a value changed (an upsert is a command in the history); the current
details (not a command) follow every change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

from workflows import search_attributes as sa
from workflows import waiting
from workflows.record import CaseRecord, soonest

with workflow.unsafe.imports_passed_through():
    from complaints.case import CaseState, Stage
    from complaints.dates import when


class CaseDisplay:
    """`waits_for` is the process table's entry for the stage; `deadlines` the clocks' ones."""

    def __init__(
        self,
        case: CaseRecord,
        *,
        waits_for: Callable[[CaseState], waiting.Waiting],
        deadlines: Callable[[], list[datetime]],
    ) -> None:
        self._case = case
        self._waits_for = waits_for
        self._deadlines = deadlines
        self._published: dict[str, object] = {}

    def waiting_for(self) -> waiting.Waiting:
        """What the case waits for, and until when: the customer can hold up any stage."""
        state = self._case.state
        return waiting.held_for_staff(state) or waiting.blocked_on_the_customer(state) or self._waits_for(state)

    def next_deadline(self, due: datetime | None) -> datetime | None:
        """The soonest deadline on the case: what it waits for, an SLA clock, or a regulator's."""
        return soonest(due, *self._deadlines())

    def refresh(self) -> None:
        waits_for, due = self.waiting_for()
        self.show(waits_for, due, self.next_deadline(due))

    def show_what_never_changes(self) -> None:
        """Set once at receipt; a raised priority is upserted where it is raised (clocks.py)."""
        state = self._case.state
        workflow.upsert_search_attributes(
            [
                sa.COMPLAINT_PRIORITY.value_set(state.current_priority.value),
                sa.COMPLAINT_CATEGORY.value_set(state.complaint.category.value),
                sa.CUSTOMER_ID.value_set(state.complaint.customer.id),
            ]
        )

    def show(self, waiting: str, due: datetime | None, next_deadline: datetime | None) -> None:
        state = self._case.state
        breached = state.investigation_escalated or state.sla_breached
        proposal_total = float(state.proposal.total) if state.proposal else 0.0
        values: dict[str, object] = {
            sa.COMPLAINT_STAGE.name: state.stage.value,
            sa.ASSIGNED_TO.name: state.owner_id,
            sa.AWAITING_APPROVAL_LEVEL.name: state.approval_level if state.stage is Stage.AWAITING_APPROVAL else "",
            sa.COMPENSATION_AMOUNT.name: proposal_total,
            sa.SLA_BREACHED.name: breached,
            sa.NEXT_DEADLINE.name: next_deadline,
        }
        if state.attention_count:  # only cases that ever needed a person carry it (older ones replay unchanged)
            values[sa.NEEDS_ATTENTION.name] = state.attention is not None
        if values != self._published:
            updates: list[SearchAttributeUpdate[Any]] = [
                sa.COMPLAINT_STAGE.value_set(state.stage.value),
                sa.ASSIGNED_TO.value_set(state.owner_id),
                sa.COMPENSATION_AMOUNT.value_set(proposal_total),
                sa.SLA_BREACHED.value_set(breached),
                sa.AWAITING_APPROVAL_LEVEL.value_set(state.approval_level)
                if state.stage is Stage.AWAITING_APPROVAL and state.approval_level
                else sa.AWAITING_APPROVAL_LEVEL.value_unset(),
                sa.NEXT_DEADLINE.value_set(next_deadline) if next_deadline else sa.NEXT_DEADLINE.value_unset(),
            ]
            if state.attention_count:
                updates.append(sa.NEEDS_ATTENTION.value_set(state.attention is not None))
            workflow.upsert_search_attributes(updates)
            self._published = values
        problem = (
            f"**Needs attention**: {state.attention.where}: {state.attention.reason}\n\n" if state.attention else ""
        )
        workflow.set_current_details(
            f"{problem}**{state.stage.value}** — waiting for {waiting}, due {when(due)}.\n\n"
            f"Next deadline: {when(next_deadline)}{' · SLA breached' if breached else ''}.\n\n"
            f"Owner: {self._case.owner.name} ({state.owner_id}). Customer: {state.complaint.customer.name}."
        )
