"""The emerging-issue review: which root causes suddenly have more cases than usual, and managers told.

A Temporal Schedule (`complaints-emerging-review`, infra/schedules.py) starts one run per
window. The run counts the archive (one activity), decides here with the pure
`complaints.emerging` (the thresholds are its input, from the settings), and alerts the
managers of each issue found (one activity each, which mails it once per root cause and
window). It keeps nothing between runs: the alerts' table and the outbox remember.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from complaints import contracts
    from complaints.emerging import EmergingReview, EmergingReviewResult, emerging_issues, review_windows
    from workflows.scheduled import nominal_time

COUNTING = RetryPolicy(maximum_attempts=5)
# A missed alert is not caught by the next run (it reviews another window): keep trying for hours,
# but not after the mail server refused for good (a non-retryable failure).
MAILING = RetryPolicy(
    initial_interval=timedelta(seconds=30), maximum_interval=timedelta(minutes=30), maximum_attempts=12
)


@workflow.defn(name="EmergingReviewWorkflow")
class EmergingReviewWorkflow:
    @workflow.run
    async def run(self, review: EmergingReview) -> EmergingReviewResult:
        as_of = review.as_of or nominal_time()
        windows = review_windows(as_of, review)
        counts = await workflow.execute_activity(
            contracts.COUNT_ROOT_CAUSES.name,
            windows,
            result_type=contracts.COUNT_ROOT_CAUSES.result,
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=COUNTING,
            summary=f"count root causes: {windows.recent.label} and {review.baseline_windows} windows before",
        )
        issues = emerging_issues(counts, review)
        mailed, failed = 0, []
        for issue in issues:
            try:
                result = await workflow.execute_activity(
                    contracts.RAISE_EMERGING_ALERT.name,
                    issue,
                    result_type=contracts.RAISE_EMERGING_ALERT.result,
                    start_to_close_timeout=timedelta(minutes=2),
                    retry_policy=MAILING,
                    summary=f"alert managers: {issue.code}, {issue.count} cases (usually {issue.baseline})",
                )
            except ActivityError as error:  # the other issues are still told
                workflow.logger.warning("alert %s not sent: %s", issue.alert_key, error.cause or error)
                failed.append(issue.alert_key)
                continue
            mailed += result.mailed
        if failed:
            raise ApplicationError(f"{len(failed)} of {len(issues)} alerts not sent: {', '.join(failed)}")
        return EmergingReviewResult(as_of=as_of, window=windows.recent, issues=issues, mailed=mailed)
