"""Report periods as people say them: `2026H2`, `2026Q3`, `2026-11`, `2026`, `2026-01-01..2026-03-31`.

Every period is a half-open UTC interval [start, end): a case closed at midnight on 1 July
belongs to H2, never to both halves.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

PERIOD_FORMS = "YYYY, YYYYH1|H2, YYYYQ1..Q4, YYYY-MM, or FROM..TO (dates, TO included)"
_HALF = re.compile(r"^(\d{4})H([12])$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")


def parse_period(text: str) -> tuple[datetime, datetime]:
    """(start, end) of the period; ValueError naming the accepted forms otherwise."""
    value = text.strip().upper()
    try:
        if match := _HALF.match(value):
            year, half = int(match[1]), int(match[2])
            return _months(year, 6 * half - 5, 6)
        if match := _QUARTER.match(value):
            year, quarter = int(match[1]), int(match[2])
            return _months(year, 3 * quarter - 2, 3)
        if match := _MONTH.match(value):
            return _months(int(match[1]), int(match[2]), 1)
        if match := _YEAR.match(value):
            return _months(int(match[1]), 1, 12)
        if ".." in value:
            first, last = (date.fromisoformat(part.strip()) for part in value.split("..", 1))
            if last < first:
                raise ValueError(f"period {text!r}: {last} is before {first}")
            return _midnight(first), _midnight(last + timedelta(days=1))
    except ValueError as exc:
        if str(exc).startswith("period "):
            raise
        raise ValueError(f"period {text!r}: {exc}; use {PERIOD_FORMS}") from exc
    raise ValueError(f"period {text!r} is not one of {PERIOD_FORMS}")


def _months(year: int, first_month: int, count: int) -> tuple[datetime, datetime]:
    start = date(year, first_month, 1)
    end_month = first_month + count
    end = date(year + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1)
    return _midnight(start), _midnight(end)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
