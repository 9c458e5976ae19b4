"""Business calendars: when the clock of a business-time target runs.

Pure and deterministic (stdlib `zoneinfo` and pydantic only), so the workflow computes its
deadlines inside the sandbox and replays them identically. Working hours are local wall-clock
times, so "09:00-17:30 Europe/London" is 8.5 hours on the days the clocks change too. All
arithmetic walks local *dates* one day at a time and converts each day's opening and closing
to UTC; it never adds hours to a local datetime, and it never loops per minute.

Semantics, in one place:

- a day's window is `[opening, closing)` on its local date; a day is a business day when its
  weekday has working hours and it is not a holiday;
- counting that starts outside working hours (before opening, after closing, on a weekend or
  holiday) begins at the next opening; adding zero returns the start unchanged;
- an amount that runs out exactly at closing returns the closing instant (not the next opening);
- a wall time the clocks skip (a DST gap) is read as PEP 495 does with `fold=0`: it lands as
  far after the jump as it was after the gap's start; an ambiguous wall time is its first
  occurrence. A window crossing a DST change counts real elapsed time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from complaints.dates import as_utc

# Far beyond any deadline we compute; stops a search on a calendar that never opens again.
MAX_DAYS_SEARCHED = 366 * 20
ZERO = timedelta(0)


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


_WEEKDAYS: tuple[Weekday, ...] = tuple(Weekday)  # index == date.weekday()


def load_zone(name: str) -> ZoneInfo:
    """The IANA zone, with a message naming it when it does not exist."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {name!r}") from exc


class BusinessCalendar(BaseModel):
    """Working hours per weekday in one time zone, minus holidays."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    timezone: str
    working_hours: dict[Weekday, tuple[time, time]]  # weekdays absent are closed
    holidays: tuple[date, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        load_zone(value)
        return value

    @field_validator("working_hours")
    @classmethod
    def _sane_hours(cls, value: dict[Weekday, tuple[time, time]]) -> dict[Weekday, tuple[time, time]]:
        for day, (opens, closes) in value.items():
            if opens.tzinfo is not None or closes.tzinfo is not None:
                raise ValueError(f"{day.value}: give local wall-clock times without a zone")
            if opens >= closes:
                message = f"{day.value}: opening {opens.isoformat()} must be before closing {closes.isoformat()}"
                raise ValueError(message)
        return value

    @model_validator(mode="after")
    def _opens_sometimes(self) -> BusinessCalendar:
        if not self.working_hours:
            raise ValueError(f"calendar {self.name!r}: working_hours has no day; business time would never pass")
        return self

    # -- days ---------------------------------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        return load_zone(self.timezone)

    def local_date(self, at: datetime) -> date:
        """The calendar's local date at an instant (the 'day of receipt')."""
        return as_utc(at, "at").astimezone(self.zone).date()

    def is_business_day(self, day: date) -> bool:
        return _WEEKDAYS[day.weekday()] in self.working_hours and day not in self.holidays

    def business_hours(self, day: date) -> tuple[datetime, datetime] | None:
        """The day's window `(opening, closing)` in UTC, or None when closed."""
        if not self.is_business_day(day):
            return None
        opens, closes = self.working_hours[_WEEKDAYS[day.weekday()]]
        zone = self.zone
        opening = datetime.combine(day, opens, tzinfo=zone).astimezone(UTC)
        closing = datetime.combine(day, closes, tzinfo=zone).astimezone(UTC)
        if closing <= opening:  # only when a DST gap swallows the window
            return None
        return opening, closing

    def _days_from(self, first: date) -> Iterator[date]:
        for offset in range(MAX_DAYS_SEARCHED):
            yield first + timedelta(days=offset)
        raise ValueError(f"calendar {self.name!r}: no business hours within {MAX_DAYS_SEARCHED} days of {first}")

    def _windows_from(self, first: date) -> Iterator[tuple[datetime, datetime]]:
        for day in self._days_from(first):
            window = self.business_hours(day)
            if window is not None:
                yield window

    # -- time ---------------------------------------------------------------------------------------

    def add_business_time(self, start: datetime, amount: timedelta) -> datetime:
        """The instant `amount` of working time after `start` (aware, returned in UTC)."""
        start_utc = as_utc(start, "start")
        if amount < ZERO:
            raise ValueError(f"amount: must not be negative, got {amount}")
        if amount == ZERO:
            return start_utc
        remaining = amount
        for opening, closing in self._windows_from(self.local_date(start_utc)):
            if closing <= start_utc:
                continue
            begin = max(opening, start_utc)
            available = closing - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise AssertionError("unreachable: _windows_from raises first")  # pragma: no cover

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time inside `[start, end)`; zero when `end` is not after `start`."""
        start_utc, end_utc = as_utc(start, "start"), as_utc(end, "end")
        if end_utc <= start_utc:
            return ZERO
        total = ZERO
        day, last = self.local_date(start_utc), self.local_date(end_utc)
        while day <= last:
            window = self.business_hours(day)
            if window is not None:
                overlap = min(window[1], end_utc) - max(window[0], start_utc)
                if overlap > ZERO:
                    total += overlap
            day += timedelta(days=1)
        return total

    def add_business_days(self, start: datetime, days: int) -> datetime:
        """Close of business on the `days`-th business day after the (local) day of `start`.

        The FCA's "by close of business on the third business day following the day of
        receipt": received Monday at any hour, 3 business days is Thursday's close. Zero days
        is close of business on the day of `start`, or on the next business day if it is closed.
        """
        if days < 0:
            raise ValueError(f"days: must not be negative, got {days}")
        received = self.local_date(start)
        first = received if days == 0 else received + timedelta(days=1)
        counted = 0
        for day in self._days_from(first):
            window = self.business_hours(day)
            if window is not None:
                counted += 1
                if counted == max(days, 1):
                    return window[1]
        raise AssertionError("unreachable: _days_from raises first")  # pragma: no cover
