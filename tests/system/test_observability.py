"""What operators watch: the worker's Prometheus endpoint and its JSON log lines.

The metrics test runs the real `python worker.py` with `COMPLAINTS_METRICS_ADDRESS` on the
session's dev server and scrapes it after it has run a complaint's first activities; the
log tests pin the fields every JSON line must carry for a log search by complaint.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities import ComplaintActivities
from complaints.case import Stage
from infra.logging import configure_logging
from infra.settings import Settings
from starter.client import NoAnswer, QueryFailed, query_status, start_complaints
from starter.dev.mailsink import MailSink, free_port
from tests.support import log_tail, make_complaint, start_worker_process, stop_worker_process, wait_until

EXPECTED_METRICS = (
    "temporal_request",  # the client's calls to the server
    "temporal_num_pollers",  # the worker is polling
    "temporal_worker_task_slots_available",
    "temporal_activity_execution_latency",  # it ran activities
    "temporal_workflow_task_execution_latency",  # and workflow tasks
)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging replaces the root handlers; put the test runner's back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.mark.usefixtures("restore_logging")
async def test_an_activity_log_line_in_json_names_the_complaint_run_activity_and_attempt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("json")
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info,
        activity_type="load_case_rules",
        attempt=3,
        workflow_id="complaint-C-4242",
        workflow_run_id="run-7",
    )
    activities = ComplaintActivities(Settings(data_dir=tmp_path))
    try:
        await env.run(activities.load_case_rules)
    finally:
        await activities.close()

    lines = [line for line in json_lines(capsys.readouterr().err) if line["event"].startswith("loaded rules")]
    assert len(lines) == 1, lines
    assert (
        lines[0]
        | {
            "complaint_id": "C-4242",
            "workflow_id": "complaint-C-4242",
            "run_id": "run-7",
            "activity": "load_case_rules",
            "attempt": 3,
            "level": "info",
        }
        == lines[0]
    )
    assert "temporal_activity" not in lines[0]  # lifted into the fields above, not printed whole


@pytest.mark.usefixtures("restore_logging")
def test_fields_given_as_extra_reach_the_json_line(capsys: pytest.CaptureFixture[str]) -> None:
    """The worker's start line says which queue and identity: `extra=` must not be dropped."""
    configure_logging("json")
    logging.getLogger("complaintflow.worker").info("worker started", extra={"task_queue": "q", "identity": "w-1"})
    (line,) = json_lines(capsys.readouterr().err)
    assert (line["event"], line["task_queue"], line["identity"]) == ("worker started", "q", "w-1")


def scrape(address: str) -> str:
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=5) as response:
        body: bytes = response.read()
    return body.decode()


@pytest.mark.devserver
async def test_worker_serves_prometheus_metrics_when_given_an_address(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    client = dev_env.client
    task_queue = f"metrics-{uuid.uuid4().hex[:8]}"
    address = f"127.0.0.1:{free_port()}"
    log = tmp_path / "worker.log"
    with MailSink(tmp_path / "mail", port=free_port()) as sink:
        worker = start_worker_process(
            client,
            task_queue,
            log,
            {
                "COMPLAINTS_DATA_DIR": str(tmp_path),
                "COMPLAINTS_SMTP_PORT": str(sink.port),
                "COMPLAINTS_METRICS_ADDRESS": address,
                "COMPLAINTS_WORKER_IDENTITY": "metrics-worker",
                "COMPLAINTS_LOG_FORMAT": "json",
            },
        )
        try:
            (started,) = await start_complaints(client, [make_complaint()], task_queue)

            async def stage() -> Stage | None:
                try:
                    return (await query_status(client, started.complaint_id)).stage
                except (NoAnswer, QueryFailed):  # the worker process may still be starting
                    return None

            # Acknowledged and investigating: the acknowledgement's activity and workflow tasks have run.
            await wait_until(stage, lambda now: now is Stage.INVESTIGATING, lambda now: f"stage is {now}")
            metrics = await asyncio.to_thread(scrape, address)
            await client.get_workflow_handle(started.workflow_id).terminate("metrics test done")
            code = await stop_worker_process(worker)
        except BaseException:
            print(f"--- worker log (tail) ---\n{log_tail(log)}")
            raise
        finally:
            await stop_worker_process(worker)

    names = {line.split("{")[0].split(" ")[0] for line in metrics.splitlines() if not line.startswith("#")}
    missing = [name for name in EXPECTED_METRICS if not any(n.startswith(name) for n in names)]
    assert not missing, f"missing {missing}; scraped {sorted(names)}"
    assert f'task_queue="{task_queue}"' in metrics
    assert code == 0

    lines = json_lines(log.read_text(encoding="utf-8"))
    (start_line,) = [line for line in lines if line["event"] == "worker started"]
    assert start_line["identity"] == "metrics-worker"
    assert start_line["metrics"] == f"http://{address}/metrics"
    acknowledged = [line for line in lines if line.get("activity") == "send_message"]
    assert acknowledged, "no JSON line from the send_message activity"
    assert acknowledged[0]["complaint_id"] == started.complaint_id
    assert acknowledged[0]["workflow_id"] == started.workflow_id
