"""The worker: runs complaint workflows and their activities. Stateless; run as many as needed.

python worker.py        (or: complaints worker)
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker

from activities import ComplaintActivities
from activities.case_priority import CasePriority
from activities.doctor_activities import DoctorActivities
from activities.emerging_activities import EmergingActivities
from activities.incident_activities import IncidentActivities
from activities.monthly_report import MonthlyReportActivities
from infra.connection import connect
from infra.logging import configure_logging
from infra.sandbox import workflow_runner
from infra.schedules import keep_schedules
from infra.settings import Settings
from workflows import ComplaintWorkflow
from workflows.doctor import CaseDoctorWorkflow
from workflows.emerging_review import EmergingReviewWorkflow
from workflows.incident import IncidentWorkflow
from workflows.monthly_report import MonthlyReportWorkflow

log = logging.getLogger("complaintflow.worker")


def build_worker(client: Client, settings: Settings, activities: ComplaintActivities) -> Worker:
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[
            ComplaintWorkflow,
            CaseDoctorWorkflow,
            IncidentWorkflow,
            EmergingReviewWorkflow,
            MonthlyReportWorkflow,
        ],
        activities=activities.all()
        + CasePriority(client).all()
        + DoctorActivities.for_worker(client, settings, activities.engine).all()
        + IncidentActivities(client, settings, activities.engine, activities.rules_file).all()
        + EmergingActivities(settings, activities.engine, activities.rules_file).all()
        + MonthlyReportActivities(settings, activities.engine, activities.rules_file).all(),
        workflow_runner=workflow_runner(),
        max_cached_workflows=settings.worker_max_cached_workflows,
        max_concurrent_workflow_tasks=settings.worker_max_concurrent_workflow_tasks,
        max_concurrent_activities=settings.worker_max_concurrent_activities,
        max_concurrent_workflow_task_polls=settings.worker_workflow_task_pollers,
        max_concurrent_activity_task_polls=settings.worker_activity_task_pollers,
        graceful_shutdown_timeout=timedelta(seconds=10),
        identity=settings.worker_identity or None,
    )


def metrics_runtime(settings: Settings) -> Runtime | None:
    """An SDK runtime serving Prometheus metrics on `COMPLAINTS_METRICS_ADDRESS`; None when unset.

    Worker health (task slots, poll and schedule-to-start latencies, failures) is only
    visible from the SDK's own metrics; the endpoint starts with the runtime.
    """
    if not settings.metrics_address:
        return None
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=settings.metrics_address)))


@asynccontextmanager
async def running_worker(client: Client, settings: Settings) -> AsyncIterator[ComplaintActivities]:
    """Activities prepared (tables, folders) and a worker polling; both closed on the way out."""
    activities = ComplaintActivities(settings)
    await activities.prepare()
    try:
        async with build_worker(client, settings, activities):
            yield activities
    finally:
        await activities.close()


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    runtime = metrics_runtime(settings)
    client = await connect(runtime)
    async with running_worker(client, settings):
        await keep_schedules(client, settings)
        log.info(
            "worker started",
            extra={
                "task_queue": settings.task_queue,
                "identity": settings.worker_identity or client.identity,
                "metrics": f"http://{settings.metrics_address}/metrics" if runtime else None,
            },
        )
        await stop.wait()
        log.info("worker stopping: finishing running activities")
    log.info("worker stopped")


def main() -> None:
    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)

    async def _main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_worker(settings, stop)

    code = 0
    try:
        asyncio.run(_main())
    except Exception:
        log.exception("worker failed")
        code = 1
    # The SDK can abort the interpreter at exit after a clean shutdown (sdk-python #300):
    # leave with the real status once everything is flushed.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
