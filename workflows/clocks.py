"""The case's SLA clocks and regulatory deadlines as bookkeeping: open, stop, pause, retarget.

Clocks are plain data in the case state (complaints.sla computes their deadlines on the
pinned business calendar). Every pause and resume is in the timeline with who and why, so a
pause cannot be opened and closed quietly to game the clock. Any change bumps `changes` and
calls `on_change`, which wakes the deadline watch (deadline_watch.py) and refreshes the UI.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from temporalio import workflow

from workflows import search_attributes as sa
from workflows import steps
from workflows.record import CaseRecord

with workflow.unsafe.imports_passed_through():
    from complaints.dates import when
    from complaints.intake import Priority
    from complaints.messages import MessageKind
    from complaints.regulatory import RegulatoryAction, RegulatoryDeadline, RuleKind
    from complaints.sla import (
        ClockKind,
        DueEvent,
        SlaClock,
        clock_deadline,
        next_due_event,
        open_clock,
        pause_clock,
        resume_clock,
        retarget,
        stop_clock,
    )

# Cases started before SLA clocks replay without them (no timers, no warnings).
SLA_PATCH = "sla-clocks"
# Messages to the customer that count as the first substantive response.
SUBSTANTIVE = (MessageKind.INFORMATION_REQUEST, MessageKind.OFFER, MessageKind.RESOLUTION, MessageKind.HOLDING_RESPONSE)


class CaseClocks:
    def __init__(self, case: CaseRecord, on_change: Callable[[], None]) -> None:
        self._case = case
        self._on_change = on_change
        self.changes = 0

    # -- opening, stopping, pausing ------------------------------------------------------------

    def start(self) -> None:
        """At receipt: decide once (patched) whether this case runs clocks, then open the first ones."""
        state = self._case.state
        state.sla_enabled = workflow.patched(SLA_PATCH)
        if not state.sla_enabled:
            return
        sla, complaint = state.rules.sla, state.complaint
        state.regulatory_deadlines = sla.deadlines_for(
            state.received_at, complaint.regulatory_profile, complaint.product
        )
        # A receipt stamped a little ahead of this server's clock (clocks disagree) starts the clocks
        # now: a clock cannot be stopped before it started. Earlier receipts count from when they were.
        started = min(state.received_at, workflow.now())
        for kind in (ClockKind.ACKNOWLEDGEMENT, ClockKind.FIRST_RESPONSE, ClockKind.RESOLUTION):
            self.open(kind, at=started)

    def _latest(self, kind: ClockKind) -> SlaClock | None:
        return next((clock for clock in reversed(self._case.state.clocks) if clock.kind is kind), None)

    def running(self, kind: ClockKind) -> SlaClock | None:
        clock = self._latest(kind)
        return clock if clock is not None and clock.stopped_at is None else None

    def open(self, kind: ClockKind, at: datetime | None = None) -> None:
        """A new clock of this kind (a new investigation round, a new approval); none if one runs."""
        state = self._case.state
        if not state.sla_enabled or self.running(kind) is not None:
            return
        clock = open_clock(state.rules.sla, kind, state.current_priority, at or workflow.now())
        if clock is not None:
            state.clocks.append(clock)
            self._changed()

    def stop(self, kind: ClockKind) -> None:
        clock = self.running(kind)
        if clock is not None:
            stop_clock(clock, workflow.now())
            self._case.record(
                "clock stopped", f"{kind.value}: {'met' if not clock.breached else 'done, after its breach'}"
            )
            self._changed()

    def stop_all(self) -> None:
        for clock in self._case.state.clocks:
            if clock.stopped_at is None:
                stop_clock(clock, workflow.now())
        self._changed()

    def customer_paused(self, why: str, by: str, *, during_offer: bool = False) -> None:
        """Waiting on the customer: the resolution clock stops counting, if the config says so
        (`pause_resolution_while_awaiting_customer`, or `pause_during_offer` for an open offer)."""
        sla = self._case.state.rules.sla
        allowed = sla.pause_during_offer if during_offer else sla.pause_resolution_while_awaiting_customer
        clock = self.running(ClockKind.RESOLUTION)
        if clock is not None and not clock.paused and allowed:
            pause_clock(clock, workflow.now(), by, why)
            self._case.record("clock paused", f"resolution: {why}", actor=by)
            self._changed()

    def customer_resumed(self, why: str, by: str) -> None:
        clock = self.running(ClockKind.RESOLUTION)
        if clock is not None and clock.paused:
            resume_clock(clock, workflow.now(), by, why)
            self._case.record("clock resumed", f"resolution: {why}", actor=by)
            self._changed()

    def customer_heard(self, kind: MessageKind) -> None:
        """The customer got a message from us: it may meet the acknowledgement or first-response clock."""
        if kind is MessageKind.ACKNOWLEDGEMENT:
            self.stop(ClockKind.ACKNOWLEDGEMENT)
        elif kind is MessageKind.INCIDENT_OFFER:  # a proactive case's first letter: both at once
            self.stop(ClockKind.ACKNOWLEDGEMENT)
            self.stop(ClockKind.FIRST_RESPONSE)
        elif kind in SUBSTANTIVE:
            self.stop(ClockKind.FIRST_RESPONSE)

    # -- priority ------------------------------------------------------------------------------

    def derived_priority(self) -> Priority | None:
        """The intake's priority, else the rules' for the category (the severity is not known yet)."""
        complaint = self._case.state.complaint
        return complaint.priority or self._case.state.rules.sla.priority_for(complaint.category)

    def priority_from_findings(self) -> None:
        """With the severity known the rules may call for more urgency (never less, never over intake's)."""
        state = self._case.state
        if state.complaint.priority is not None or state.findings is None:
            return
        derived = state.rules.sla.priority_for(state.complaint.category, state.findings.severity)
        if derived is not None and derived.urgency > state.current_priority.urgency:
            self.raise_priority(derived, "rules", f"severity {state.findings.severity} findings")

    def raise_priority(self, priority: Priority, by: str, reason: str) -> None:
        """A higher priority: every running clock takes the new target from its own start."""
        state = self._case.state
        previous, state.priority = state.current_priority, priority
        self._case.record("priority raised", f"{previous.value} → {priority.value}: {reason}", actor=by)
        workflow.upsert_search_attributes([sa.COMPLAINT_PRIORITY.value_set(priority.value)])
        for clock in state.clocks:
            target = state.rules.sla.target(priority, clock.kind)
            if clock.stopped_at is None and target is not None:
                retarget(clock, target)
        self._changed()

    def _changed(self) -> None:
        self.changes += 1
        self._on_change()

    # -- what is due next ------------------------------------------------------------------------------

    def deadlines(self) -> list[datetime]:
        """Every deadline still ahead of the case: running clocks and unmet regulatory ones."""
        state = self._case.state
        calendars = state.rules.sla.calendars
        found = [clock_deadline(c, calendars[c.calendar]) for c in state.clocks if c.stopped_at is None]
        found += [d.due for d in self.regulatory_pending()]
        return [moment for moment in found if moment is not None]

    def regulatory_pending(self) -> list[RegulatoryDeadline]:
        state = self._case.state
        if state.resolved_at is not None or state.stage.is_final:
            return []
        return [d for d in state.regulatory_deadlines if not self._case.done(steps.regulatory_deadline_met(d.name))]

    def next_event(self) -> DueEvent | RegulatoryDeadline | None:
        sla = self._case.state.rules.sla
        clock_event = next_due_event(self._case.state.clocks, sla.calendars, sla.warn_at, workflow.now())
        regulatory = min(self.regulatory_pending(), key=lambda d: d.due, default=None)
        if regulatory is not None and (clock_event is None or regulatory.due < clock_event.at):
            return regulatory
        return clock_event

    # -- what the regulator's letters say ---------------------------------------------------------------

    def resolution_response(self) -> RegulatoryDeadline | None:
        """Under a regulator the resolution letter is a formal response; the template words it from this:
        a summary resolution within its window (recorded), else the final response with its referral right."""
        deadlines = self._case.state.regulatory_deadlines
        summary = next((d for d in deadlines if d.kind is RuleKind.SUMMARY_RESOLUTION), None)
        if summary is not None and workflow.now() <= summary.due:
            self._case.record("summary resolution", f"resolved before {when(summary.due)} ({summary.source})")
            return summary
        return next((d for d in reversed(deadlines) if d.referral_right), deadlines[-1] if deadlines else None)

    def regulatory_promise(self) -> RegulatoryDeadline | None:
        """The regulator's deadline the acknowledgement names: the first one that is a response."""
        deadlines = self._case.state.regulatory_deadlines
        final = [d for d in deadlines if d.action is not RegulatoryAction.SUMMARY_RESOLUTION_DUE]
        return final[0] if final else None
