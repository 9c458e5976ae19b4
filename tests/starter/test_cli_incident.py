"""After an incident, driven only through the CLI, on a real dev server with the real worker.

Declare with a list that has a bad row and a customer listed twice, dry-run it, be refused by
four eyes, approve, watch every eligible customer get one offer letter, see a customer's own
complaint that names no incident go to their case, have one accept, and close the incident:
what an operator does, command by command, and what each prints.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from complaints.incident import case_id_for
from starter.dev.mailsink import MailSink
from tests.conftest import settings_for
from tests.incident_support import declaration
from tests.support import mail_arrives, make_complaint, run_cli, wait_until
from worker import running_worker

pytestmark = pytest.mark.devserver

TASK_QUEUE = f"cli-incident-{uuid.uuid4().hex[:8]}"
LIST = """customer_id,name,email,product,hours_without_service
c-1,Ada Lovelace,ada@example.com,broadband,6
c-2,Grace Hopper,grace@example.com,broadband,30
c-3,Alan Turing,not-an-address,broadband,6
c-4,Edsger Dijkstra,edsger@example.com,mobile,6
c-1,Ada Lovelace,ada@example.com,broadband,7
c-5,Barbara Liskov,barbara@example.com,broadband,2
"""


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def data_settings(
    dev_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory, session_mail_sink: MailSink
) -> AsyncIterator[dict[str, str]]:
    """The production worker on the dev server; the CLI gets the same data directory (its database)."""
    settings = settings_for(tmp_path_factory.mktemp("cli-incident"), session_mail_sink, task_queue=TASK_QUEUE)
    async with running_worker(dev_env.client, settings):
        yield {"COMPLAINTS_DATA_DIR": str(settings.data_dir)}


async def cli(env: WorkflowEnvironment, settings: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return await run_cli(env, TASK_QUEUE, "incident", *args, settings=settings)


async def shown(env: WorkflowEnvironment, settings: dict[str, str], incident_id: str) -> dict[str, Any]:
    result = await cli(env, settings, "show", incident_id, "--json")
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


async def test_an_incident_from_declaration_to_closure_through_the_cli(
    dev_env: WorkflowEnvironment, data_settings: dict[str, str], tmp_path: Path, session_mail_sink: MailSink
) -> None:
    declared = declaration(ended_at=None)  # still ongoing: a complaint about it today is matched to it
    incident_file, list_file = tmp_path / "incident.json", tmp_path / "customers.csv"
    incident_file.write_text(declared.model_dump_json(), encoding="utf-8")
    list_file.write_text(LIST, encoding="utf-8")

    dry = await cli(dev_env, data_settings, "declare", str(incident_file), "--customers", str(list_file), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "row 4: email: value is not a valid email address" in dry.stderr
    assert "row 6: customer_id: customer 'c-1' is listed at row 2 already" in dry.stderr
    assert "3 of 4 eligible" in dry.stdout  # c-1, c-2, c-5; c-4 holds another product; c-3's row is bad
    assert "45.00" in dry.stdout  # 10.00 + 10.00 (short) + 25.00 (long)
    assert "refused by rule products" in dry.stdout

    bad = tmp_path / "bad.json"
    bad.write_text(declared.model_copy(update={"declared_by": "nobody"}).model_dump_json(), encoding="utf-8")
    refused_start = await cli(dev_env, data_settings, "declare", str(bad))
    assert refused_start.returncode == 2
    assert "declared_by: 'nobody' is not a member of staff" in refused_start.stderr

    started = await cli(dev_env, data_settings, "declare", str(incident_file), "--customers", str(list_file))
    assert started.returncode == 0, started.stderr
    assert f"declared incident-{declared.id}" in started.stdout
    assert "listed 4 customers (0 listed before, 1 repeats folded, 1 bad rows)" in started.stdout

    await wait_until(
        lambda: shown(dev_env, data_settings, declared.id),
        lambda now: now["summary"]["stage"] == "AwaitingApproval" and not now["summary"]["to_assess"],
        lambda now: f"never awaited approval: {now['summary']}",
    )
    four_eyes = await cli(dev_env, data_settings, "approve", declared.id, "--by", "mgr-dana")
    assert four_eyes.returncode == 1
    assert "refused: mgr-dana declared this incident and cannot approve it too (four eyes)" in four_eyes.stderr
    approved = await cli(dev_env, data_settings, "approve", declared.id, "--by", "alex")
    assert approved.returncode == 0, approved.stderr
    assert "scheme v1 approved: 45.00 GBP" in approved.stdout

    offered = await wait_until(
        lambda: shown(dev_env, data_settings, declared.id),
        lambda now: now["summary"]["stage"] == "Offered",
        lambda now: f"never offered everyone: {now['summary']}",
    )
    assert offered["summary"]["offered"] == 3
    assert offered["figures"]["reserved"] == "45.00" and offered["figures"]["remaining"] == "4955.00"
    letters = await mail_arrives(session_mail_sink.directory, case_id_for(declared.id, "c-1"), "incident_offer")
    assert letters == ["incident_offer"]

    own_words = [
        make_complaint(customer={"id": "c-2", "name": "Grace Hopper", "email": "grace@example.com"},
                       category="service", product="broadband", description="No broadband for a day and a half."),
        make_complaint(category="billing"),  # about something else: a case of its own
    ]  # fmt: skip
    complaints_file = tmp_path / "complaints.json"
    complaints_file.write_text(json.dumps([c.model_dump(mode="json") for c in own_words]), encoding="utf-8")
    started_own = await run_cli(dev_env, TASK_QUEUE, "start", str(complaints_file), "--json", settings=data_settings)
    assert started_own.returncode == 0, started_own.stderr
    grace, other = json.loads(started_own.stdout)
    assert (grace["outcome"], grace["workflow_id"]) == ("existing", f"complaint-{case_id_for(declared.id, 'c-2')}")
    assert grace["incident_id"] == declared.id and grace["note"].startswith(f"matched to incident {declared.id}")
    assert (other["outcome"], other["incident_id"]) == ("started", None)

    accept = await run_cli(
        dev_env,
        TASK_QUEUE,
        "admin",
        "offer-response",
        case_id_for(declared.id, "c-1"),
        "accept",
        settings=data_settings,
    )
    assert accept.returncode == 0, accept.stderr
    paid = await wait_until(
        lambda: shown(dev_env, data_settings, declared.id),
        lambda now: now["figures"]["by_status"]["paid"] == 1,
        lambda now: f"never paid: {now['figures']}",
    )
    assert paid["figures"]["paid"] == "10.00" and paid["figures"]["reserved"] == "35.00"
    table = await cli(dev_env, data_settings, "show", declared.id)
    assert "paid out" in table.stdout and "10.00" in table.stdout and "time to payment" in table.stdout

    listing = await cli(dev_env, data_settings, "list")
    assert declared.id in listing.stdout and "open" in listing.stdout
    closed = await cli(
        dev_env, data_settings, "close", declared.id, "--by", "mgr-dana",
        "--lessons", "Stage the update region by region", "--measures", "Canary releases for network software",
    )  # fmt: skip
    assert closed.returncode == 0, closed.stderr

    async def status_in_list() -> str:
        found = await cli(dev_env, data_settings, "list", "--json")
        status: str = next(entry["status"] for entry in json.loads(found.stdout) if entry["incident_id"] == declared.id)
        return status

    await wait_until(status_in_list, lambda status: status == "closed", lambda status: f"still {status}")
    again = await cli(dev_env, data_settings, "approve", declared.id, "--by", "alex")
    assert again.returncode == 1 and f"incident {declared.id} is closed" in again.stderr
