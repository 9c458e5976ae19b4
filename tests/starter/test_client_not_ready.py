"""A case whose workflow task keeps failing takes no update: the client says "try again"
(`NoAnswer`), which is safe to retry because nothing was accepted (real dev server)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from complaints.actions import Note
from starter.client import NoAnswer, send_action
from tests.support import wait_until

pytestmark = pytest.mark.devserver


@workflow.defn(name="ComplaintWorkflow", sandboxed=False)
class FailingTasks:
    """Stands in for a case whose workflow task fails (a bug, or a worker too slow to finish one)."""

    @workflow.run
    async def run(self, params: dict[str, Any]) -> None:
        raise RuntimeError("every workflow task of this case fails")

    @workflow.update
    def add_note(self, note: Note) -> str:
        return "never reached"


async def test_an_update_to_a_case_whose_workflow_task_failed_is_no_answer(dev_env: WorkflowEnvironment) -> None:
    client = dev_env.client
    task_queue = f"not-ready-{uuid.uuid4().hex[:8]}"
    complaint_id = f"NR-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=task_queue, workflows=[FailingTasks]):
        handle = await client.start_workflow(
            "ComplaintWorkflow", {}, id=f"complaint-{complaint_id}", task_queue=task_queue
        )

        async def failed_tasks() -> int:
            events = [event async for event in handle.fetch_history_events()]
            return sum(event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED for event in events)

        await wait_until(failed_tasks, lambda count: count >= 1, lambda count: f"{count} failed workflow tasks")
        with pytest.raises(NoAnswer) as no_answer:
            await send_action(client, complaint_id, Note(author="alex", text="hello"), update_id="note-1")
        assert "not ready for 'add_note' right now" in str(no_answer.value)
        assert "try again" in str(no_answer.value)
        await handle.terminate("test over")
