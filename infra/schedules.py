"""The Temporal Schedules Complaintflow keeps in place, each with its workflow and its settings.

- `complaints-doctor`: the check for cases not moving, every `COMPLAINTS_DOCTOR_EVERY`;
- `complaints-emerging-review`: the emerging-issue review, once a `COMPLAINTS_EMERGING_WINDOW`
  at 00:00 UTC (weekly windows start on Mondays), the thresholds as its input;
- `complaints-monthly-report`: the month's report to the managers, on the 1st at 06:00 UTC.

`complaints setup-schedules`, `complaints dev` and every worker at start create each one, or
bring an existing one to the settings (keeping whether it is paused, and its note). Every
schedule skips a run while the previous one still runs, and catches up a missed run only
within its catch-up window (a review long past is not worth a late alert).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from complaints.emerging import EmergingReview
from complaints.monthly_report import MonthlyReport
from infra.settings import Settings, iso_duration
from workflows.doctor import CaseDoctorWorkflow
from workflows.emerging_review import EmergingReviewWorkflow
from workflows.monthly_report import MonthlyReportWorkflow

DOCTOR_SCHEDULE_ID = "complaints-doctor"
EMERGING_SCHEDULE_ID = "complaints-emerging-review"
MONTHLY_SCHEDULE_ID = "complaints-monthly-report"

# Interval schedules count from the Unix epoch, a Thursday: 4 days on, weekly runs fall on Mondays.
MONDAY_OFFSET = timedelta(days=4)
MONTHLY_DAY, MONTHLY_HOUR = 1, 6
MONTHLY_CATCHUP = timedelta(days=7)
SHORTEST_CATCHUP = timedelta(minutes=1)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeptSchedule:
    id: str
    schedule: Schedule
    when: str  # for people: "every PT5M", ...


def _skipping(catchup: timedelta) -> SchedulePolicy:
    return SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=max(catchup, SHORTEST_CATCHUP))


def doctor_schedule(settings: Settings) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            CaseDoctorWorkflow.run, id="complaints-doctor-run", task_queue=settings.task_queue
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=settings.doctor_every)]),
        policy=_skipping(settings.doctor_every),  # a missed check is run once, not once per interval missed
    )


def emerging_review(settings: Settings) -> EmergingReview:
    """The review's input: the thresholds of the settings (they reach the workflow through the schedule)."""
    return EmergingReview(
        window=settings.emerging_window,
        baseline_windows=settings.emerging_baseline_windows,
        ratio=Decimal(str(settings.emerging_ratio)),
        minimum_cases=settings.emerging_min_cases,
    )


def emerging_schedule(settings: Settings) -> Schedule:
    window = settings.emerging_window
    offset = MONDAY_OFFSET if window % timedelta(days=7) == timedelta(0) else timedelta(0)
    return Schedule(
        action=ScheduleActionStartWorkflow(
            EmergingReviewWorkflow.run,
            emerging_review(settings),
            id="complaints-emerging-review-run",
            task_queue=settings.task_queue,
            static_summary="Emerging-issue review: root causes with more archived cases than usual",
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=window, offset=offset)]),
        policy=_skipping(window),  # caught up while its window is still the latest
    )


def monthly_schedule(settings: Settings) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            MonthlyReportWorkflow.run,
            MonthlyReport(),
            id="complaints-monthly-report-run",
            task_queue=settings.task_queue,
            static_summary="Monthly complaints report to the managers",
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    day_of_month=[ScheduleRange(MONTHLY_DAY)],
                    hour=[ScheduleRange(MONTHLY_HOUR)],
                    comment="the month before, on the 1st at 06:00 UTC",
                )
            ]
        ),
        policy=_skipping(MONTHLY_CATCHUP),
    )


def kept_schedules(settings: Settings) -> list[KeptSchedule]:
    """Every schedule Complaintflow keeps, as these settings want it."""
    weekly = settings.emerging_window % timedelta(days=7) == timedelta(0)
    return [
        KeptSchedule(DOCTOR_SCHEDULE_ID, doctor_schedule(settings), f"every {iso_duration(settings.doctor_every)}"),
        KeptSchedule(
            EMERGING_SCHEDULE_ID,
            emerging_schedule(settings),
            f"every {iso_duration(settings.emerging_window)} at 00:00 UTC" + (", from a Monday" if weekly else ""),
        ),
        KeptSchedule(
            MONTHLY_SCHEDULE_ID,
            monthly_schedule(settings),
            f"on day {MONTHLY_DAY} of each month at {MONTHLY_HOUR:02d}:00 UTC",
        ),
    ]


async def keep_schedule(client: Client, kept: KeptSchedule) -> bool:
    """Create the schedule, or bring an existing one to this one; True if it was created.

    An update keeps the existing state (paused or not, its note): an operator's pause stands."""
    try:
        await client.create_schedule(kept.id, kept.schedule)
        log.info("schedule %s created: %s", kept.id, kept.when)
        return True
    except ScheduleAlreadyRunningError:
        pass

    def replace_it(current: ScheduleUpdateInput) -> ScheduleUpdate:
        return ScheduleUpdate(schedule=replace(kept.schedule, state=current.description.schedule.state))

    await client.get_schedule_handle(kept.id).update(replace_it)
    log.info("schedule %s updated: %s", kept.id, kept.when)
    return False


async def keep_schedules(client: Client, settings: Settings) -> list[tuple[KeptSchedule, bool]]:
    """Every schedule in place (what `complaints setup-schedules` does): each with whether it was created."""
    return [(kept, await keep_schedule(client, kept)) for kept in kept_schedules(settings)]


async def keep_doctor_schedule(client: Client, settings: Settings) -> None:
    """The doctor's schedule alone (its tests keep it so)."""
    await keep_schedule(client, kept_schedules(settings)[0])
