"""The case's SLA clocks and regulatory deadlines: durable timers, never a polling loop.

Clocks are plain data in the case state (complaints.sla computes their deadlines on the
pinned business calendar). `_watch_deadlines` runs beside the process and sleeps until the
soonest warning, breach or regulatory deadline; any change to a clock (opened, stopped,
paused, retargeted) wakes it to recompute. Every pause and resume is in the timeline with
who and why, so a pause cannot be opened and closed quietly to game the clock.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

from workflows.case_io import when
from workflows.case_messaging import CaseMessaging

with workflow.unsafe.imports_passed_through():
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
        record_due_event,
        resume_clock,
        retarget,
        stop_clock,
    )
    from workflows import search_attributes as sa

# Cases started before SLA clocks replay without them (no timers, no warnings).
SLA_PATCH = "sla-clocks"
# Messages to the customer that count as the first substantive response.
SUBSTANTIVE = (MessageKind.INFORMATION_REQUEST, MessageKind.OFFER, MessageKind.RESOLUTION, MessageKind.HOLDING_RESPONSE)


class CaseClocks(CaseMessaging):
    _clock_changes: int = 0
    _announcing: bool = False

    # -- opening, stopping, pausing ------------------------------------------------------------

    def _start_clocks(self) -> None:
        """At receipt: decide once (patched) whether this case runs clocks, then open the first ones."""
        state = self.state
        state.sla_enabled = workflow.patched(SLA_PATCH)
        if not state.sla_enabled:
            return
        sla, complaint = state.rules.sla, state.complaint
        state.regulatory_deadlines = sla.deadlines_for(
            state.received_at, complaint.regulatory_profile, complaint.product
        )
        for kind in (ClockKind.ACKNOWLEDGEMENT, ClockKind.FIRST_RESPONSE, ClockKind.RESOLUTION):
            self._open_clock(kind, at=state.received_at)

    def _clock(self, kind: ClockKind) -> SlaClock | None:
        return next((clock for clock in reversed(self.state.clocks) if clock.kind is kind), None)

    def _running(self, kind: ClockKind) -> SlaClock | None:
        clock = self._clock(kind)
        return clock if clock is not None and clock.stopped_at is None else None

    def _open_clock(self, kind: ClockKind, at: datetime | None = None) -> None:
        """A new clock of this kind (a new investigation round, a new approval); none if one runs."""
        state = self.state
        if not state.sla_enabled or self._running(kind) is not None:
            return
        clock = open_clock(state.rules.sla, kind, state.current_priority, at or workflow.now())
        if clock is not None:
            state.clocks.append(clock)
            self._clocks_changed()

    def _stop_clock(self, kind: ClockKind) -> None:
        clock = self._running(kind)
        if clock is not None:
            stop_clock(clock, workflow.now())
            self._record("clock stopped", f"{kind.value}: {'met' if not clock.breached else 'done, after its breach'}")
            self._clocks_changed()

    def _stop_all_clocks(self) -> None:
        for clock in self.state.clocks:
            if clock.stopped_at is None:
                stop_clock(clock, workflow.now())
        self._clocks_changed()

    def _customer_clock_paused(self, why: str, by: str, *, during_offer: bool = False) -> None:
        """Waiting on the customer: the resolution clock stops counting, if the config says so
        (`pause_resolution_while_awaiting_customer`, or `pause_during_offer` for an open offer)."""
        sla = self.state.rules.sla
        allowed = sla.pause_during_offer if during_offer else sla.pause_resolution_while_awaiting_customer
        clock = self._running(ClockKind.RESOLUTION)
        if clock is not None and not clock.paused and allowed:
            pause_clock(clock, workflow.now(), by, why)
            self._record("clock paused", f"resolution: {why}", actor=by)
            self._clocks_changed()

    def _customer_clock_resumed(self, why: str, by: str) -> None:
        clock = self._running(ClockKind.RESOLUTION)
        if clock is not None and clock.paused:
            resume_clock(clock, workflow.now(), by, why)
            self._record("clock resumed", f"resolution: {why}", actor=by)
            self._clocks_changed()

    def _message_sent_to_customer(self, kind: MessageKind) -> None:
        if kind is MessageKind.ACKNOWLEDGEMENT:
            self._stop_clock(ClockKind.ACKNOWLEDGEMENT)
        elif kind in SUBSTANTIVE:
            self._stop_clock(ClockKind.FIRST_RESPONSE)

    def _derived_priority(self) -> Priority | None:
        """The intake's priority, else the rules' for the category (the severity is not known yet)."""
        complaint = self.state.complaint
        return complaint.priority or self.state.rules.sla.priority_for(complaint.category)

    def _priority_from_findings(self) -> None:
        """With the severity known the rules may call for more urgency (never less, never over intake's)."""
        state = self.state
        if state.complaint.priority is not None or state.findings is None:
            return
        derived = state.rules.sla.priority_for(state.complaint.category, state.findings.severity)
        if derived is not None and derived.urgency > state.current_priority.urgency:
            self._raise_priority(derived, "rules", f"severity {state.findings.severity} findings")

    def _raise_priority(self, priority: Priority, by: str, reason: str) -> None:
        """A higher priority: every running clock takes the new target from its own start."""
        state = self.state
        previous, state.priority = state.current_priority, priority
        self._record("priority raised", f"{previous.value} → {priority.value}: {reason}", actor=by)
        workflow.upsert_search_attributes([sa.COMPLAINT_PRIORITY.value_set(priority.value)])
        for clock in state.clocks:
            target = state.rules.sla.target(priority, clock.kind)
            if clock.stopped_at is None and target is not None:
                retarget(clock, target)
        self._clocks_changed()

    def _clocks_changed(self) -> None:
        self._clock_changes += 1
        self._publish()

    # -- what is due next ------------------------------------------------------------------------------

    def _clock_deadlines(self) -> list[datetime]:
        """Every deadline still ahead of the case: running clocks and unmet regulatory ones."""
        state = self.state
        calendars = state.rules.sla.calendars
        found = [clock_deadline(c, calendars[c.calendar]) for c in state.clocks if c.stopped_at is None]
        found += [d.due for d in self._regulatory_pending()]
        return [moment for moment in found if moment is not None]

    def _regulatory_pending(self) -> list[RegulatoryDeadline]:
        state = self.state
        if state.resolved_at is not None or state.stage.is_final:
            return []
        return [d for d in state.regulatory_deadlines if not self._done(f"regulatory-{d.name}")]

    def _next_event(self) -> DueEvent | RegulatoryDeadline | None:
        sla = self.state.rules.sla
        clock_event = next_due_event(self.state.clocks, sla.calendars, sla.warn_at, workflow.now())
        regulatory = min(self._regulatory_pending(), key=lambda d: d.due, default=None)
        if regulatory is not None and (clock_event is None or regulatory.due < clock_event.at):
            return regulatory
        return clock_event

    async def _watch_deadlines(self) -> None:
        """Sleep until the next warning, breach or regulatory deadline; wake early on any change."""
        state = self.state
        while state.sla_enabled and not state.stage.is_final:
            seen, event = self._clock_changes, self._next_event()

            def changed(seen: int = seen) -> bool:
                return self._clock_changes != seen or state.stage.is_final

            if event is None:
                await workflow.wait_condition(changed)
                continue
            due = event.at if isinstance(event, DueEvent) else event.due
            if due > workflow.now():
                try:
                    await workflow.wait_condition(
                        changed, timeout=due - workflow.now(), timeout_summary=_summary(event)
                    )
                    continue
                except TimeoutError:
                    pass
            self._announcing = True
            try:
                if isinstance(event, DueEvent):
                    await self._announce_clock(event)
                else:
                    await self._meet_regulatory_deadline(event)
            finally:
                self._announcing = False

    async def _announce_clock(self, event: DueEvent) -> None:
        state = self.state
        clock = self._running(event.clock_kind)
        if clock is None:
            return
        record_due_event(clock, event)
        late = workflow.now() - event.at
        kind = event.clock_kind.value
        if event.fraction is not None:
            percent = round(event.fraction * 100)
            self._record("sla warning", f"{kind} {percent}% used at {when(event.at)} (fired {late} late)")
            first_warning = event.fraction == min(state.rules.sla.warn_at)
            deadline = clock_deadline(clock, state.rules.sla.calendars[clock.calendar])
            note = f"The {kind} target ({clock.target.duration}) is {percent}% used."
            people = [self.owner] if first_warning else self._owner_and_lead()
            await self._tell_staff(MessageKind.SLA_WARNING, people, note=note, due=deadline)
            return
        state.sla_breached = True
        self._record(
            "sla breached", f"{kind} target {clock.target.duration} passed at {when(event.at)} (fired {late} late)"
        )
        self._publish()
        note = f"The {kind} target ({clock.target.duration}) passed at {when(event.at)}."
        await self._tell_staff(MessageKind.SLA_BREACH, self._owner_and_lead(), note=note, history=self._history_lines())
        # A late investigation is told to the customer by its own escalation (complaint.py); a late
        # resolution is told here, once.
        if event.clock_kind is ClockKind.RESOLUTION and not self._done(f"delay-{kind}"):
            self._mark_done(f"delay-{kind}")
            await self._tell_customer(
                MessageKind.DELAY_NOTICE,
                wait_for_contact=False,
                next_step=f"{self.team_lead.name} is now overseeing your complaint",
                due=workflow.now() + state.rules.timings.progress_update_every,
            )

    async def _meet_regulatory_deadline(self, deadline: RegulatoryDeadline) -> None:
        """A regulator's deadline arrived with the case unresolved: do what its rule says."""
        self._mark_done(f"regulatory-{deadline.name}")
        self._record("regulatory deadline", f"{deadline.description} ({deadline.source}) reached unresolved")
        if deadline.action is RegulatoryAction.HOLDING_RESPONSE:
            final = next((d for d in self.state.regulatory_deadlines if d.due > deadline.due), None)
            await self._tell_customer(
                MessageKind.HOLDING_RESPONSE,
                wait_for_contact=False,
                due=final.due if final else None,
                regulatory=deadline,
            )
        elif deadline.action in (RegulatoryAction.RESPONSE_DUE, RegulatoryAction.FINAL_RESPONSE_DUE):
            self.state.sla_breached = True
            self._publish()
            note = f"Regulatory deadline missed: {deadline.description} ({deadline.source})."
            await self._tell_staff(
                MessageKind.SLA_BREACH, self._owner_and_lead(), note=note, history=self._history_lines()
            )

    def _resolution_response(self) -> RegulatoryDeadline | None:
        """Under a regulator the resolution letter is a formal response; the template words it from this:
        a summary resolution within its window (recorded), else the final response with its referral right."""
        deadlines = self.state.regulatory_deadlines
        summary = next((d for d in deadlines if d.kind is RuleKind.SUMMARY_RESOLUTION), None)
        if summary is not None and workflow.now() <= summary.due:
            self._record("summary resolution", f"resolved before {when(summary.due)} ({summary.source})")
            return summary
        return next((d for d in reversed(deadlines) if d.referral_right), deadlines[-1] if deadlines else None)

    def _regulatory_promise(self) -> RegulatoryDeadline | None:
        """The regulator's deadline the acknowledgement names: the first one that is a response."""
        final = [d for d in self.state.regulatory_deadlines if d.action is not RegulatoryAction.SUMMARY_RESOLUTION_DUE]
        return final[0] if final else None


def _summary(event: DueEvent | RegulatoryDeadline) -> str:
    if isinstance(event, RegulatoryDeadline):
        return f"regulatory deadline: {event.name}"
    what = "breach" if event.fraction is None else f"{round(event.fraction * 100)}% warning"
    return f"{event.clock_kind.value} SLA {what}"
