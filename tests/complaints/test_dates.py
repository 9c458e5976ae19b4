"""`complaints.dates`: the one way instants are normalised to UTC and written for staff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from complaints.dates import NO_DEADLINE, as_utc, when

LONDON = ZoneInfo("Europe/London")


def test_when_writes_the_instant_in_utc() -> None:
    assert when(datetime(2026, 12, 3, 14, 0, tzinfo=UTC)) == "Thu 03 Dec 2026 14:00 UTC"
    # Another zone is the same instant, written in UTC (10:05 BST is 09:05 UTC).
    assert when(datetime(2026, 7, 3, 10, 5, tzinfo=LONDON)) == "Fri 03 Jul 2026 09:05 UTC"
    assert when(datetime(2026, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=-5)))) == "Fri 01 Jan 2027 04:30 UTC"


def test_when_reads_a_naive_time_as_utc_and_none_as_no_deadline() -> None:
    assert when(datetime(2026, 12, 3, 14, 0)) == "Thu 03 Dec 2026 14:00 UTC"
    assert when(None) == NO_DEADLINE == "no deadline"


def test_as_utc_keeps_the_instant() -> None:
    summer = datetime(2026, 7, 3, 10, 5, tzinfo=LONDON)
    converted = as_utc(summer, "at")
    assert converted == summer
    assert converted.tzinfo is UTC
    assert (converted.hour, converted.minute) == (9, 5)


def test_as_utc_refuses_a_naive_input_naming_its_field() -> None:
    with pytest.raises(ValueError, match=r"^received_at: must be timezone-aware, got 2026-11-20T09:30:00$"):
        as_utc(datetime(2026, 11, 20, 9, 30), "received_at")


def test_as_utc_reads_a_stored_naive_time_as_utc() -> None:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    stored = as_utc(datetime(2026, 11, 20, 9, 30))
    assert stored == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    assert stored.tzinfo is UTC
