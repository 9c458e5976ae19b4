"""The scheduled check: which cases are not moving, and operators told of each new one.

A Temporal Schedule (`complaints-doctor`, infra/schedules.py) starts one run every few
minutes; a run is two activities and ends. What was already mailed is kept in the outbox, so
the workflow needs no memory between runs.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from complaints import contracts
    from complaints.stuck import DoctorReport

ATTEMPTS = RetryPolicy(maximum_attempts=3)  # the next scheduled run tries again anyway


@workflow.defn(name="CaseDoctorWorkflow")
class CaseDoctorWorkflow:
    @workflow.run
    async def run(self) -> DoctorReport:
        examination = await workflow.execute_activity(
            contracts.EXAMINE_CASES.name,
            result_type=contracts.EXAMINE_CASES.result,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=ATTEMPTS,
            summary="find cases not moving",
        )
        report: DoctorReport = await workflow.execute_activity(
            contracts.ALERT_OPERATORS.name,
            examination,
            result_type=contracts.ALERT_OPERATORS.result,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=ATTEMPTS,
            summary=f"tell operators of new ones among {len(examination.cases)}",
        )
        return report
