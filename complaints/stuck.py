"""A case that is not moving, as `complaints admin doctor` and the scheduled check report it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel


class Problem(StrEnum):
    WORKFLOW_TASK_FAILING = "workflow task failing"
    NEEDS_ATTENTION = "needs attention"
    PAST_DEADLINE = "past its deadline"
    ACTIVITY_RETRYING = "activity retrying"
    MAIL_RETRYING = "mail retrying"
    FAILED = "failed"


class StuckCase(BaseModel):
    workflow_id: str
    problem: Problem
    since: datetime | None
    why: str

    @property
    def key(self) -> str:
        """One finding of one case: the scheduled check mails operators once per key."""
        return f"{self.workflow_id}:{self.problem.value}"


class DoctorReport(BaseModel):
    """What one scheduled check found, and how many of those findings were new (mailed)."""

    found: int
    new: int


class Examination(BaseModel):
    """Every case found not moving in one examination."""

    cases: list[StuckCase]
