"""What intake checks against the world a case will run in: the clock and the rules.

Parsing (`complaints.intake`) knows only the complaint. Some input is well formed and still
fails for ever once a case runs on it: a regulatory profile the rules do not have, or a
receipt time decades away, whose clocks breach at once or overflow the calendar. The entry
points refuse those here, before anything starts. Pure: the caller passes the rules the
worker loads, the time it is now and the window it accepts (from its settings).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from complaints.dates import as_utc
from complaints.intake import ComplaintInput, InvalidInput, describe_problems
from complaints.rules import CaseRules

DEFAULT_MAX_AGE = timedelta(days=366)
DEFAULT_CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class IntakeWindow:
    """How far from now a complaint's `received_at` may be.

    `max_age`: older complaints are refused (their clocks would all have breached long ago).
    `clock_skew`: how far the sender's clock, ours and Temporal's may disagree. A receipt up to
    that far in the future is taken, and so is one that recent in the past; the case then counts
    from its own start (see `as_started`).
    """

    max_age: timedelta = DEFAULT_MAX_AGE
    clock_skew: timedelta = DEFAULT_CLOCK_SKEW

    def __post_init__(self) -> None:
        if self.max_age <= timedelta(0):
            raise ValueError(f"max_age: must be longer than zero, got {self.max_age}")
        if self.clock_skew < timedelta(0):
            raise ValueError(f"clock_skew: must not be negative, got {self.clock_skew}")


@dataclass(frozen=True)
class Problem:
    """One refused field: `field` dotted like `customer.timezone`, `message` the reason."""

    field: str
    message: str

    def as_error(self) -> dict[str, Any]:
        """In pydantic's error shape, so `describe_problems` words it like every other problem."""
        return {"loc": tuple(self.field.split(".")), "msg": self.message}


def check_against(complaint: ComplaintInput, rules: CaseRules, now: datetime, window: IntakeWindow) -> list[Problem]:
    """Every reason the case would fail or be wrong from its first moment; empty when none."""
    problems: list[Problem] = []
    profile, known = complaint.regulatory_profile, rules.sla.regulatory_profiles
    if profile is not None and profile not in known:
        names = ", ".join(sorted(known))
        problems.append(Problem("regulatory_profile", f"unknown regulatory profile {profile!r}; known: {names}"))
    if complaint.received_at is not None:
        problem = _received_problem(as_utc(complaint.received_at, "received_at"), as_utc(now, "now"), window)
        if problem is not None:
            problems.append(Problem("received_at", problem))
    return problems


def _received_problem(received: datetime, now: datetime, window: IntakeWindow) -> str | None:
    if received > now + window.clock_skew:
        return (
            f"is {span(received - now)} in the future ({received.isoformat()}, now {now.isoformat()}); "
            f"clocks may differ by {span(window.clock_skew)} at most"
        )
    if received < now - window.max_age:
        return (
            f"is {span(now - received)} ago ({received.isoformat()}); "
            f"complaints received in the last {span(window.max_age)} are taken"
        )
    return None


def refuse_unless_acceptable(
    complaints: Sequence[ComplaintInput], rules: CaseRules, now: datetime, window: IntakeWindow
) -> None:
    """Raise `InvalidInput` naming every problem (`complaint 2.received_at: …` in a list of many).

    All or nothing, like parsing: one bad complaint in a list and none of them starts.
    """
    errors: list[dict[str, Any]] = []
    for index, complaint in enumerate(complaints):
        for problem in check_against(complaint, rules, now, window):
            error = problem.as_error()
            if len(complaints) > 1:
                error["loc"] = (index, *error["loc"])
            errors.append(error)
    if errors:
        prefix = "complaint " if len(complaints) > 1 else ""
        raise InvalidInput("\n".join(describe_problems(errors, prefix)), errors)


def as_started(complaint: ComplaintInput, now: datetime, window: IntakeWindow) -> ComplaintInput:
    """The complaint as its workflow gets it: a receipt time within the clock skew of now is left out.

    A case's clocks start at `received_at` and stop at the workflow's own time; a receipt even
    a second after that (a sender's clock running fast) would stop a clock before it started,
    and the case could never acknowledge. Within the skew the two cannot be told apart, so the
    case counts from the moment it starts, which is at most the skew away from what was sent.
    """
    received = complaint.received_at
    if received is None or as_utc(received, "received_at") < as_utc(now, "now") - window.clock_skew:
        return complaint
    return complaint.model_copy(update={"received_at": None})


def span(amount: timedelta) -> str:
    """'366 days', '5 minutes', '2 days 3 hours': a duration as a person says it."""
    seconds = int(abs(amount).total_seconds())
    parts = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}{'s' if count != 1 else ''}")
    return " ".join(parts[:2]) or "0 seconds"
