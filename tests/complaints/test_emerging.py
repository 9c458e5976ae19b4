"""Issue 17, emerging issues: the threshold decision, at it and just below it, and the aligned windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from complaints.emerging import (
    EmergingReview,
    RootCauseCounts,
    crossed,
    emerging_issues,
    review_windows,
)
from complaints.monthly_report import MonthlyReport, MonthlyReportRequest, previous_month

RATIO, MINIMUM = Decimal("2.0"), 3


@pytest.mark.parametrize(
    ("count", "baseline", "expected"),
    [
        (4, [2, 2, 2, 2], True),  # at the threshold: 2 x mean 2
        (3, [2, 2, 2, 2], False),  # just below it
        (4, [1, 2, 2, 2], True),  # mean 1.75: 3.5 is the threshold, 4 crosses it
        (3, [1, 2, 2, 2], False),
        (7, [3, 4, 3, 4], True),  # mean 3.5: exactly 7
        (6, [3, 4, 3, 4], False),
        (3, [0, 0, 0, 0], True),  # a zero baseline: the minimum alone decides
        (2, [0, 0, 0, 0], False),  # below the minimum, even from nothing
        (2, [1, 0, 0, 0], False),  # 2 >= 2 x 0.25, but below the minimum
        (3, [1, 0, 0, 0], True),  # the minimum and the ratio both met
    ],
)
def test_crossed(count: int, baseline: list[int], expected: bool) -> None:
    assert crossed(count, baseline, RATIO, MINIMUM) is expected


def test_a_ratio_that_is_not_whole_is_compared_exactly() -> None:
    # mean 7/3 (2.333...) x 1.5 = 3.5: 4 crosses, 3 does not (no rounding of the mean decides)
    assert crossed(4, [2, 2, 3], Decimal("1.5"), 3)
    assert not crossed(3, [2, 2, 3], Decimal("1.5"), 3)


def test_windows_are_aligned_on_the_day_whatever_the_hour() -> None:
    review = EmergingReview(window=timedelta(days=7), baseline_windows=4)
    early = review_windows(datetime(2026, 11, 16, 0, 0, 1, tzinfo=UTC), review)
    late = review_windows(datetime(2026, 11, 16, 23, 59, tzinfo=UTC), review)
    assert early == late
    assert len(early.windows) == 5
    assert early.recent.start == datetime(2026, 11, 9, tzinfo=UTC)
    assert early.recent.end == datetime(2026, 11, 16, tzinfo=UTC)
    assert early.recent.label == "2026-11-09..2026-11-15"
    assert early.windows[0].start == datetime(2026, 10, 12, tzinfo=UTC)
    for before, after in zip(early.windows, early.windows[1:], strict=False):
        assert before.end == after.start  # contiguous, no gap, no overlap


def test_an_offset_time_is_read_in_utc() -> None:
    review = EmergingReview(window=timedelta(days=1), baseline_windows=2)
    windows = review_windows(datetime.fromisoformat("2026-11-16T01:30:00+05:00"), review)
    assert windows.recent.end == datetime(2026, 11, 15, tzinfo=UTC)  # 20:30 UTC on the 15th


@pytest.mark.parametrize("window", [timedelta(hours=5), timedelta(days=1, hours=2), timedelta(0)])
def test_a_window_is_whole_days(window: timedelta) -> None:
    with pytest.raises(ValidationError, match="whole days"):
        EmergingReview(window=window)


def test_emerging_issues_are_the_codes_crossing_with_their_baseline_and_key() -> None:
    review = EmergingReview(baseline_windows=4, ratio=RATIO, minimum_cases=MINIMUM)
    windows = review_windows(datetime(2026, 11, 16, 6, tzinfo=UTC), review).windows
    counts = RootCauseCounts(
        windows=windows,
        counts={
            "billing.duplicate-charge": [1, 0, 1, 0, 3],  # mean 0.5: 3 >= 1 and the minimum
            "delivery.late": [2, 2, 2, 2, 3],  # below 2 x 2
            "product.new-fault": [0, 0, 0, 0, 3],  # never seen before
            "service.rude": [0, 0, 0, 0, 2],  # below the minimum
        },
    )
    issues = emerging_issues(counts, review)
    assert [issue.code for issue in issues] == ["billing.duplicate-charge", "product.new-fault"]
    first = issues[0]
    assert (first.count, first.baseline, first.baseline_windows) == (3, Decimal("0.50"), 4)
    assert first.window == windows[-1]
    assert first.alert_key == "emerging:billing.duplicate-charge:2026-11-09..2026-11-15"


def test_the_monthly_report_is_of_the_month_before() -> None:
    assert previous_month(datetime(2026, 12, 1, 6, tzinfo=UTC)) == "2026-11"
    assert previous_month(datetime(2027, 1, 1, 6, tzinfo=UTC)) == "2026-12"
    assert previous_month(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == "2026-11"
    request = MonthlyReportRequest(month="2026-11")
    assert (request.key, request.attachment_name) == ("monthly-report:2026-11", "complaints-report-2026-11.html")
    with pytest.raises(ValidationError):
        MonthlyReport(month="2026-13")
