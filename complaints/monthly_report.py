"""The monthly report to the managers: which month a run reports, and the names it goes by.

The `complaints-monthly-report` schedule runs early on the 1st of each month; a run reports the
month before its nominal time, whatever day it actually runs (a caught-up run reports the
same month). One mail per month: its idempotency key is the month.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field

REPORT_PREFIX = "monthly-report"
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
ATTACHMENT_TYPE = "text/html"


class MonthlyReport(BaseModel):
    """The workflow's input. `month` None: the month before `as_of` (None: the nominal time)."""

    month: str | None = Field(None, pattern=MONTH_PATTERN)
    as_of: datetime | None = None


class MonthlyReportRequest(BaseModel):
    month: str = Field(pattern=MONTH_PATTERN)  # `2026-11`, as `parse_period` reads it

    @property
    def key(self) -> str:
        return report_key(self.month)

    @property
    def attachment_name(self) -> str:
        return attachment_name(self.month)


class MonthlyReportResult(BaseModel):
    month: str
    key: str
    mailed: bool  # False: this month's report had been mailed before


def previous_month(as_of: datetime) -> str:
    """`2026-11` for any instant in December 2026 (UTC)."""
    moment = as_of.astimezone(UTC)
    year, month = (moment.year, moment.month - 1) if moment.month > 1 else (moment.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def report_key(month: str) -> str:
    return f"{REPORT_PREFIX}:{month}"


def attachment_name(month: str) -> str:
    return f"complaints-report-{month}.html"
