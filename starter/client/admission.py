"""What the client checks before it starts a complaint: the rules the worker loads, now, the window.

The models refuse what is malformed on its own; this refuses what is well formed and would still
fail inside the case (`complaints.intake_checks`): an unknown regulatory profile, a receipt time
outside the window. The domain is pure, so the clock and the rules file are read here.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from complaints.intake import ComplaintInput
from complaints.intake_checks import IntakeWindow, as_started, refuse_unless_acceptable
from complaints.rules import CaseRules, load_rules
from infra.settings import Settings
from starter.client.errors import ComplaintError, first_line


class RulesUnavailable(ComplaintError):
    """The rules file cannot be read, so complaints cannot be checked against it: none is started."""


def rules_for_intake(path: Path) -> CaseRules:
    """The rules a case started now would pin: the worker reads the same file (`Settings.rules_file`)."""
    try:
        return load_rules(path)
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as exc:
        raise RulesUnavailable(f"cannot check complaints against the rules in {path}: {first_line(str(exc))}") from exc


@dataclass(frozen=True)
class IntakeChecks:
    """The rules, the window and (for a caller that must check twice alike) a fixed `now`."""

    rules: CaseRules
    window: IntakeWindow = field(default_factory=IntakeWindow)
    now: datetime | None = None
    """None: the real clock, read at each check."""

    @classmethod
    def from_settings(cls, settings: Settings, now: datetime | None = None) -> IntakeChecks:
        """From `COMPLAINTS_RULES_FILE`, `COMPLAINTS_INTAKE_MAX_AGE` and `COMPLAINTS_INTAKE_CLOCK_SKEW`."""
        window = IntakeWindow(max_age=settings.intake_max_age, clock_skew=settings.intake_clock_skew)
        return cls(rules=rules_for_intake(settings.rules_file), window=window, now=now)

    def admit(self, complaints: Sequence[ComplaintInput]) -> list[ComplaintInput]:
        """The complaints as their workflows get them, in order; raises `InvalidInput` naming every
        refused field, in which case none of them may start."""
        now = self.now or datetime.now(UTC)
        refuse_unless_acceptable(complaints, self.rules, now, self.window)
        return [as_started(complaint, now, self.window) for complaint in complaints]
