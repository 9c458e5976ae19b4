"""SLA clocks: targets per priority, pauses, warnings and breaches, all pure.

A clock measures how much of its target a case has consumed, in business time on the
case's calendar or in calendar time. Time spent paused (waiting on the customer) does not
count, so a pause moves the deadline by exactly the paused time measured the same way.
The clock is plain data carried in the workflow state; the functions here compute its
deadline, warning instants and status, so the workflow only sleeps until `next_due_event`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from complaints.calendar import ZERO, BusinessCalendar
from complaints.dates import as_utc
from complaints.intake import Priority

# The config half (SlaConfig and friends) lives in sla_config; re-exported for one import.
from complaints.sla_config import ClockKind, PriorityRule, SlaConfig, SlaPolicy, Target

__all__ = [
    "ClockKind",
    "ClockReport",
    "ClockStatus",
    "DueEvent",
    "Pause",
    "PriorityRule",
    "SlaClock",
    "SlaConfig",
    "SlaPolicy",
    "Target",
    "clock_deadline",
    "clock_status",
    "clock_warning_times",
    "next_due_event",
    "open_clock",
    "pause_clock",
    "record_due_event",
    "resume_clock",
    "retarget",
    "start_clock",
    "stop_clock",
]

ClockStatus = Literal["running", "paused", "met", "breached"]


class Pause(BaseModel):
    started_at: AwareDatetime
    ended_at: AwareDatetime | None = None
    by: str
    reason: str
    resumed_by: str | None = None
    resume_reason: str | None = None


class SlaClock(BaseModel):
    """One running target of one case (mutable: the workflow updates it in place)."""

    kind: ClockKind
    target: Target
    calendar: str
    started_at: AwareDatetime
    pauses: list[Pause] = []
    stopped_at: AwareDatetime | None = None  # met (or stopped, e.g. withdrawn)
    warned: list[float] = []  # warn_at fractions already announced
    breached: bool = False  # the breach was announced

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1].ended_at is None


class ClockReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: ClockKind
    target: timedelta
    business: bool
    elapsed: timedelta  # consumed, pauses excluded, in the clock's measure
    paused: timedelta  # total time paused, same measure
    remaining: timedelta  # negative once overdue
    deadline: datetime | None  # None while paused
    status: ClockStatus
    started_at: datetime
    stopped_at: datetime | None = None


class DueEvent(BaseModel):
    """The next thing a clock has to say: a warning at `fraction`, or (None) its breach."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    clock_kind: ClockKind
    fraction: float | None


# -- measuring ----------------------------------------------------------------------------------


def _between(clock: SlaClock, calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    if clock.target.business:
        return calendar.business_time_between(start, end)
    return max(as_utc(end, "end") - as_utc(start, "start"), ZERO)


def _add(clock: SlaClock, calendar: BusinessCalendar, start: datetime, amount: timedelta) -> datetime:
    if clock.target.business:
        return calendar.add_business_time(start, amount)
    return as_utc(start, "start") + amount


def _when_consumed(clock: SlaClock, calendar: BusinessCalendar, amount: timedelta) -> datetime | None:
    """The instant `amount` of the target has been consumed, walking the running stretches
    between pauses; None when that falls after the start of a pause still open."""
    remaining, cursor = amount, as_utc(clock.started_at, "started_at")
    for pause in clock.pauses:
        available = _between(clock, calendar, cursor, pause.started_at)
        if remaining <= available:
            return _add(clock, calendar, cursor, remaining)
        remaining -= available
        if pause.ended_at is None:
            return None
        cursor = max(cursor, as_utc(pause.ended_at, "ended_at"))
    return _add(clock, calendar, cursor, remaining)


def _paused_time(clock: SlaClock, calendar: BusinessCalendar, until: datetime) -> timedelta:
    total = ZERO
    for pause in clock.pauses:
        end = until if pause.ended_at is None else min(pause.ended_at, until)
        total += _between(clock, calendar, pause.started_at, end)
    return total


# -- reading a clock ---------------------------------------------------------------------------


def clock_deadline(clock: SlaClock, calendar: BusinessCalendar) -> datetime | None:
    """When the target will be used up; None while paused (it depends on the resume)."""
    if clock.paused:
        return None
    return _when_consumed(clock, calendar, clock.target.duration)


def clock_warning_times(
    clock: SlaClock, calendar: BusinessCalendar, warn_at: Iterable[float]
) -> list[tuple[float, datetime]]:
    """The instant each fraction of the target is consumed, pauses accounted for.

    While paused, only fractions reached before the pause began are known and listed.
    """
    times: list[tuple[float, datetime]] = []
    for fraction in warn_at:
        at = _when_consumed(clock, calendar, clock.target.duration * fraction)
        if at is not None:
            times.append((fraction, at))
    return times


def clock_status(clock: SlaClock, calendar: BusinessCalendar, now: datetime) -> ClockReport:
    """Where the clock stands at `now` (or at its stop, once stopped).

    Running clocks breach when nothing remains (`now >= deadline`); a stopped clock met its
    target when it stopped no later than the deadline.
    """
    end = as_utc(now, "now") if clock.stopped_at is None else as_utc(clock.stopped_at, "stopped_at")
    end = max(end, as_utc(clock.started_at, "started_at"))
    paused = _paused_time(clock, calendar, end)
    elapsed = _between(clock, calendar, clock.started_at, end) - paused
    remaining = clock.target.duration - elapsed
    status: ClockStatus
    if clock.stopped_at is not None:
        status = "met" if remaining >= ZERO and not clock.breached else "breached"
    elif remaining <= ZERO or clock.breached:
        status = "breached"
    else:
        status = "paused" if clock.paused else "running"
    return ClockReport(
        kind=clock.kind,
        target=clock.target.duration,
        business=clock.target.business,
        elapsed=elapsed,
        paused=paused,
        remaining=remaining,
        deadline=clock_deadline(clock, calendar),
        status=status,
        started_at=as_utc(clock.started_at, "started_at"),
        stopped_at=None if clock.stopped_at is None else as_utc(clock.stopped_at, "stopped_at"),
    )


# -- changing a clock (in place; each refuses what makes no sense with ValueError) ----------------


def start_clock(kind: ClockKind, target: Target, calendar: str, at: datetime) -> SlaClock:
    return SlaClock(kind=kind, target=target, calendar=calendar, started_at=as_utc(at, "at"))


def open_clock(
    config: SlaConfig, kind: ClockKind, priority: Priority, at: datetime, calendar: str | None = None
) -> SlaClock | None:
    """A clock started at `at` with the priority's target, or None when it has no such target."""
    target = config.target(priority, kind)
    if target is None:
        return None
    return start_clock(kind, target, config.calendar(calendar).name, at)


def _check_open(clock: SlaClock, at: datetime, action: str) -> datetime:
    at_utc = as_utc(at, "at")
    if clock.stopped_at is not None:
        raise ValueError(f"{clock.kind.value} clock: cannot {action}, it stopped at {clock.stopped_at.isoformat()}")
    latest = max([clock.started_at, *(p.ended_at or p.started_at for p in clock.pauses)])
    if at_utc < latest:
        when = at_utc.isoformat()
        raise ValueError(f"{clock.kind.value} clock: cannot {action} at {when}, before {latest.isoformat()}")
    return at_utc


def pause_clock(clock: SlaClock, at: datetime, by: str, reason: str) -> Pause:
    """Stop counting from `at` (e.g. waiting on the customer); refused when already paused."""
    if clock.paused:
        raise ValueError(f"{clock.kind.value} clock: already paused since {clock.pauses[-1].started_at.isoformat()}")
    pause = Pause(started_at=_check_open(clock, at, "pause"), by=by, reason=reason)
    clock.pauses.append(pause)
    return pause


def resume_clock(clock: SlaClock, at: datetime, by: str, reason: str) -> Pause:
    """Count again from `at`; refused when the clock is not paused. Returns the closed pause."""
    if not clock.paused:
        raise ValueError(f"{clock.kind.value} clock: not paused, nothing to resume")
    at_utc = _check_open(clock, at, "resume")
    pause = clock.pauses[-1].model_copy(update={"ended_at": at_utc, "resumed_by": by, "resume_reason": reason})
    clock.pauses[-1] = pause
    return pause


def stop_clock(clock: SlaClock, at: datetime) -> None:
    """The target was met (or no longer applies); a pause still open ends here."""
    at_utc = _check_open(clock, at, "stop")
    if clock.paused:
        clock.pauses[-1] = clock.pauses[-1].model_copy(update={"ended_at": at_utc})
    clock.stopped_at = at_utc


def retarget(clock: SlaClock, new_target: Target) -> None:
    """A new target (a priority raise): same start and pauses, so the deadline moves with it."""
    if clock.stopped_at is not None:
        raise ValueError(f"{clock.kind.value} clock: cannot retarget, it stopped at {clock.stopped_at.isoformat()}")
    clock.target = new_target


def record_due_event(clock: SlaClock, event: DueEvent) -> None:
    """Remember that the event was announced, so `next_due_event` moves on."""
    if event.clock_kind != clock.kind:
        raise ValueError(f"event for the {event.clock_kind.value} clock given to the {clock.kind.value} clock")
    if event.fraction is None:
        clock.breached = True
    elif event.fraction not in clock.warned:
        clock.warned.append(event.fraction)


# -- what the workflow waits for -------------------------------------------------------------------


def next_due_event(
    clocks: Iterable[SlaClock], calendars: Mapping[str, BusinessCalendar], warn_at: Iterable[float], now: datetime
) -> DueEvent | None:
    """The soonest warning or breach not yet announced among running clocks, or None.

    It may lie in the past (announce it at once). A warning still pending when the clock's
    breach is also due at `now` is skipped: the breach says more.
    """
    now_utc = as_utc(now, "now")
    fractions = tuple(warn_at)
    due: list[DueEvent] = []
    for clock in clocks:
        if clock.stopped_at is not None or clock.paused or clock.breached:
            continue
        calendar = calendars.get(clock.calendar)
        if calendar is None:
            raise ValueError(f"{clock.kind.value} clock: unknown calendar {clock.calendar!r}")
        deadline = clock_deadline(clock, calendar)
        assert deadline is not None  # not paused
        due.append(DueEvent(at=deadline, clock_kind=clock.kind, fraction=None))
        if deadline <= now_utc:
            continue
        pending = [f for f in fractions if f not in clock.warned]
        for fraction, at in clock_warning_times(clock, calendar, pending):
            due.append(DueEvent(at=at, clock_kind=clock.kind, fraction=fraction))
    if not due:
        return None
    return min(due, key=lambda event: (event.at, event.fraction is None, event.fraction or 0.0))
