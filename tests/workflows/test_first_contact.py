"""First contact first: a new case's work goes ahead of other cases' later stages until it is
acknowledged, then queues like any other (complaints/contracts.py FIRST_CONTACT_PRIORITY).

On the dev server with the project's dynamic config (infra/dynamic_config.py): the priority a
case starts with and drops to, and that the server really hands out a priority-1 task ahead of
a backlog.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio import activity, workflow
from temporalio.api.enums.v1 import EventType
from temporalio.common import Priority
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from complaints import contracts
from complaints.actions import Withdrawal
from complaints.case import Stage
from infra.dynamic_config import dynamic_config_flags
from starter.client import start_complaint
from starter.dev.mailsink import MailSink
from tests.conftest import BIN, settings_for
from tests.support import make_complaint, reach, wait_until
from tests.workflows.test_replay import replayer, save_history
from worker import running_worker
from workflows import ComplaintWorkflow

pytestmark = pytest.mark.devserver


async def test_a_case_starts_at_first_contact_priority_and_drops_to_routine_once_acknowledged(
    dev_env: WorkflowEnvironment, tmp_path: Path, session_mail_sink: MailSink
) -> None:
    client = dev_env.client
    settings = settings_for(tmp_path, session_mail_sink, task_queue=f"first-contact-{uuid.uuid4().hex[:6]}")
    complaint = make_complaint()
    started = await start_complaint(client, complaint, settings.task_queue)
    handle = client.get_workflow_handle(started.workflow_id)
    before = await handle.describe()
    assert before.raw_description.workflow_execution_info.priority.priority_key == contracts.FIRST_CONTACT_PRIORITY

    async with running_worker(client, settings):
        await reach(handle, Stage.INVESTIGATING)

        async def priority() -> int:
            return (await handle.describe()).raw_description.workflow_execution_info.priority.priority_key

        await wait_until(
            priority,
            lambda key: key == contracts.ROUTINE_PRIORITY,
            lambda key: f"still at priority {key} after the acknowledgement",
        )
        scheduled = [
            event.activity_task_scheduled_event_attributes
            async for event in handle.fetch_history_events()
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        ]
        names = [attributes.activity_type.name for attributes in scheduled]
        assert names.count(contracts.SET_CASE_PRIORITY.name) == 1
        # The acknowledgement is sent (scheduled) before the priority drops.
        first_message = names.index(contracts.SEND_MESSAGE.name)
        assert first_message < names.index(contracts.SET_CASE_PRIORITY.name)
        await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal(reason="test over", recorded_by="alex"))
        await handle.result()

    # The new path replays (saved to tests/histories once, with COMPLAINTS_SAVE_FIRST_CONTACT_HISTORY=<path>).
    history = await handle.fetch_history()
    assert (await replayer().replay_workflow(history)).replay_failure is None
    if target := os.environ.get("COMPLAINTS_SAVE_FIRST_CONTACT_HISTORY"):
        save_history(target, history)


order: list[str] = []


@activity.defn(name="first_contact_probe_step")
async def step(name: str) -> None:
    order.append(name)
    await asyncio.sleep(0.02)


@workflow.defn(sandboxed=False)
class Backlog:
    @workflow.run
    async def run(self, count: int) -> None:
        await asyncio.gather(
            *(
                workflow.execute_activity(step, f"later-{n}", start_to_close_timeout=timedelta(seconds=30))
                for n in range(count)
            )
        )


@workflow.defn(sandboxed=False)
class FirstContact:
    @workflow.run
    async def run(self) -> None:
        await workflow.execute_activity(step, "first-contact", start_to_close_timeout=timedelta(seconds=30))


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def one_partition_server() -> AsyncIterator[WorkflowEnvironment]:
    """A dev server with the project's dynamic config whose task queues have one partition each:
    priority orders tasks within a partition, so with one the order is exact."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        ui=False,
        dev_server_log_level="error",
        dev_server_extra_args=[
            *dynamic_config_flags(),
            *("--dynamic-config-value", "matching.numTaskqueueReadPartitions=1"),
            *("--dynamic-config-value", "matching.numTaskqueueWritePartitions=1"),
        ],
    )
    yield env
    await env.shutdown()


async def test_the_server_hands_out_a_first_contact_task_ahead_of_a_backlog(
    one_partition_server: WorkflowEnvironment,
) -> None:
    """With `matching.useNewMatcher=false` the first-contact task came last (101st of 101) here."""
    client = one_partition_server.client
    task_queue = f"priority-{uuid.uuid4().hex[:6]}"
    order.clear()
    async with Worker(client, task_queue=task_queue, workflows=[Backlog, FirstContact]):
        backlog = await client.start_workflow(
            Backlog.run, 100, id=f"backlog-{task_queue}", task_queue=task_queue, priority=Priority(priority_key=5)
        )
        await asyncio.sleep(1)  # the 100 activities are scheduled and wait: no activity worker yet
        first = await client.start_workflow(
            FirstContact.run,
            id=f"first-{task_queue}",
            task_queue=task_queue,
            priority=Priority(priority_key=contracts.FIRST_CONTACT_PRIORITY),
        )
        await asyncio.sleep(1)
        async with Worker(client, task_queue=task_queue, activities=[step], max_concurrent_activities=1):
            await first.result()
            await backlog.result()
    assert len(order) == 101
    assert order[0] == "first-contact", order[:10]
