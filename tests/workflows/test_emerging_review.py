"""Issue 17: the review and monthly report workflows on the time-skipping server, with stand-in activities.

The workflow decides from the counts (pure), alerts each issue once, goes on past an alert that
cannot be sent (and then fails, naming it), and replays from its own history.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import pytest_asyncio
from temporalio import activity
from temporalio.client import Client, WorkflowFailureError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from complaints import contracts
from complaints.emerging import (
    EmergingAlertResult,
    EmergingIssue,
    EmergingReview,
    EmergingReviewResult,
    ReviewWindows,
    RootCauseCounts,
)
from complaints.monthly_report import MonthlyReport, MonthlyReportRequest, MonthlyReportResult
from infra.sandbox import workflow_runner
from workflows.emerging_review import EmergingReviewWorkflow
from workflows.monthly_report import MonthlyReportWorkflow

QUEUE = f"emerging-{uuid.uuid4().hex[:8]}"
AS_OF = datetime(2026, 11, 16, 6, 30, tzinfo=UTC)
REFUSED = "product.refused"


class StandIns:
    """The three activities, by their contracts' names, recording what they were asked."""

    def __init__(self) -> None:
        self.counted: list[ReviewWindows] = []
        self.alerted: list[EmergingIssue] = []
        self.months: list[str] = []
        self.counts: dict[str, list[int]] = {}

    @activity.defn(name=contracts.COUNT_ROOT_CAUSES.name)
    async def count_root_causes(self, request: ReviewWindows) -> RootCauseCounts:
        self.counted.append(request)
        return RootCauseCounts(windows=request.windows, counts=self.counts)

    @activity.defn(name=contracts.RAISE_EMERGING_ALERT.name)
    async def raise_emerging_alert(self, issue: EmergingIssue) -> EmergingAlertResult:
        self.alerted.append(issue)
        if issue.code == REFUSED:
            raise ApplicationError("550 mailbox unavailable", non_retryable=True)
        first = sum(1 for seen in self.alerted if seen.alert_key == issue.alert_key) == 1
        return EmergingAlertResult(alert_key=issue.alert_key, cases=issue.count, mailed=first)

    @activity.defn(name=contracts.SEND_MONTHLY_REPORT.name)
    async def send_monthly_report(self, request: MonthlyReportRequest) -> MonthlyReportResult:
        self.months.append(request.month)
        return MonthlyReportResult(month=request.month, key=request.key, mailed=True)


@pytest.fixture
def stand_ins() -> StandIns:
    return StandIns()


@pytest_asyncio.fixture
async def review_client(time_env: WorkflowEnvironment, stand_ins: StandIns) -> AsyncIterator[Client]:
    async with Worker(
        time_env.client,
        task_queue=QUEUE,
        workflows=[EmergingReviewWorkflow, MonthlyReportWorkflow],
        activities=[stand_ins.count_root_causes, stand_ins.raise_emerging_alert, stand_ins.send_monthly_report],
        workflow_runner=workflow_runner(),
    ):
        yield time_env.client


def review(**changes: object) -> EmergingReview:
    return EmergingReview(
        window=timedelta(days=7), baseline_windows=4, ratio=Decimal("2.0"), minimum_cases=3
    ).model_copy(update={"as_of": AS_OF, **changes})


async def run_review(client: Client, given: EmergingReview) -> tuple[str, EmergingReviewResult]:
    workflow_id = f"review-{uuid.uuid4().hex[:8]}"
    result = await client.execute_workflow(EmergingReviewWorkflow.run, given, id=workflow_id, task_queue=QUEUE)
    return workflow_id, result


async def test_the_review_alerts_each_root_cause_crossing_and_no_other(
    review_client: Client, stand_ins: StandIns
) -> None:
    stand_ins.counts = {
        "billing.duplicate-charge": [2, 2, 2, 2, 4],  # at the threshold
        "delivery.late": [2, 2, 2, 2, 3],  # just below it
        "product.new-fault": [0, 0, 0, 0, 3],  # new, the minimum
    }
    client = review_client
    workflow_id, result = await run_review(client, review())

    [asked] = stand_ins.counted
    assert asked.recent.start == datetime(2026, 11, 9, tzinfo=UTC)
    assert asked.recent.end == datetime(2026, 11, 16, tzinfo=UTC)  # the day of `as_of`, truncated
    assert asked.windows[0].start == datetime(2026, 10, 12, tzinfo=UTC) and len(asked.windows) == 5
    assert [issue.code for issue in stand_ins.alerted] == ["billing.duplicate-charge", "product.new-fault"]
    assert result.mailed == 2 and result.window == asked.recent and result.as_of == AS_OF
    assert [issue.alert_key for issue in result.issues] == [
        "emerging:billing.duplicate-charge:2026-11-09..2026-11-15",
        "emerging:product.new-fault:2026-11-09..2026-11-15",
    ]

    # the same day again: the same window and keys, so the alert activity (once per key) mails nothing
    _, again = await run_review(client, review(as_of=AS_OF + timedelta(hours=10)))
    assert again.mailed == 0 and [i.alert_key for i in again.issues] == [i.alert_key for i in result.issues]

    history = await client.get_workflow_handle(workflow_id).fetch_history()
    replayer = Replayer(
        workflows=[EmergingReviewWorkflow], data_converter=pydantic_data_converter, workflow_runner=workflow_runner()
    )
    await replayer.replay_workflow(history)  # raises on any nondeterminism


async def test_an_alert_that_cannot_be_sent_fails_the_run_after_the_others(
    review_client: Client, stand_ins: StandIns
) -> None:
    stand_ins.counts = {REFUSED: [0, 0, 0, 0, 5], "service.rude-agent": [1, 1, 1, 1, 6]}
    with pytest.raises(WorkflowFailureError) as failed:
        await run_review(review_client, review())
    assert [issue.code for issue in stand_ins.alerted] == [REFUSED, "service.rude-agent"]  # the other one still went
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.message == f"1 of 2 alerts not sent: emerging:{REFUSED}:2026-11-09..2026-11-15"


async def test_nothing_crossing_alerts_nobody(review_client: Client, stand_ins: StandIns) -> None:
    stand_ins.counts = {"delivery.late": [3, 3, 3, 3, 5]}
    _, result = await run_review(review_client, review())
    assert result.issues == [] and stand_ins.alerted == []


async def test_the_monthly_report_is_of_the_month_before_its_time(review_client: Client, stand_ins: StandIns) -> None:
    for given in (
        MonthlyReport(as_of=datetime(2027, 1, 1, 6, tzinfo=UTC)),
        MonthlyReport(month="2026-06"),
    ):
        result = await review_client.execute_workflow(
            MonthlyReportWorkflow.run, given, id=f"monthly-{uuid.uuid4().hex[:8]}", task_queue=QUEUE
        )
        assert result.mailed
    assert stand_ins.months == ["2026-12", "2026-06"]
