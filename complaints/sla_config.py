"""The `[sla]` table of the rules file: calendars, targets per priority, regulatory profiles.

Pinned with the rest of the rules when a case starts. Every field has a default, so a rules
file (or a saved history) from before SLA clocks still validates; `complaints.sla` re-exports
these names, so callers import everything SLA from one module.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from complaints.calendar import BusinessCalendar, Weekday
from complaints.intake import Category, Priority
from complaints.regulatory import RegulatoryDeadline, RegulatoryProfile, regulatory_deadlines


class ClockKind(StrEnum):
    ACKNOWLEDGEMENT = "acknowledgement"
    FIRST_RESPONSE = "first_response"
    INVESTIGATION = "investigation"
    APPROVAL = "approval"
    RESOLUTION = "resolution"


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Target(_Config):
    """How long a clock may run: business time on the case's calendar, or calendar time.

    In TOML `{ duration = "PT16H", business = true }`, or just `"PT16H"` (business time).
    """

    duration: timedelta
    business: bool = True

    @model_validator(mode="before")
    @classmethod
    def _bare_duration(cls, data: Any) -> Any:
        return {"duration": data} if isinstance(data, str | timedelta) else data

    @field_validator("duration")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError(f"must be longer than zero, got {value}")
        return value


class SlaPolicy(_Config):
    """The targets of one priority; a kind left out has no clock."""

    targets: dict[ClockKind, Target] = {}

    @model_validator(mode="before")
    @classmethod
    def _flat_table(cls, data: Any) -> Any:
        """`[sla.policies.urgent]` may list the targets directly, without a `targets` level."""
        if isinstance(data, dict) and "targets" not in data:
            return {"targets": data}
        return data


class PriorityRule(_Config):
    """Derive a priority when intake gave none: the first matching rule wins."""

    category: Category | None = None  # None: any category
    min_severity: int | None = Field(default=None, ge=1, le=5)  # None: any severity, even unknown
    priority: Priority

    def matches(self, category: Category, severity: int | None) -> bool:
        if self.category is not None and self.category != category:
            return False
        return self.min_severity is None or (severity is not None and severity >= self.min_severity)


def _named(data: Any, field: str) -> Any:
    """Tables keyed by name (`[sla.calendars.uk]`) need not repeat `name`; a different one is refused."""
    if not isinstance(data, dict) or not isinstance(data.get(field), dict):
        return data
    named: dict[str, Any] = {}
    for key, value in data[field].items():
        if isinstance(value, dict):
            if value.get("name", key) != key:
                raise ValueError(f"{field}.{key}: name {value['name']!r} differs from its key {key!r}")
            value = {**value, "name": key}
        named[key] = value
    return {**data, field: named}


_WORKDAY = (time(9, 0), time(17, 30))
DEFAULT_CALENDAR = BusinessCalendar(
    name="uk",
    timezone="Europe/London",
    working_hours={day: _WORKDAY for day in (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI)},
)
INTERNAL_PROFILE = RegulatoryProfile(
    name="internal", source="Complaintflow SLA policy (no regulator)", jurisdiction="none"
)


def _policy(ack: str, first: str, investigation: str, approval: str, resolution: str) -> SlaPolicy:
    return SlaPolicy.model_validate(
        {
            "acknowledgement": ack,
            "first_response": first,
            "investigation": investigation,
            "approval": approval,
            "resolution": {"duration": resolution, "business": False},
        }
    )


# The production figures (config/complaints.toml explains them); business time is 8.5 h a day.
DEFAULT_POLICIES: dict[Priority, SlaPolicy] = {
    Priority.URGENT: _policy("PT1H", "PT4H", "PT16H", "PT8H", "P5D"),
    Priority.HIGH: _policy("PT2H", "PT8H30M", "PT25H30M", "PT17H", "P10D"),
    Priority.NORMAL: _policy("PT4H", "PT17H", "PT42H30M", "PT25H30M", "P21D"),
    Priority.LOW: _policy("PT8H30M", "PT25H30M", "PT85H", "PT42H30M", "P35D"),
}


class SlaConfig(_Config):
    calendars: dict[str, BusinessCalendar] = {DEFAULT_CALENDAR.name: DEFAULT_CALENDAR}
    default_calendar: str = DEFAULT_CALENDAR.name
    policies: dict[Priority, SlaPolicy] = DEFAULT_POLICIES
    warn_at: tuple[float, ...] = (0.5, 0.75)  # fractions of a target at which to warn
    pause_resolution_while_awaiting_customer: bool = True
    pause_during_offer: bool = False
    regulatory_profiles: dict[str, RegulatoryProfile] = {INTERNAL_PROFILE.name: INTERNAL_PROFILE}
    default_profile: str = INTERNAL_PROFILE.name
    derive_priority: list[PriorityRule] = []

    @classmethod
    def default(cls) -> SlaConfig:
        """For rules without an `[sla]` table: UK office hours, no holidays, no regulator."""
        return cls()

    @model_validator(mode="before")
    @classmethod
    def _names_from_keys(cls, data: Any) -> Any:
        return _named(_named(data, "calendars"), "regulatory_profiles")

    @field_validator("warn_at")
    @classmethod
    def _fractions(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(not 0 < fraction < 1 for fraction in value):
            raise ValueError(f"each fraction must be between 0 and 1 (exclusive), got {list(value)}")
        if any(later <= earlier for earlier, later in pairwise(value)):
            raise ValueError(f"must be strictly increasing, got {list(value)}")
        return value

    @model_validator(mode="after")
    def _references_resolve(self) -> SlaConfig:
        missing = [priority.value for priority in Priority if priority not in self.policies]
        if missing:
            raise ValueError(f"policies: no policy for priority {', '.join(missing)}")
        if self.default_calendar not in self.calendars:
            raise ValueError(f"default_calendar: unknown calendar {self.default_calendar!r}")
        if self.default_profile not in self.regulatory_profiles:
            raise ValueError(f"default_profile: unknown regulatory profile {self.default_profile!r}")
        for name, profile in self.regulatory_profiles.items():
            if profile.calendar is not None and profile.calendar not in self.calendars:
                raise ValueError(f"regulatory_profiles.{name}.calendar: unknown calendar {profile.calendar!r}")
        return self

    # -- pure look-ups for the workflow -------------------------------------------------------------

    def calendar(self, name: str | None = None) -> BusinessCalendar:
        """The named calendar (the default one for None)."""
        key = self.default_calendar if name is None else name
        if key not in self.calendars:
            raise ValueError(f"unknown calendar {key!r}; known: {', '.join(sorted(self.calendars))}")
        return self.calendars[key]

    def profile(self, name: str | None = None) -> RegulatoryProfile:
        """The named regulatory profile (the default one for None)."""
        key = self.default_profile if name is None else name
        if key not in self.regulatory_profiles:
            known = ", ".join(sorted(self.regulatory_profiles))
            raise ValueError(f"unknown regulatory profile {key!r}; known: {known}")
        return self.regulatory_profiles[key]

    def target(self, priority: Priority, kind: ClockKind) -> Target | None:
        return self.policies[priority].targets.get(kind)

    def priority_for(self, category: Category, severity: int | None = None) -> Priority | None:
        """The first `derive_priority` rule that matches, or None."""
        return next((rule.priority for rule in self.derive_priority if rule.matches(category, severity)), None)

    def deadlines_for(
        self,
        received_at: datetime,
        profile: str | None = None,
        product: str | None = None,
        calendar: str | None = None,
    ) -> list[RegulatoryDeadline]:
        """The regulatory deadlines of a case; business days on the profile's own calendar if
        it names one, else on the case's calendar."""
        chosen = self.profile(profile)
        days = self.calendar(chosen.calendar or calendar)
        return regulatory_deadlines(chosen, received_at, days, product)
