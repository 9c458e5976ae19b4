"""The client's side of an incident: an action sent a moment after `declare`, while the incident
is still loading its rules, is sent again until it is taken, as `declare --customers` needs."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from complaints.incident_state import IncidentPause
from starter.client.incidents import act, declare
from starter.dev.mailsink import MailSink
from tests.conftest import settings_for
from tests.incident_support import declaration
from worker import running_worker

pytestmark = pytest.mark.devserver


async def test_an_action_sent_while_the_incident_is_being_declared_is_taken_once_it_is(
    dev_env: WorkflowEnvironment, tmp_path: Path, session_mail_sink: MailSink
) -> None:
    settings = settings_for(tmp_path, session_mail_sink, task_queue=f"declaring-{uuid.uuid4().hex[:8]}")
    declared = declaration()
    await declare(dev_env.client, declared, settings.task_queue)  # no worker yet: it cannot have loaded its rules
    pausing = asyncio.create_task(act(dev_env.client, declared.id, IncidentPause(by="mgr-dana", reason="checking")))
    await asyncio.sleep(1.0)
    assert not pausing.done()
    async with running_worker(dev_env.client, settings):
        # The first task both starts the declaration and meets the update, which is refused then.
        answer = await asyncio.wait_for(pausing, timeout=30)
        assert "paused" in answer
