"""How a moment is written for people: one format for the timeline, staff messages and refusals."""

from __future__ import annotations

from datetime import UTC, datetime


def when(moment: datetime | None) -> str:
    """`Thu 03 Dec 2026 14:00 UTC`; a naive datetime is taken as UTC; None is "no deadline"."""
    if moment is None:
        return "no deadline"
    instant = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return instant.strftime("%a %d %b %Y %H:%M UTC")
