"""A worker killed (SIGKILL) in the middle of an incident's fan-out, and another started: every
eligible customer is offered, and none twice. Real processes on the real dev server."""

from __future__ import annotations

import signal
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.db import make_engine
from activities.incident_store import IncidentStore
from activities.migrate import upgrade_to_head
from complaints.incident import IncidentStage, case_id_for
from complaints.incident_state import SchemeApproval
from infra.settings import Settings
from starter.dev.mailsink import MailSink
from tests.incident_support import IncidentHandle, customers, declaration, list_customers, reach_stage
from tests.support import log_tail, mail_kinds, start_worker_process, stop_worker_process, wait_until
from workflows.incident import IncidentWorkflow, IncidentWorkflowInput

pytestmark = pytest.mark.devserver

CUSTOMERS = 60


@pytest_asyncio.fixture
async def store(tmp_path: Path) -> AsyncIterator[IncidentStore]:
    engine = make_engine(Settings(data_dir=tmp_path).effective_database_url)
    await upgrade_to_head(engine)
    yield IncidentStore(engine)
    await engine.dispose()


async def test_a_worker_killed_during_the_fan_out_leaves_no_customer_offered_twice_or_not_at_all(
    dev_env: WorkflowEnvironment, tmp_path: Path, session_mail_sink: MailSink, store: IncidentStore
) -> None:
    task_queue = f"incident-crash-{uuid.uuid4().hex[:8]}"
    settings = {
        "COMPLAINTS_DATA_DIR": str(tmp_path),
        "COMPLAINTS_SMTP_HOST": "127.0.0.1",
        "COMPLAINTS_SMTP_PORT": str(session_mail_sink.port),
        "COMPLAINTS_INCIDENT_PAGE_SIZE": "20",
        "COMPLAINTS_INCIDENT_OFFERS_PER_SECOND": "6",  # a fan-out of about 10 s, to be killed in
    }
    first = start_worker_process(dev_env.client, task_queue, tmp_path / "worker-1.log", settings)
    second = None
    try:
        declared = declaration()
        handle: IncidentHandle = await dev_env.client.start_workflow(
            IncidentWorkflow.run,
            IncidentWorkflowInput(declaration=declared),
            id=declared.workflow_id,
            task_queue=task_queue,
        )
        await list_customers(store, handle, declared.id, customers(CUSTOMERS))
        await reach_stage(handle, IncidentStage.AWAITING_APPROVAL)
        await handle.execute_update(IncidentWorkflow.approve, SchemeApproval(approver_id="dir-rowan"))
        case_ids = [case_id_for(declared.id, f"cust-{n}") for n in range(CUSTOMERS)]

        async def written_to() -> int:
            return sum(
                1 for case_id in case_ids if "incident_offer" in mail_kinds(session_mail_sink.directory, case_id)
            )

        partway = await wait_until(written_to, lambda count: count >= 10, lambda count: f"{count} letters")
        first.send_signal(signal.SIGKILL)
        first.wait(30)
        assert partway < CUSTOMERS, "the fan-out finished before the worker was killed: nothing was tested"

        second = start_worker_process(dev_env.client, task_queue, tmp_path / "worker-2.log", settings)
        done = await reach_stage(handle, IncidentStage.OFFERED)
        assert done.offered == CUSTOMERS
        await wait_until(
            written_to,
            lambda count: count == CUSTOMERS,
            lambda count: f"{count} of {CUSTOMERS} offered; {log_tail(tmp_path / 'worker-2.log')}",
        )
        letters = {
            case_id: mail_kinds(session_mail_sink.directory, case_id).count("incident_offer") for case_id in case_ids
        }
        assert set(letters.values()) == {1}, {case_id: n for case_id, n in letters.items() if n != 1}
        stats = await store.figures.stats(declared.id)
        assert stats is not None
        assert stats.by_status["offered"] == CUSTOMERS and stats.reserved == Decimal("10.00") * CUSTOMERS
        assert stats.remaining == Decimal("5000.00") - Decimal("10.00") * CUSTOMERS
    finally:
        for worker in (first, second):
            if worker is not None:
                await stop_worker_process(worker)
