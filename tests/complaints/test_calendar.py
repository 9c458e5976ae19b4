"""Business calendars: working hours, holidays, DST and the FCA's business days, at concrete instants."""

from __future__ import annotations

import random
import time as clock
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from complaints.calendar import BusinessCalendar

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
UK_HOLIDAYS = tuple(
    date.fromisoformat(day)
    for day in [
        "2026-01-01",
        "2026-04-03",
        "2026-04-06",
        "2026-05-04",
        "2026-05-25",
        "2026-08-31",
        "2026-12-25",
        "2026-12-28",
        "2027-01-01",
        "2027-03-26",
        "2027-03-29",
        "2027-05-03",
        "2027-05-31",
        "2027-08-30",
        "2027-12-27",
        "2027-12-28",
    ]
)
H = timedelta(hours=1)


def calendar(
    timezone: str = "Europe/London",
    hours: tuple[str, str] = ("09:00", "17:30"),
    days: tuple[str, ...] = WEEKDAYS,
    holidays: tuple[date, ...] = UK_HOLIDAYS,
) -> BusinessCalendar:
    return BusinessCalendar(name="test", timezone=timezone, working_hours=dict.fromkeys(days, hours), holidays=holidays)


UK = calendar()
US = calendar("America/New_York", ("09:00", "17:00"), holidays=(date(2026, 11, 26),))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


# -- windows ------------------------------------------------------------------------------------


def test_business_hours_are_local_wall_clock_in_winter_and_summer() -> None:
    assert UK.business_hours(date(2026, 1, 14)) == (utc(2026, 1, 14, 9), utc(2026, 1, 14, 17, 30))
    assert UK.business_hours(date(2026, 7, 15)) == (utc(2026, 7, 15, 8), utc(2026, 7, 15, 16, 30))


@pytest.mark.parametrize("day", [date(2026, 3, 29), date(2026, 10, 25)])
def test_a_dst_change_day_still_has_eight_and_a_half_hours(day: date) -> None:
    every_day = calendar(days=(*WEEKDAYS, "sat", "sun"))
    opening, closing = every_day.business_hours(day) or (utc(2000, 1, 1), utc(2000, 1, 1))
    assert closing - opening == timedelta(hours=8, minutes=30)
    expected_open = utc(2026, 3, 29, 8) if day.month == 3 else utc(2026, 10, 25, 9)
    assert opening == expected_open


@pytest.mark.parametrize(("day", "hours"), [(date(2026, 3, 29), 5), (date(2026, 10, 25), 7)])
def test_a_window_across_the_change_counts_real_elapsed_time(day: date, hours: int) -> None:
    night = calendar(hours=("00:00", "06:00"), days=("sun",))
    window = night.business_hours(day)
    assert window is not None
    assert window[1] - window[0] == timedelta(hours=hours)


def test_weekends_and_holidays_are_closed() -> None:
    assert not UK.is_business_day(date(2026, 11, 7))  # Saturday
    assert not UK.is_business_day(date(2026, 12, 28))  # Boxing Day substitute
    assert UK.is_business_day(date(2026, 12, 29))
    assert UK.business_hours(date(2026, 4, 3)) is None  # Good Friday
    assert UK.business_hours(date(2026, 4, 2)) == (utc(2026, 4, 2, 8), utc(2026, 4, 2, 16, 30))  # BST


# -- add_business_time ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "amount", "expected"),
    [
        (london(2026, 11, 2, 10), 2 * H, utc(2026, 11, 2, 12)),  # inside hours
        (london(2026, 11, 2, 7), H, utc(2026, 11, 2, 10)),  # before opening
        (london(2026, 11, 2, 18), H, utc(2026, 11, 3, 10)),  # after closing
        (london(2026, 11, 7, 12), H, utc(2026, 11, 9, 10)),  # Saturday
        (london(2026, 4, 3, 10), H, utc(2026, 4, 7, 9)),  # Good Friday, then Easter Monday: Tuesday 10:00 BST
        (london(2026, 11, 2, 16), timedelta(hours=1, minutes=30), utc(2026, 11, 2, 17, 30)),  # ends at closing
        (london(2026, 11, 2, 16), timedelta(hours=1, minutes=31), utc(2026, 11, 3, 9, 1)),
        (london(2026, 11, 6, 17), timedelta(hours=17), utc(2026, 11, 10, 17)),  # 0.5 h Fri + 8.5 h Mon + 8 h Tue
        (london(2026, 3, 27, 17), H, utc(2026, 3, 30, 8, 30)),  # Friday GMT -> Monday BST
        (london(2026, 10, 23, 17), H, utc(2026, 10, 26, 9, 30)),  # Friday BST -> Monday GMT
        (london(2026, 12, 24, 16), 2 * H, utc(2026, 12, 29, 9, 30)),  # Christmas and Boxing Day substitute
    ],
)
def test_add_business_time(start: datetime, amount: timedelta, expected: datetime) -> None:
    assert UK.add_business_time(start, amount) == expected


def test_add_business_time_returns_utc_and_zero_returns_the_start_unchanged() -> None:
    result = UK.add_business_time(london(2026, 11, 2, 10), H)
    assert result.utcoffset() == timedelta(0)
    saturday = london(2026, 11, 7, 12)
    assert UK.add_business_time(saturday, timedelta(0)) == utc(2026, 11, 7, 12)
    # Any positive amount from outside hours starts counting at the next opening: Monday 09:00.
    assert UK.add_business_time(saturday, timedelta(minutes=1)) == utc(2026, 11, 9, 9, 1)
    assert UK.add_business_time(london(2026, 11, 9, 11), timedelta(minutes=1)) == utc(2026, 11, 9, 11, 1)


def test_new_york_across_its_dst_change_and_thanksgiving() -> None:
    friday = datetime(2026, 3, 6, 16, tzinfo=NEW_YORK)  # EST; clocks go forward on Sunday 8 March
    assert US.add_business_time(friday, 2 * H) == utc(2026, 3, 9, 14)  # Monday 10:00 EDT
    before_fall_back = datetime(2026, 10, 30, 16, tzinfo=NEW_YORK)  # EDT; back on Sunday 1 November
    assert US.add_business_time(before_fall_back, 2 * H) == utc(2026, 11, 2, 15)  # Monday 10:00 EST
    wednesday = datetime(2026, 11, 25, 16, tzinfo=NEW_YORK)
    assert US.add_business_time(wednesday, 2 * H) == utc(2026, 11, 27, 15)  # Thanksgiving skipped


def test_the_same_instant_in_different_zones() -> None:
    """13:00 UTC on a Monday in July: London is open until 16:30 UTC, New York opened at 13:00 UTC."""
    instant = utc(2026, 7, 6, 13)
    assert UK.add_business_time(instant, 4 * H) == utc(2026, 7, 7, 8, 30)
    assert US.add_business_time(instant, 4 * H) == utc(2026, 7, 6, 17)
    tokyo = calendar("Asia/Tokyo", ("09:00", "18:00"), holidays=())
    assert tokyo.add_business_time(instant, H) == utc(2026, 7, 7, 1)  # 22:00 in Tokyo: next morning


def test_refuses_naive_and_negative() -> None:
    with pytest.raises(ValueError, match="start: must be timezone-aware"):
        UK.add_business_time(datetime(2026, 11, 2, 10), H)
    with pytest.raises(ValueError, match="amount: must not be negative"):
        UK.add_business_time(utc(2026, 11, 2, 10), -H)
    with pytest.raises(ValueError, match="days: must not be negative"):
        UK.add_business_days(utc(2026, 11, 2, 10), -1)


# -- business_time_between -------------------------------------------------------------------------


def test_business_time_between() -> None:
    assert UK.business_time_between(london(2026, 11, 2, 10), london(2026, 11, 2, 12)) == 2 * H
    assert UK.business_time_between(london(2026, 11, 6, 17), london(2026, 11, 9, 10)) == timedelta(hours=1, minutes=30)
    assert UK.business_time_between(london(2026, 11, 7, 1), london(2026, 11, 8, 23)) == timedelta(0)  # weekend
    assert UK.business_time_between(london(2026, 11, 2, 12), london(2026, 11, 2, 10)) == timedelta(0)
    # Friday 27 March 16:00 GMT to Monday 30 March 10:00 BST: 1.5 h + 1 h, not 2.5 h +/- the hour lost.
    assert UK.business_time_between(london(2026, 3, 27, 16), london(2026, 3, 30, 10)) == timedelta(hours=2, minutes=30)


def test_a_whole_year_is_measured_by_the_day_and_quickly() -> None:
    began = clock.perf_counter()
    year = UK.business_time_between(utc(2026, 1, 1), utc(2027, 1, 1))
    forty_days = UK.add_business_time(london(2026, 11, 2, 9), 40 * timedelta(hours=8, minutes=30))
    assert clock.perf_counter() - began < 0.5
    assert year == 253 * timedelta(hours=8, minutes=30)  # 261 weekdays less 8 bank holidays
    # 40 working days from Monday 2 November 09:00: 21 in November, 19 in December skipping
    # Christmas Day and the Boxing Day substitute: the 40th is Tuesday 29 December.
    assert forty_days == utc(2026, 12, 29, 17, 30)


def _instants(seed: int, count: int) -> list[datetime]:
    rng = random.Random(seed)
    base = utc(2026, 1, 1)
    return [base + timedelta(minutes=rng.randrange(0, 2 * 366 * 24 * 60)) for _ in range(count)]


@pytest.mark.parametrize("cal", [UK, US], ids=["london", "new_york"])
def test_adding_then_measuring_gives_back_the_amount(cal: BusinessCalendar) -> None:
    rng = random.Random(7)
    for start in _instants(1, 300):
        amount = timedelta(minutes=rng.randrange(1, 60 * 8 * 30))
        end = cal.add_business_time(start, amount)
        assert cal.business_time_between(start, end) == amount, (start, amount)
        assert end > start
        # Just before the end, less than the amount has passed: the end is the earliest such instant.
        assert cal.business_time_between(start, end - timedelta(microseconds=1)) < amount


@pytest.mark.parametrize("cal", [UK, US], ids=["london", "new_york"])
def test_measuring_then_adding_lands_at_or_before_the_end(cal: BusinessCalendar) -> None:
    starts, ends = _instants(2, 300), _instants(3, 300)
    for start, end in zip(starts, ends, strict=True):
        start, end = min(start, end), max(start, end)
        elapsed = cal.business_time_between(start, end)
        if elapsed == timedelta(0):
            continue
        reached = cal.add_business_time(start, elapsed)
        assert reached <= end
        assert cal.business_time_between(reached, end) == timedelta(0)  # only closed time in between


# -- add_business_days (FCA: close of business on the Nth business day after the day of receipt) ------


@pytest.mark.parametrize(
    ("received", "days", "expected"),
    [
        (london(2026, 11, 2, 10), 3, utc(2026, 11, 5, 17, 30)),  # Monday -> Thursday
        (london(2026, 11, 2, 20), 3, utc(2026, 11, 5, 17, 30)),  # after close: still Monday's receipt
        (london(2026, 12, 18, 10), 3, utc(2026, 12, 23, 17, 30)),  # Friday -> Wednesday
        (london(2026, 12, 19, 10), 3, utc(2026, 12, 23, 17, 30)),  # Saturday: counting starts Monday
        (london(2026, 12, 24, 10), 3, utc(2026, 12, 31, 17, 30)),  # over Christmas and the Boxing Day substitute
        (utc(2026, 6, 1, 23, 30), 3, utc(2026, 6, 5, 16, 30)),  # 00:30 BST Tuesday is the day of receipt
        (london(2026, 3, 26, 10), 3, utc(2026, 3, 31, 16, 30)),  # Thursday GMT -> Tuesday BST
        (london(2026, 12, 19, 10), 0, utc(2026, 12, 21, 17, 30)),  # zero: today's close, or the next
        (london(2026, 11, 2, 10), 0, utc(2026, 11, 2, 17, 30)),
        (london(2026, 11, 2, 10), 15, utc(2026, 11, 23, 17, 30)),
        (london(2026, 11, 2, 10), 35, utc(2026, 12, 21, 17, 30)),
    ],
)
def test_add_business_days(received: datetime, days: int, expected: datetime) -> None:
    assert UK.add_business_days(received, days) == expected


def test_add_business_days_in_new_york() -> None:
    received = datetime(2026, 11, 24, 11, tzinfo=NEW_YORK)  # Tuesday; Thursday 26 is Thanksgiving
    assert US.add_business_days(received, 3) == utc(2026, 11, 30, 22)  # Monday 17:00 EST


# -- validation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"timezone": "Europe/Londn"}, "unknown IANA time zone 'Europe/Londn'"),
        ({"working_hours": {"mon": ["17:30", "09:00"]}}, "mon: opening 17:30:00 must be before closing 09:00:00"),
        ({"working_hours": {"monday": ["09:00", "17:30"]}}, "working_hours.monday"),
        ({"working_hours": {}}, "working_hours has no day"),
        ({"holidays": ["2026-13-01"]}, "holidays.0"),
    ],
)
def test_a_broken_calendar_is_refused_with_the_field_named(change: dict[str, Any], message: str) -> None:
    data: dict[str, Any] = {"name": "uk", "timezone": "Europe/London", "working_hours": {"mon": ["09:00", "17:30"]}}
    with pytest.raises(ValidationError, match=message):
        BusinessCalendar.model_validate({**data, **change})


def test_a_calendar_round_trips_through_json() -> None:
    assert BusinessCalendar.model_validate_json(UK.model_dump_json()) == UK
