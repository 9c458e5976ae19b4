"""Instants as the system handles and shows them: always UTC, written one way everywhere.

Staff, engineers and the timeline read times in UTC, the team's shared clock, so the
workflow's records, the refusal reasons and the admin screens must spell an instant the same
way. Customers read their own zone, in their own language: `complaints.wording` writes those.
"""

from __future__ import annotations

from datetime import UTC, datetime

NO_DEADLINE = "no deadline"


def as_utc(value: datetime, field: str | None = None) -> datetime:
    """The instant in UTC.

    A naive datetime names no instant. Where it comes from input (`field` names it), it is
    refused with a message naming the field; where it comes from our own store (no `field`:
    SQLite hands back naive datetimes, and everything stored is UTC), it is read as UTC.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        if field is not None:
            raise ValueError(f"{field}: must be timezone-aware, got {value.isoformat()}")
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def when(moment: datetime | None) -> str:
    """'Thu 03 Dec 2026 14:00 UTC', or 'no deadline' when there is none (a naive time is read as UTC)."""
    if moment is None:
        return NO_DEADLINE
    return as_utc(moment).strftime("%a %d %b %Y %H:%M UTC")


def visibility_time(instant: datetime) -> str:
    """An aware time as a Temporal visibility query takes it: ISO 8601, UTC as `Z`."""
    return instant.isoformat().replace("+00:00", "Z")
