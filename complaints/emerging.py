"""Emerging issues: a root cause whose archived cases suddenly outnumber its usual count.

The review (workflows/emerging_review.py, run by the `complaints-emerging-review` schedule)
counts each root cause's archived cases by `received_at` in the recent window and in the N
windows before it. The decision is here, pure: crossed when the recent count reaches the
minimum and at least `ratio` times the baseline (the mean per window of those N); a root cause
never seen before (baseline 0) crosses on the minimum alone.

Windows are whole days, aligned on the run's nominal time truncated to the day, so every run
of one day looks at the same window and an issue is alerted once per window (`alert_key`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from pydantic import BaseModel, Field, field_validator

ONE_DAY = timedelta(days=1)
ALERT_PREFIX = "emerging"


class ReviewWindow(BaseModel):
    """A half-open UTC interval [start, end) of whole days."""

    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        """`2026-11-09..2026-11-15`: first and last day, both included (as `--period` takes it)."""
        return f"{self.start:%Y-%m-%d}..{self.end - ONE_DAY:%Y-%m-%d}"


class EmergingReview(BaseModel):
    """The review's input: the thresholds (from the settings, via the schedule) and when it looks.

    `as_of` None: the schedule's nominal time (or the workflow's start when started by hand).
    """

    window: timedelta = timedelta(days=7)
    baseline_windows: int = Field(4, ge=1)
    ratio: Decimal = Field(Decimal("2.0"), gt=0)
    minimum_cases: int = Field(3, ge=1)
    as_of: datetime | None = None

    @field_validator("window")
    @classmethod
    def _whole_days(cls, window: timedelta) -> timedelta:
        return whole_days(window)


def whole_days(window: timedelta) -> timedelta:
    """A window is one day or more, in whole days: otherwise it could not be aligned on the day."""
    if window < ONE_DAY or window % ONE_DAY:
        raise ValueError(f"a review window is whole days (P1D, P7D, ...), not {window}")
    return window


class ReviewWindows(BaseModel):
    """The baseline windows, oldest first, then the recent one (always last)."""

    windows: list[ReviewWindow]

    @property
    def recent(self) -> ReviewWindow:
        return self.windows[-1]


class RootCauseCounts(BaseModel):
    """Archived cases per root cause code and window (aligned with `windows`, oldest first).

    Only the codes with at least one case in the recent window: no other can be emerging."""

    windows: list[ReviewWindow]
    counts: dict[str, list[int]]


class AlertedCase(BaseModel):
    complaint_id: str
    product: str | None
    received_at: datetime


class EmergingIssue(BaseModel):
    code: str
    window: ReviewWindow
    count: int
    baseline: Decimal  # the mean count per baseline window
    baseline_windows: int
    ratio: Decimal
    minimum_cases: int

    @property
    def alert_key(self) -> str:
        return alert_key(self.code, self.window)


class EmergingAlertResult(BaseModel):
    alert_key: str
    cases: int  # listed in the alert
    mailed: bool  # False: this issue and window had been mailed before


class EmergingReviewResult(BaseModel):
    as_of: datetime  # the time the review looked from (a scheduled run: its nominal time)
    window: ReviewWindow
    issues: list[EmergingIssue]
    mailed: int  # alerts mailed by this run (the others had been mailed before)


def window_end(as_of: datetime) -> datetime:
    """The recent window ends at the start of the day `as_of` falls in (UTC)."""
    moment = as_of.astimezone(UTC)
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


def review_windows(as_of: datetime, review: EmergingReview) -> ReviewWindows:
    end = window_end(as_of)
    count = review.baseline_windows + 1
    windows = [
        ReviewWindow(start=end - (count - n) * review.window, end=end - (count - n - 1) * review.window)
        for n in range(count)
    ]
    return ReviewWindows(windows=windows)


def baseline_mean(baseline: list[int]) -> Decimal:
    return (Decimal(sum(baseline)) / Decimal(len(baseline))).quantize(Decimal("0.01"))


def crossed(count: int, baseline: list[int], ratio: Decimal, minimum_cases: int) -> bool:
    """count >= minimum and count >= ratio x mean(baseline); a zero baseline needs only the minimum.

    Compared as `count x N >= ratio x sum`, exactly, so a mean like 7/3 is never rounded."""
    if count < minimum_cases:
        return False
    total = sum(baseline)
    if total == 0:
        return True
    return Decimal(count) * len(baseline) >= ratio * total


def emerging_issues(counts: RootCauseCounts, review: EmergingReview) -> list[EmergingIssue]:
    """Every root cause crossing the threshold in the recent window, by code."""
    issues = []
    recent = counts.windows[-1]
    for code in sorted(counts.counts):
        *baseline, count = counts.counts[code]
        if crossed(count, baseline, review.ratio, review.minimum_cases):
            issues.append(
                EmergingIssue(
                    code=code,
                    window=recent,
                    count=count,
                    baseline=baseline_mean(baseline),
                    baseline_windows=len(baseline),
                    ratio=review.ratio,
                    minimum_cases=review.minimum_cases,
                )
            )
    return issues


def alert_key(code: str, window: ReviewWindow) -> str:
    """One alert per root cause and window: `emerging:billing.duplicate-charge:2026-11-09..2026-11-15`."""
    return f"{ALERT_PREFIX}:{code}:{window.label}"
