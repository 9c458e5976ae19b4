"""`complaints admin pending`: the approval queue, from search attributes, on the real dev server.

The session's dev server (conftest `dev_env`) runs the production workflow on a worker of our
own task queue. Other tests share the server, so every check looks only at this test's ids.
Visibility is eventually consistent: we wait (bounded) until the rows are there.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment

from activities import ComplaintActivities
from complaints.actions import Findings, Withdrawal
from complaints.case import Stage
from complaints.intake import ComplaintInput
from complaints.rules import load_rules
from infra.settings import Settings
from starter.client import WORKFLOW_TYPE, send_action, start_complaints
from starter.client.approval_queue import (
    humanise_age,
    pending_levels,
    pending_query,
    pending_row,
    soonest_due,
    sort_by_due,
)
from starter.dev.mailsink import MailSink
from tests.conftest import settings_for
from tests.support import Handle, make_complaint, reach, run_cli, wait_until
from worker import running_worker
from workflows import ComplaintWorkflow
from workflows.search_attributes import AWAITING_APPROVAL_LEVEL, COMPENSATION_AMOUNT, COMPLAINT_STAGE, NEXT_DEADLINE

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TASK_QUEUE = f"admin-pending-{uuid.uuid4().hex[:8]}"

TEAM_LEAD_FINDINGS = Findings(
    submitted_by="alex",
    summary="The November invoice was charged twice",
    root_cause="Payment retry bug in the billing system",
    root_cause_code="billing.duplicate-charge",
    severity=3,
    financial_loss=Decimal("89.90"),
)  # refund 89.90 + goodwill 25.00 = 114.90 → team_lead
MANAGER_FINDINGS = Findings(
    submitted_by="alex",
    summary="A year of invoices were charged twice",
    root_cause="Payment retry bug in the billing system",
    root_cause_code="billing.duplicate-charge",
    severity=5,
    financial_loss=Decimal("900"),
)  # refund 900.00 + goodwill 100.00 = 1000.00 → manager


# --- pure parts: no server -------------------------------------------------------------------


def test_age_is_humanised() -> None:
    assert humanise_age(timedelta(seconds=30)) == "0m"
    assert humanise_age(timedelta(minutes=45)) == "45m"
    assert humanise_age(timedelta(hours=2, minutes=5, seconds=59)) == "2h 05m"
    assert humanise_age(timedelta(days=3, hours=4, minutes=59)) == "3d 4h"
    assert humanise_age(timedelta(seconds=-5)) == "0m"  # clock skew never shows a negative age


def test_levels_follow_the_rules_file() -> None:
    rules = load_rules(Settings().rules_file)
    assert pending_levels(rules, mine=None, level=None) is None
    assert pending_levels(rules, mine=None, level="manager") == ["manager"]
    assert pending_levels(rules, mine="alex", level=None) == ["agent"]
    assert pending_levels(rules, mine="tl-jordan", level=None) == ["agent", "team_lead"]
    assert pending_levels(rules, mine="mgr-dana", level=None) == ["agent", "team_lead", "manager"]
    assert pending_levels(rules, mine="tl-jordan", level="manager") == []  # not theirs to approve


def test_query_uses_search_attributes_only() -> None:
    base = "WorkflowType = 'ComplaintWorkflow' AND ExecutionStatus = 'Running' AND ComplaintStage = 'AwaitingApproval'"
    assert pending_query() == base
    assert pending_query(["manager"]) == f"{base} AND AwaitingApprovalLevel = 'manager'"
    assert pending_query(["agent", "team_lead"]) == f"{base} AND AwaitingApprovalLevel IN ('agent', 'team_lead')"


# --- against the dev server ------------------------------------------------------------------


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def real_worker(
    dev_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory, session_mail_sink: MailSink
) -> AsyncIterator[ComplaintActivities]:
    settings = settings_for(tmp_path_factory.mktemp("admin-pending"), session_mail_sink, task_queue=TASK_QUEUE)
    async with running_worker(dev_env.client, settings) as activities:
        yield activities


async def cli(dev_env: WorkflowEnvironment, *args: str) -> subprocess.CompletedProcess[str]:
    return await run_cli(dev_env, TASK_QUEUE, *args)


async def started(client: Client, c: ComplaintInput) -> Handle:
    (result,) = await start_complaints(client, [c], TASK_QUEUE)
    assert result.started
    handle: Handle = client.get_workflow_handle_for(ComplaintWorkflow.run, c.workflow_id)
    await reach(handle, Stage.INVESTIGATING)
    return handle


async def visible(client: Client, expected: dict[str, tuple[str, float]]) -> None:
    """Wait until visibility shows each workflow id waiting at its (level, amount)."""
    query = pending_query()

    async def seen() -> dict[str, tuple[str | None, float | None]]:
        found: dict[str, tuple[str | None, float | None]] = {}
        async for execution in client.list_workflows(query):
            if execution.id in expected:
                attributes = execution.typed_search_attributes
                found[execution.id] = (attributes.get(AWAITING_APPROVAL_LEVEL), attributes.get(COMPENSATION_AMOUNT))
        return found

    await wait_until(seen, lambda found: found == expected, lambda found: f"visibility showed {found}, not {expected}")


def ours(stdout: str, ids: set[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(stdout)
    return [row for row in rows if row["complaint_id"] in ids]


@pytest.mark.devserver
async def test_pending_lists_what_waits_for_a_decision(
    dev_env: WorkflowEnvironment, real_worker: ComplaintActivities
) -> None:
    client = dev_env.client
    team_lead_case, manager_case, investigating = make_complaint(), make_complaint(), make_complaint()
    ids = {team_lead_case.id, manager_case.id, investigating.id}
    handles = [await started(client, c) for c in (team_lead_case, manager_case, investigating)]

    before = await cli(dev_env, "admin", "pending", "--json")
    assert before.returncode == 0, before.stderr
    assert ours(before.stdout, ids) == []

    # The manager-level case goes to approval first: its approval is due first.
    await send_action(client, manager_case.id, MANAGER_FINDINGS)
    manager_status = await reach(handles[1], Stage.AWAITING_APPROVAL)
    await send_action(client, team_lead_case.id, TEAM_LEAD_FINDINGS)
    team_lead_status = await reach(handles[0], Stage.AWAITING_APPROVAL)
    await visible(
        client,
        {manager_case.workflow_id: ("manager", 1000.0), team_lead_case.workflow_id: ("team_lead", 114.9)},
    )
    # The queue is ordered by each case's next deadline (its approval, or an SLA clock due sooner).
    assert manager_status.next_deadline is not None and team_lead_status.next_deadline is not None
    assert manager_status.next_deadline <= manager_status.due  # type: ignore[operator]
    queue_order = sorted(
        [
            (manager_status.next_deadline, manager_case.id, "1000.00", "manager"),
            (team_lead_status.next_deadline, team_lead_case.id, "114.90", "team_lead"),
        ]
    )

    listed = await cli(dev_env, "admin", "pending", "--json", "--all")
    assert listed.returncode == 0, listed.stderr
    rows = ours(listed.stdout, ids)
    assert [(r["complaint_id"], r["amount"], r["level"]) for r in rows] == [row[1:] for row in queue_order]
    first = next(row for row in rows if row["complaint_id"] == manager_case.id)
    assert (first["owner"], first["priority"], first["category"]) == ("alex", "high", "billing")
    assert first["workflow_id"] == manager_case.workflow_id
    assert first["overdue"] is False
    due = datetime.fromisoformat(first["due"])
    assert abs(due - manager_status.next_deadline) < timedelta(seconds=1)
    assert due.utcoffset() == timedelta(0)
    assert datetime.fromisoformat(first["received_at"]) <= datetime.now(UTC)
    assert first["age"].endswith("m")  # a few seconds old: "0m"

    # A page reads only what it shows, and it is the head of the whole queue (other tests' cases included).
    everything = [row["complaint_id"] for row in json.loads(listed.stdout)]
    for limit in (1, 2):
        page = await cli(dev_env, "admin", "pending", "--json", "--limit", str(limit))
        assert page.returncode == 0, page.stderr
        assert [row["complaint_id"] for row in json.loads(page.stdout)] == everything[:limit]

    async def ids_for(*options: str) -> list[str]:
        result = await cli(dev_env, "admin", "pending", "--json", "--all", *options)
        assert result.returncode == 0, result.stderr
        return [row["complaint_id"] for row in ours(result.stdout, ids)]

    assert await ids_for("--level", "manager") == [manager_case.id]
    assert await ids_for("--level", "team_lead") == [team_lead_case.id]
    assert await ids_for("--mine", "tl-jordan") == [team_lead_case.id]
    assert await ids_for("--mine", "mgr-dana") == [row[1] for row in queue_order]
    assert await ids_for("--mine", "alex") == []
    assert await ids_for("--mine", "tl-jordan", "--level", "manager") == []

    table = await cli(dev_env, "admin", "pending")
    assert table.returncode == 0, table.stderr
    for expected in (team_lead_case.id, manager_case.id, "114.90", "1000.00", "team_lead", "manager"):
        assert expected in table.stdout
    assert investigating.id not in table.stdout
    first_id, second_id = (row[1] for row in queue_order)
    assert table.stdout.index(first_id) < table.stdout.index(second_id)

    nobody = await cli(dev_env, "admin", "pending", "--mine", "nobody")
    assert nobody.returncode == 2
    assert nobody.stdout == ""
    assert "--mine" in nobody.stderr and "'nobody'" in nobody.stderr

    boss = await cli(dev_env, "admin", "pending", "--level", "boss")
    assert boss.returncode == 2
    assert boss.stdout == ""
    assert "--level" in boss.stderr and "'boss'" in boss.stderr
    for role in ("agent", "team_lead", "manager", "director"):
        assert role in boss.stderr


@pytest.mark.devserver
async def test_nothing_waiting(dev_env: WorkflowEnvironment, real_worker: ComplaintActivities) -> None:
    # No test parks a case at director level (that takes more than 2000).
    result = await cli(dev_env, "admin", "pending", "--level", "director")
    assert result.returncode == 0, result.stderr
    assert "0 complaint(s) waiting for a decision at level director" in result.stdout
    assert "Nothing waiting for a decision." in result.stdout

    as_json = await cli(dev_env, "admin", "pending", "--level", "director", "--json")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == []


@pytest.mark.devserver
async def test_due_lists_what_breaches_within_the_window_soonest_first(
    dev_env: WorkflowEnvironment, real_worker: ComplaintActivities
) -> None:
    client = dev_env.client
    complaints = [make_complaint(), make_complaint()]
    handles = [await started(client, c) for c in complaints]
    statuses = [await reach(handle, Stage.INVESTIGATING) for handle in handles]
    ids = {c.id for c in complaints}
    deadlines = {c.id: s.next_deadline for c, s in zip(complaints, statuses, strict=True)}
    assert all(deadlines.values())

    async def listed_rows() -> list[dict[str, Any]]:
        listed = await cli(dev_env, "admin", "due", "--within", "60d", "--json")
        assert listed.returncode == 0, listed.stderr
        return ours(listed.stdout, ids)

    # Visibility follows each case's upsert shortly: wait until both are listed.
    rows = await wait_until(listed_rows, lambda found: len(found) == 2, lambda found: f"listed {found}")
    assert sorted(rows, key=lambda r: r["next_deadline"]) == rows and len(rows) == 2
    for row in rows:
        listed_at = datetime.fromisoformat(row["next_deadline"])
        assert abs(listed_at - deadlines[row["complaint_id"]]) < timedelta(seconds=1)  # type: ignore[operator]
        assert row["overdue"] is False and row["stage"] == "Investigating"

    soon = await cli(dev_env, "admin", "due", "--within", "1m", "--json")
    assert soon.returncode == 0 and ours(soon.stdout, ids) == []
    bad = await cli(dev_env, "admin", "due", "--within", "soon")
    assert bad.returncode == 2 and "--within" in bad.stderr
    for handle in handles:
        await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal(reason="test over"))


@pytest.mark.devserver
async def test_a_page_of_a_long_queue_is_its_head_found_by_halving_windows(dev_env: WorkflowEnvironment) -> None:
    """150 waiting in one window (more than is listed whole): the page must still be the head of the sorted queue.

    Executions of the workflow type on a task queue no worker polls carry the search attributes a
    waiting case has; a level of their own keeps other tests' cases out."""
    client = dev_env.client
    level = f"level-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    handles = []
    for number in range(150):
        due = now + timedelta(days=2, minutes=(number * 37) % 150)  # one window, out of order
        attributes: list[SearchAttributePair[Any]] = [
            SearchAttributePair(COMPLAINT_STAGE, Stage.AWAITING_APPROVAL.value),
            SearchAttributePair(AWAITING_APPROVAL_LEVEL, level),
            SearchAttributePair(NEXT_DEADLINE, due),
        ]
        handles.append(
            await client.start_workflow(
                WORKFLOW_TYPE,
                id=f"complaint-{level}-{number:03d}",
                task_queue=f"nobody-{level}",
                search_attributes=TypedSearchAttributes(attributes),
            )
        )
    try:
        query = pending_query([level])

        async def counted() -> int:
            return (await client.count_workflows(query)).count

        await wait_until(counted, lambda found: found == 150, lambda found: f"visibility showed {found} of 150")
        everything = sort_by_due([pending_row(e, now) async for e in client.list_workflows(query)])
        for limit in (7, 120):  # the head inside one half, and a head that spans both halves
            page = await soonest_due(client, [level], now, limit)
            assert page.total == 150
            assert [row.complaint_id for row in page.rows] == [row.complaint_id for row in everything[:limit]]
            assert [row.due for row in page.rows] == sorted(row.due for row in page.rows if row.due is not None)
    finally:
        for handle in handles:
            await handle.terminate("test over")
