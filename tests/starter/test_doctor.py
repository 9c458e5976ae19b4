"""Issue 14: `complaints admin doctor` and the scheduled check find every case that is not moving.

On the session's real dev server (visibility, schedules and TemporalReportedProblems are the
real server's), with real workers sharing one SQLite app database, one case of each kind:
- needs attention: a date the calendar cannot hold (a domain error) and a department address
  the mail server refuses (a permanent mail error);
- a workflow task failing on every retry: a case started by another system with a payload
  the workflow cannot read;
- mail retrying past N attempts: a worker whose mail server is down;
- past its deadline: a case whose worker stopped before its investigation fell due.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import Client, ScheduleActionExecutionStartWorkflow
from temporalio.testing import WorkflowEnvironment

from complaints.stuck import DoctorReport
from infra.schedules import DOCTOR_SCHEDULE_ID, keep_doctor_schedule
from infra.settings import Settings
from starter.dev.mailsink import MailSink
from tests.conftest import settings_for
from tests.support import (
    PATIENCE,
    Handle,
    clean_environment,
    mail_kinds,
    make_complaint,
    start_case,
    status_or_none,
    wait_until,
    write_rules_file,
)
from worker import running_worker

CONFIG = Path(__file__).resolve().parents[2] / "config" / "complaints.toml"
QUEUE = f"doctor-{uuid.uuid4().hex[:8]}"


@dataclass
class Stuck:
    attention_by_data: Handle
    attention_by_mail: Handle
    failing_task: str
    mail_retrying: Handle
    past_deadline: Handle
    data_dir: Path


def refusing_rules(directory: Path) -> Path:
    rules = directory / "rules-refusing.toml"
    rules.write_text(
        CONFIG.read_text().replace(
            'department_email = "billing@complaintflow.example"',
            'department_email = "nosuchuser.billing@complaintflow.example"',
        )
    )
    return rules


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stuck(
    dev_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory, session_mail_sink: MailSink
) -> AsyncIterator[Stuck]:
    client = dev_env.client
    data_dir = tmp_path_factory.mktemp("doctor")  # one app database for every worker here
    main = settings_for(  # its doctor activities (the scheduled check) use the limits the CLI is given below
        data_dir,
        session_mail_sink,
        task_queue=QUEUE,
        rules_file=refusing_rules(data_dir),
        doctor_attempts=2,
        doctor_grace=timedelta(0),
    )
    dead_mail = settings_for(data_dir, session_mail_sink, task_queue=f"{QUEUE}-nomail").model_copy(
        update={"smtp_port": 9}  # nothing listens there: every delivery fails, and is retried
    )
    fast = settings_for(
        data_dir,
        session_mail_sink,
        task_queue=f"{QUEUE}-fast",
        rules_file=write_rules_file(data_dir, "2026-11-b-doctor", {"investigation": "PT3S"}),
    )

    async with running_worker(client, fast):
        past_deadline = await start_case(client, task_queue=fast.task_queue)
        soon = datetime.now(UTC) + timedelta(minutes=1)
        await wait_until(  # investigating, the findings due in seconds: that is the next deadline
            lambda: status_or_none(past_deadline),
            lambda now: now is not None and now.next_deadline is not None and now.next_deadline < soon,
            lambda now: f"no deadline within a minute was set: {now}",
        )
    # that worker is gone: nothing will act on the deadline

    async with running_worker(client, main), running_worker(client, dead_mail):
        by_data = await start_case(client, task_queue=QUEUE, received_at=datetime(9999, 12, 31, 12, tzinfo=UTC))
        by_mail = await start_case(client, task_queue=QUEUE, category="billing")
        retrying = await start_case(client, task_queue=dead_mail.task_queue)
        unreadable = make_complaint().workflow_id
        payload: dict[str, Any] = {"complaint": {"id": "X", "customer": "not an object"}}
        await client.start_workflow("ComplaintWorkflow", payload, id=unreadable, task_queue=QUEUE)
        yield Stuck(by_data, by_mail, unreadable, retrying, past_deadline, data_dir)


async def doctor_json(env: WorkflowEnvironment, data_dir: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    """`complaints admin doctor --json` as operators run it, reading the workers' app database."""
    variables = clean_environment()
    variables.update(
        TEMPORAL_ADDRESS=env.client.service_client.config.target_host,
        TEMPORAL_NAMESPACE=env.client.namespace,
        COMPLAINTS_DATA_DIR=str(data_dir),
        COMPLAINTS_DOCTOR_GRACE="PT0S",
    )
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "starter.cli", "admin", "doctor", "--json", *args],
        capture_output=True,
        text=True,
        env=variables,
        timeout=PATIENCE,
    )
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


async def test_doctor_lists_each_case_that_is_not_moving_and_says_why(
    dev_env: WorkflowEnvironment, stuck: Stuck
) -> None:
    expected = {
        (stuck.attention_by_data.id, "needs attention"),
        (stuck.attention_by_mail.id, "needs attention"),
        (stuck.failing_task, "workflow task failing"),
        (stuck.mail_retrying.id, "mail retrying"),
        (stuck.mail_retrying.id, "activity retrying"),
        (stuck.past_deadline.id, "past its deadline"),
    }
    ours = {workflow_id for workflow_id, _ in expected}

    async def examine() -> tuple[int, list[dict[str, Any]]]:
        return await doctor_json(dev_env, stuck.data_dir, "--attempts", "2")

    code, found = await wait_until(
        examine,
        lambda result: expected <= {(case["workflow_id"], case["problem"]) for case in result[1]},
        lambda result: f"missing {expected - {(c['workflow_id'], c['problem']) for c in result[1]}}",
    )
    assert code == 1  # something is stuck: monitoring scripts see it in the exit code
    why = {(case["workflow_id"], case["problem"]): case["why"] for case in found if case["workflow_id"] in ours}
    assert set(why) == expected  # and nothing else is said of these cases
    assert "setting the case's deadlines: OverflowError" in why[(stuck.attention_by_data.id, "needs attention")]
    assert "investigation_request to nosuchuser.billing" in why[(stuck.attention_by_mail.id, "needs attention")]
    assert "complaint" in why[(stuck.failing_task, "workflow task failing")]  # the decoding error names the field
    assert why[(stuck.mail_retrying.id, "mail retrying")].startswith("acknowledgement to ada@example.com: ")
    assert why[(stuck.mail_retrying.id, "activity retrying")].startswith("send_message: attempt ")
    assert "Investigating" in why[(stuck.past_deadline.id, "past its deadline")]


async def test_the_schedule_mails_operators_once_per_new_finding(
    dev_env: WorkflowEnvironment, stuck: Stuck, session_mail_sink: MailSink
) -> None:
    client = dev_env.client
    await keep_doctor_schedule(client, Settings(data_dir=stuck.data_dir, task_queue=QUEUE))
    schedule = client.get_schedule_handle(DOCTOR_SCHEDULE_ID)
    try:
        runs: set[str] = set()
        first = await run_once(client, runs)
        second = await run_once(client, runs)
    finally:
        await schedule.delete()
    assert first.found >= 6 and first.new >= 5  # the cases above (others of the session may join them)
    assert second.new == 0 and second.found >= 6  # the same findings, nothing new: nobody is mailed again
    for handle_id in (stuck.attention_by_data.id, stuck.mail_retrying.id, stuck.past_deadline.id):
        kinds = mail_kinds(session_mail_sink.directory, handle_id.removeprefix("complaint-"))
        assert kinds.count("doctor_alert") == (2 if handle_id == stuck.mail_retrying.id else 1), handle_id


async def run_once(client: Client, seen: set[str]) -> DoctorReport:
    """Trigger the schedule and wait for that run's report.

    A scheduled run's id carries the second it started in, so a trigger in the same second as
    the previous run is dropped as a duplicate: trigger again until a new run shows.
    """
    schedule = client.get_schedule_handle(DOCTOR_SCHEDULE_ID)
    loop = asyncio.get_running_loop()
    last_trigger = -1.0

    async def new_run() -> str | None:
        nonlocal last_trigger
        actions = (await schedule.describe()).info.recent_actions
        ids = [
            action.action.workflow_id
            for action in actions
            if isinstance(action.action, ScheduleActionExecutionStartWorkflow) and action.action.workflow_id not in seen
        ]
        if not ids and loop.time() - last_trigger > 1.0:
            await schedule.trigger()
            last_trigger = loop.time()
        return ids[-1] if ids else None

    workflow_id = await wait_until(new_run, lambda found: found is not None, lambda _: "the schedule never ran")
    assert workflow_id is not None
    seen.add(workflow_id)
    report: DoctorReport = await client.get_workflow_handle(workflow_id, result_type=DoctorReport).result()
    return report


def test_keys_match_the_workflows() -> None:
    """The doctor reads the search attributes by name; they must be the ones the workflow upserts."""
    from activities import doctor
    from workflows import search_attributes

    assert doctor.COMPLAINT_STAGE == search_attributes.COMPLAINT_STAGE
    assert doctor.NEXT_DEADLINE == search_attributes.NEXT_DEADLINE
