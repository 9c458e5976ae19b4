"""One complaint from receipt to Closed, driven only through the `complaints` CLI.

Everything is the real thing: the session's Temporal dev server, `python worker.py` as a
subprocess, an SMTP sink on a free port, SQLite in a temporary directory, and rules that
extend config/complaints.toml with timings short enough to walk the whole process in
seconds. The test sees the system only as an operator would: exit codes, `admin show
--json`, the mail that arrived and the database rows.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from starter.dev.mailsink import MailSink, free_port, read_mail, stored_mail_files
from tests.support import PATIENCE, log_tail, run_cli, start_worker_process, write_rules_file

pytestmark = pytest.mark.devserver

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = PROJECT_ROOT / "examples" / "complaint.json"

# A reminder must come before its deadline (else it is due at once): reminders 5 min, the rest 10.
FAST_TIMINGS = {
    "investigation": "PT10M",
    "investigation_reminder_before": "PT5M",
    "approval": "PT10M",
    "approval_reminder_before": "PT5M",
    "offer": "PT10M",
    "offer_reminder_before": "PT5M",
    "follow_up_after": "PT1S",
    "reopen_window": "PT3S",
    "survey_reminder_after": "PT30S",
    "survey_expires_after": "PT2M",
    "progress_update_every": "PT10M",
}
EXPECTED_MAIL = [
    "acknowledgement",
    "investigation_request",
    "approval_request",
    "offer",
    "resolution",
    "follow_up",
    "survey_invitation",
    "thank_you",
]
OVER_ALEX_LIMIT = "cannot approve: 122.40 GBP is over the approval limit of Alex Morgan (agent, up to 100.00 GBP)"
POLL_EVERY = 0.3
POLL_FOR = PATIENCE  # bounds a broken run only: each wait ends when its stage is reached


@pytest.fixture
def mail_sink(tmp_path: Path) -> Iterator[MailSink]:
    sink = MailSink(tmp_path / "mail", port=free_port()).start()
    yield sink
    sink.stop()


@dataclass
class System:
    """How the test reaches the running system: CLI subprocesses, and the worker's log."""

    dev_env: WorkflowEnvironment
    task_queue: str
    worker_log: Path

    def worker_tail(self, lines: int = 40) -> str:
        return log_tail(self.worker_log, lines)

    async def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return await run_cli(self.dev_env, self.task_queue, *args)

    async def ok(self, *args: str) -> str:
        """Run a command that must succeed (exit 0); its stdout."""
        done = await self.cli(*args)
        assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stderr}"
        return done.stdout

    async def wait_for_stage(self, complaint_id: str, stage: str) -> dict[str, Any]:
        """Poll `admin show --json` until the complaint stands at `stage` (bounded)."""
        deadline = time.monotonic() + POLL_FOR
        last = "nothing yet"
        while True:
            shown = await self.cli("admin", "show", complaint_id, "--json")
            if shown.returncode == 0:
                status: dict[str, Any] = json.loads(shown.stdout)
                if status["stage"] == stage:
                    return status
                last = f"stage {status['stage']}"
            else:  # e.g. exit 5 while the first workflow task has not run yet
                last = f"exit {shown.returncode}: {shown.stderr.strip()}"
            if time.monotonic() > deadline:
                raise AssertionError(f"{complaint_id} did not reach {stage} within {POLL_FOR:.0f}s; last: {last}")
            await asyncio.sleep(POLL_EVERY)


def start_worker(system: System, data_dir: Path, sink: MailSink, rules: Path) -> subprocess.Popen[bytes]:
    settings = {
        "COMPLAINTS_DATA_DIR": str(data_dir),
        "COMPLAINTS_SMTP_HOST": "127.0.0.1",
        "COMPLAINTS_SMTP_PORT": str(sink.port),
        "COMPLAINTS_RULES_FILE": str(rules),
    }
    return start_worker_process(system.dev_env.client, system.task_queue, system.worker_log, settings)


def messages_about(mail_dir: Path, complaint_id: str) -> list[EmailMessage]:
    """The mail the sink received for one complaint, in the order received."""
    found = []
    for path in stored_mail_files(mail_dir):
        message = read_mail(path)
        if message["X-Complaintflow-Reference"] == complaint_id:
            found.append(message)
    return found


def plain_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert isinstance(body, EmailMessage), "no text/plain part"
    return str(body.get_content())


def rows(database: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(database)
    try:
        return list(connection.execute(sql, params).fetchall())
    finally:
        connection.close()


async def test_one_complaint_from_receipt_to_closed_through_the_cli(
    dev_env: WorkflowEnvironment, tmp_path: Path, mail_sink: MailSink
) -> None:
    complaint_id = f"E2E-{uuid.uuid4().hex[:10]}"
    workflow_id = f"complaint-{complaint_id}"
    complaint_file = tmp_path / "complaint.json"
    complaint_file.write_text(
        json.dumps({**json.loads(EXAMPLE.read_text(encoding="utf-8")), "id": complaint_id}), encoding="utf-8"
    )
    system = System(dev_env, f"e2e-{uuid.uuid4().hex[:8]}", tmp_path / "worker.log")
    worker = start_worker(system, tmp_path, mail_sink, write_rules_file(tmp_path, "2026-11-b-e2e", FAST_TIMINGS))
    try:
        started = await system.ok("start", str(complaint_file))
        assert started.startswith(f"started  {workflow_id}"), started

        await system.wait_for_stage(complaint_id, "Investigating")
        findings = await system.ok(
            "admin", "findings", complaint_id, "--by", "alex", "--severity", "3", "--loss", "89.90",
            "--summary", "The November subscription was charged twice",
            "--root-cause", "A payment retry bug in the billing system", "--cause", "billing.duplicate-charge",
        )  # fmt: skip
        assert findings.strip() == f"Findings recorded for {complaint_id}; a remedy will be proposed."

        awaiting = await system.wait_for_stage(complaint_id, "AwaitingApproval")
        items = [(item["kind"], Decimal(item["amount"])) for item in awaiting["proposal"]["items"]]
        assert items == [("refund", Decimal("89.90")), ("goodwill", Decimal("32.50"))]  # 122.40 GBP: gold, 7 years
        assert awaiting["proposal"]["approval_level"] == "team_lead"

        refused = await system.cli("admin", "approve", complaint_id, "--by", "alex")
        assert refused.returncode == 1, refused.stderr
        assert refused.stderr.strip() == f"refused: {OVER_ALEX_LIMIT}"
        assert refused.stdout == ""

        approved = await system.ok("admin", "approve", complaint_id, "--by", "tl-jordan")
        assert approved.strip() == f"Approved 122.40 GBP for {complaint_id}."

        await system.wait_for_stage(complaint_id, "AwaitingCustomer")
        accepted = await system.ok("admin", "offer-response", complaint_id, "accept", "--by", "alex")
        assert accepted.strip() == "Recorded: the customer's answer is accept."

        await system.wait_for_stage(complaint_id, "AwaitingFeedback")
        thanked = await system.ok("admin", "feedback", complaint_id, "--csat", "5", "--comment", "Quick and fair")
        assert thanked.strip() == "Thank you: feedback recorded."

        closed = await system.wait_for_stage(complaint_id, "Closed")
        assert closed["approved_by"] == "tl-jordan"
        assert closed["feedback"]["csat"] == 5
        assert [Decimal(pay["amount"]) for pay in closed["payouts"]] == [Decimal("122.40")]

        # The mail, as the customer and staff received it.
        mail = messages_about(mail_sink.directory, complaint_id)
        assert [str(m["X-Complaintflow-Kind"]) for m in mail] == EXPECTED_MAIL
        acknowledgement = mail[0]
        assert parseaddr(str(acknowledgement["To"]))[1] == "ada@example.com"
        text = plain_text(acknowledgement)
        assert "Ada" in text
        assert "Alex Morgan" in text

        # The ledger paid exactly once, as approved; the outcome was recorded for reporting.
        database = tmp_path / "complaints.db"
        assert database.exists()
        payouts = rows(
            database,
            "SELECT amount, currency, approved_by, complaint_id FROM payouts WHERE idempotency_key = ?",
            f"{workflow_id}:proposal-1",
        )
        assert len(payouts) == 1, payouts
        ((amount, currency, approved_by, paid_complaint),) = payouts
        assert (amount, currency, approved_by, paid_complaint) == (
            12240,  # exact integer cents: 122.40
            "GBP",
            "tl-jordan",
            complaint_id,
        )
        assert rows(database, "SELECT COUNT(*) FROM payouts WHERE complaint_id = ?", complaint_id) == [(1,)]
        outcomes = rows(database, "SELECT outcome, csat FROM outcomes WHERE workflow_id = ?", workflow_id)
        assert outcomes == [("resolved", 5)]

        # A graceful shutdown: SIGTERM, the worker finishes and exits 0.
        worker.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.to_thread(worker.wait, 15)
        except subprocess.TimeoutExpired:
            raise AssertionError("the worker did not stop within 15 s of SIGTERM") from None
        assert code == 0, f"the worker exited {code} after SIGTERM"
    except BaseException:
        print(f"--- worker log (tail) ---\n{system.worker_tail()}")
        raise
    finally:
        if worker.poll() is None:
            worker.kill()
            await asyncio.to_thread(worker.wait, 15)
