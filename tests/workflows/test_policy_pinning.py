"""Each case keeps the rules it started with; a changed rules file only affects new cases."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from complaints.actions import Withdrawal
from complaints.case import Stage
from starter.dev.mailsink import MailSink
from tests.conftest import settings_for
from tests.support import FINDINGS, reach, start_case
from worker import running_worker
from workflows import ComplaintWorkflow

CONFIG = Path(__file__).resolve().parents[2] / "config" / "complaints.toml"
TASK_QUEUE = "complaints-pinning"


@pytest_asyncio.fixture
async def rules_file(time_env: WorkflowEnvironment, tmp_path: Path, session_mail_sink: MailSink) -> AsyncIterator[Path]:
    """A worker reading its rules from a file the test edits while cases run."""
    path = tmp_path / "rules.toml"
    path.write_text(CONFIG.read_text())
    settings = settings_for(tmp_path, session_mail_sink, task_queue=TASK_QUEUE, rules_file=path)
    async with running_worker(time_env.client, settings):
        yield path


def rewrite_with_more_goodwill(path: Path) -> None:
    """The policy file as the business would change it: new figures under a new version."""
    text = path.read_text()
    text = re.sub(r'^version = "v2"$', 'version = "v3"', text, count=1, flags=re.M)
    text = text.replace("goodwill_by_severity = [0, 10, 25, 50, 100]", "goodwill_by_severity = [0, 20, 40, 80, 150]")
    path.write_text(text)


async def test_a_running_case_keeps_its_policy_when_the_file_changes(
    time_env: WorkflowEnvironment, rules_file: Path
) -> None:
    client = time_env.client
    before = await start_case(client, task_queue=TASK_QUEUE)
    await reach(before, Stage.INVESTIGATING)

    rewrite_with_more_goodwill(rules_file)
    after = await start_case(client, task_queue=TASK_QUEUE)
    await reach(after, Stage.INVESTIGATING)

    for handle in (before, after):
        await handle.execute_update(ComplaintWorkflow.submit_findings, FINDINGS)
    old = await reach(before, Stage.AWAITING_APPROVAL)
    new = await reach(after, Stage.AWAITING_APPROVAL)

    assert old.proposal is not None and new.proposal is not None
    assert old.proposal.policy_version.endswith("/v2") and old.proposal.total == Decimal("114.90")
    assert new.proposal.policy_version.endswith("/v3") and new.proposal.total == Decimal("129.90")
    # End them properly: terminating while an activity runs leaves the time-skipping
    # server's clock locked for the rest of the session.
    for handle in (before, after):
        await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal())
        await handle.result()
