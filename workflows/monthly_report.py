"""The monthly report: the month before the run's nominal time, mailed to the managers once.

A Temporal Schedule (`complaints-monthly-report`, infra/schedules.py) starts one run early on
the 1st of each month; the one activity computes the figures, renders the HTML report and mails
it (once per month: the outbox remembers).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from complaints import contracts
    from complaints.monthly_report import MonthlyReport, MonthlyReportRequest, MonthlyReportResult, previous_month
    from workflows.emerging_review import MAILING
    from workflows.scheduled import nominal_time


@workflow.defn(name="MonthlyReportWorkflow")
class MonthlyReportWorkflow:
    @workflow.run
    async def run(self, report: MonthlyReport) -> MonthlyReportResult:
        month = report.month or previous_month(report.as_of or nominal_time())
        result: MonthlyReportResult = await workflow.execute_activity(
            contracts.SEND_MONTHLY_REPORT.name,
            MonthlyReportRequest(month=month),
            result_type=contracts.SEND_MONTHLY_REPORT.result,
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=MAILING,
            summary=f"report {month} to the managers",
        )
        return result
