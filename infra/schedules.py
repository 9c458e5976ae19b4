"""The Temporal Schedules the worker keeps in place: today, the check for cases not moving."""

from __future__ import annotations

import logging

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from infra.settings import Settings
from workflows.doctor import CaseDoctorWorkflow

DOCTOR_SCHEDULE_ID = "complaints-doctor"

log = logging.getLogger(__name__)


def doctor_schedule(settings: Settings) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            CaseDoctorWorkflow.run, id="complaints-doctor-run", task_queue=settings.task_queue
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=settings.doctor_every)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def keep_doctor_schedule(client: Client, settings: Settings) -> None:
    """Create the schedule, or bring an existing one to these settings (every worker does this at start)."""
    schedule = doctor_schedule(settings)
    try:
        await client.create_schedule(DOCTOR_SCHEDULE_ID, schedule)
        log.info("schedule %s created: every %s", DOCTOR_SCHEDULE_ID, settings.doctor_every)
        return
    except ScheduleAlreadyRunningError:
        pass

    def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
        return ScheduleUpdate(schedule=schedule)

    await client.get_schedule_handle(DOCTOR_SCHEDULE_ID).update(replace)
