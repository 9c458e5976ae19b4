"""Issue 17 on the session's real dev server: `complaints setup-schedules` puts the schedules in place,
and a triggered emerging-issue review mails the managers' alert once, however often it runs.

The worker here is the production wiring (`running_worker`) on a task queue of its own, with
an app database of its own holding archived cases of a root cause invented for this test.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import Client, ScheduleActionExecutionStartWorkflow, ScheduleOverlapPolicy
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities import ComplaintActivities
from complaints.emerging import EmergingReviewResult, window_end
from infra.schedules import DOCTOR_SCHEDULE_ID, EMERGING_SCHEDULE_ID, MONTHLY_SCHEDULE_ID
from starter.dev.mailsink import MailSink, read_mail
from tests.conftest import settings_for
from tests.review_support import archived_case
from tests.support import mail_kinds, run_cli, wait_until
from worker import running_worker
from workflows.scheduled import SCHEDULED_START

pytestmark = pytest.mark.devserver

QUEUE = f"schedules-{uuid.uuid4().hex[:8]}"
TAG = uuid.uuid4().hex[:6]
EMERGING, QUIET = f"test.emerging-{TAG}", f"test.quiet-{TAG}"
SCHEDULES = (DOCTOR_SCHEDULE_ID, EMERGING_SCHEDULE_ID, MONTHLY_SCHEDULE_ID)


@dataclass
class Reviewing:
    data_dir: Path
    activities: ComplaintActivities


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def reviewing(
    dev_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory, session_mail_sink: MailSink
) -> AsyncIterator[Reviewing]:
    data_dir = tmp_path_factory.mktemp("schedules")
    settings = settings_for(data_dir, session_mail_sink, task_queue=QUEUE)
    async with running_worker(dev_env.client, settings) as activities:
        yield Reviewing(data_dir, activities)


async def setup_schedules(env: WorkflowEnvironment, data_dir: Path) -> list[str]:
    done = await run_cli(
        env,
        QUEUE,
        "setup-schedules",
        settings={"COMPLAINTS_DATA_DIR": str(data_dir), "COMPLAINTS_DOCTOR_EVERY": "P1D"},  # no doctor run meanwhile
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


async def run_once(client: Client, schedule_id: str, seen: set[str]) -> tuple[str, datetime]:
    """Trigger the schedule and wait for the run it starts: (workflow id, nominal time).

    A scheduled run's id carries the second it started in, so a trigger in the same second as
    the previous run is dropped: trigger again until a run not seen before shows."""
    schedule = client.get_schedule_handle(schedule_id)
    loop = asyncio.get_running_loop()
    last_trigger = -10.0

    async def new_run() -> tuple[str, datetime] | None:
        nonlocal last_trigger
        runs = [
            (action.action.workflow_id, action.scheduled_at)
            for action in (await schedule.describe()).info.recent_actions
            if isinstance(action.action, ScheduleActionExecutionStartWorkflow) and action.action.workflow_id not in seen
        ]
        if not runs and loop.time() - last_trigger > 1.0:
            await schedule.trigger()
            last_trigger = loop.time()
        return runs[-1] if runs else None

    found = await wait_until(new_run, lambda run: run is not None, lambda _: f"{schedule_id} never ran")
    assert found is not None
    seen.add(found[0])
    return found


async def test_setup_schedules_creates_then_updates_each_schedule(
    dev_env: WorkflowEnvironment, reviewing: Reviewing
) -> None:
    client = dev_env.client
    try:
        first = await setup_schedules(dev_env, reviewing.data_dir)
        await client.get_schedule_handle(MONTHLY_SCHEDULE_ID).pause(note="paused by an operator")
        again = await setup_schedules(dev_env, reviewing.data_dir)
        described = {schedule_id: await client.get_schedule_handle(schedule_id).describe() for schedule_id in SCHEDULES}
    finally:
        await delete_schedules(client)
    assert first[-1].startswith("3 created, 0 updated")
    assert again[-1].startswith("0 created, 3 updated")
    assert any(
        line.startswith(EMERGING_SCHEDULE_ID) and "every P7D at 00:00 UTC, from a Monday" in line for line in first
    )
    for schedule_id, description in described.items():
        assert description.schedule.policy.overlap is ScheduleOverlapPolicy.SKIP, schedule_id
        assert description.schedule.policy.catchup_window is not None, schedule_id
    review = described[EMERGING_SCHEDULE_ID].schedule
    assert review.policy.catchup_window == timedelta(days=7)
    [interval] = review.spec.intervals
    assert (interval.every, interval.offset) == (timedelta(days=7), timedelta(days=4))
    monthly = described[MONTHLY_SCHEDULE_ID].schedule
    assert monthly.state.paused and monthly.state.note == "paused by an operator"  # an update keeps the pause
    assert not review.state.paused


async def test_a_triggered_review_mails_the_alert_once(
    dev_env: WorkflowEnvironment, reviewing: Reviewing, session_mail_sink: MailSink
) -> None:
    client = dev_env.client
    received = window_end(datetime.now(UTC)) - timedelta(days=2) + timedelta(hours=9)  # inside the recent window
    cases = [archived_case(f"E{TAG}-{n}", EMERGING, received + timedelta(minutes=n)) for n in range(3)]
    cases += [archived_case(f"Q{TAG}-{n}", QUIET, received + timedelta(minutes=n)) for n in range(2)]
    for case in cases:
        assert await reviewing.activities.archive.write(case)

    seen: set[str] = set()
    try:
        await setup_schedules(dev_env, reviewing.data_dir)
        first_id, nominal = await run_once(client, EMERGING_SCHEDULE_ID, seen)
        first = await client.get_workflow_handle(first_id, result_type=EmergingReviewResult).result()
        second_id, _ = await run_once(client, EMERGING_SCHEDULE_ID, seen)
        second = await client.get_workflow_handle(second_id, result_type=EmergingReviewResult).result()
    finally:
        await delete_schedules(client)

    started = (await client.get_workflow_handle(first_id).describe()).typed_search_attributes.get(SCHEDULED_START)
    assert started is not None and abs(started - nominal) < timedelta(seconds=1)
    assert first.as_of == started  # the schedule's nominal time, read by the workflow
    assert first.window.end == window_end(nominal)
    [issue] = [issue for issue in first.issues if issue.code.endswith(TAG)]
    assert (issue.code, issue.count) == (EMERGING, 3)  # the quiet one (2 cases) is below the minimum
    assert first.mailed == 1
    if second.window != first.window:  # the two runs straddled midnight UTC: two windows, two alerts
        pytest.skip("the runs fell on two days (UTC): run again")
    assert [i.alert_key for i in second.issues if i.code.endswith(TAG)] == [issue.alert_key]  # the same window
    assert second.mailed == 0
    assert mail_kinds(session_mail_sink.directory, EMERGING) == ["emerging_alert"]  # exactly once
    assert mail_kinds(session_mail_sink.directory, QUIET) == []
    [alert] = [
        mail for mail in map(read_mail, session_mail_sink.messages()) if mail["X-Complaintflow-Reference"] == EMERGING
    ]
    assert alert["X-Complaintflow-Key"] == issue.alert_key
    assert all(f"E{TAG}-{n}, broadband, received" in alert.get_content() for n in range(3))


async def delete_schedules(client: Client) -> None:
    for schedule_id in SCHEDULES:
        with contextlib.suppress(RPCError):  # not created: nothing to delete
            await client.get_schedule_handle(schedule_id).delete()
