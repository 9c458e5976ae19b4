"""What runs beside the process: the watch that warns, breaches and meets regulators' deadlines.

One coroutine sleeps on a durable timer until the soonest warning, breach or regulatory
deadline (never a polling loop); any clock change wakes it to recompute.
"""

from __future__ import annotations

from collections.abc import Callable

from temporalio import workflow

from workflows import steps
from workflows.clocks import CaseClocks
from workflows.messenger import Messenger
from workflows.record import CaseRecord

with workflow.unsafe.imports_passed_through():
    from complaints.dates import when
    from complaints.messages import MessageKind
    from complaints.regulatory import RegulatoryAction, RegulatoryDeadline
    from complaints.sla import ClockKind, DueEvent, clock_deadline, record_due_event


class DeadlineWatch:
    def __init__(self, case: CaseRecord, clocks: CaseClocks, messenger: Messenger, publish: Callable[[], None]) -> None:
        self._case = case
        self._clocks = clocks
        self._messenger = messenger
        self._publish = publish
        self.announcing = False
        """True while a warning, breach or deadline is being told: the run waits for it to finish."""

    async def watch(self) -> None:
        """Sleep until the next warning, breach or regulatory deadline; wake early on any change."""
        state = self._case.state
        while state.sla_enabled and not state.stage.is_final:
            seen, event = self._clocks.changes, self._clocks.next_event()

            def changed(seen: int = seen) -> bool:
                return self._clocks.changes != seen or state.stage.is_final

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
            self.announcing = True
            try:
                if isinstance(event, DueEvent):
                    await self._announce_clock(event)
                else:
                    await self._meet_regulatory_deadline(event)
            finally:
                self.announcing = False

    async def _announce_clock(self, event: DueEvent) -> None:
        case, state = self._case, self._case.state
        clock = self._clocks.running(event.clock_kind)
        if clock is None:
            return
        record_due_event(clock, event)
        late = workflow.now() - event.at
        kind = event.clock_kind.value
        if event.fraction is not None:
            percent = round(event.fraction * 100)
            case.record("sla warning", f"{kind} {percent}% used at {when(event.at)} (fired {late} late)")
            first_warning = event.fraction == min(state.rules.sla.warn_at)
            deadline = clock_deadline(clock, state.rules.sla.calendars[clock.calendar])
            note = f"The {kind} target ({clock.target.duration}) is {percent}% used."
            people = [case.owner] if first_warning else case.owner_and_lead()
            await self._messenger.tell_staff(MessageKind.SLA_WARNING, people, note=note, due=deadline)
            return
        state.sla_breached = True
        case.record(
            "sla breached", f"{kind} target {clock.target.duration} passed at {when(event.at)} (fired {late} late)"
        )
        self._publish()
        note = f"The {kind} target ({clock.target.duration}) passed at {when(event.at)}."
        await self._messenger.tell_staff(
            MessageKind.SLA_BREACH, case.owner_and_lead(), note=note, history=case.history_lines()
        )
        # A late investigation is told to the customer by its own escalation (the investigation
        # stage); a late resolution is told here, once.
        if event.clock_kind is ClockKind.RESOLUTION and case.first_time(steps.delay_notice(kind)):
            await self._messenger.tell_customer(
                MessageKind.DELAY_NOTICE,
                wait_for_contact=False,
                next_step=f"{case.team_lead.name} is now overseeing your complaint",
                due=workflow.now() + state.rules.timings.progress_update_every,
            )

    async def _meet_regulatory_deadline(self, deadline: RegulatoryDeadline) -> None:
        """A regulator's deadline arrived with the case unresolved: do what its rule says."""
        case = self._case
        case.mark(steps.regulatory_deadline_met(deadline.name))
        case.record("regulatory deadline", f"{deadline.description} ({deadline.source}) reached unresolved")
        if deadline.action is RegulatoryAction.HOLDING_RESPONSE:
            final = next((d for d in case.state.regulatory_deadlines if d.due > deadline.due), None)
            await self._messenger.tell_customer(
                MessageKind.HOLDING_RESPONSE,
                wait_for_contact=False,
                due=final.due if final else None,
                regulatory=deadline,
            )
        elif deadline.action in (RegulatoryAction.RESPONSE_DUE, RegulatoryAction.FINAL_RESPONSE_DUE):
            case.state.sla_breached = True
            self._publish()
            note = f"Regulatory deadline missed: {deadline.description} ({deadline.source})."
            await self._messenger.tell_staff(
                MessageKind.SLA_BREACH, case.owner_and_lead(), note=note, history=case.history_lines()
            )


def _summary(event: DueEvent | RegulatoryDeadline) -> str:
    if isinstance(event, RegulatoryDeadline):
        return f"regulatory deadline: {event.name}"
    what = "breach" if event.fraction is None else f"{round(event.fraction * 100)}% warning"
    return f"{event.clock_kind.value} SLA {what}"
