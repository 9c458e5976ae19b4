"""Property (issue 14), on the time-skipping server: whatever intake takes is acknowledged and investigated.

A few complaints drawn by Hypothesis (plausible but edgy: every zone offset, names in many
scripts, amounts up to the ledger's limit, receipts anywhere in the window, a minute ahead
included) plus the edges of each rule go through intake and the client library exactly as
the CLI and the API send them, on the session's worker. Each must reach Investigating (the
acknowledgement went out) with no failed workflow task in its history: a task that fails
there is retried for ever, which is how input used to stick a case. Kept small: the pure
property (tests/complaints/test_intake_property.py) covers the refusals.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from temporalio.client import Client

from complaints.actions import Withdrawal
from complaints.case import Stage
from complaints.intake import ComplaintInput, InvalidInput, parse_complaints
from infra.settings import Settings
from starter.client import IntakeChecks, start_complaints
from tests.intake_strategies import payloads
from tests.support import TASK_QUEUE, Handle, failed_workflow_tasks, status, timers_started, wait_until
from workflows import ComplaintWorkflow

EXAMPLES = 15


def taken(payload: dict[str, Any], checks: IntakeChecks) -> ComplaintInput | None:
    """The complaint if intake takes it (parse, then the rules and the window), with an id of its own."""
    try:
        (complaint,) = parse_complaints(json.dumps(payload))
        checks.admit([complaint])
    except InvalidInput:
        return None
    return complaint.model_copy(update={"id": f"P-{uuid.uuid4().hex[:12]}"})


def drawn(now: datetime, checks: IntakeChecks) -> list[ComplaintInput]:
    found: list[ComplaintInput] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(payloads(now, nasty=False))
    def collect(payload: dict[str, Any]) -> None:
        complaint = taken(payload, checks)
        if complaint is not None:
            found.append(complaint)

    collect()
    return found


def edges(now: datetime) -> list[dict[str, Any]]:
    """The edge of each rule, on its accepted side."""
    person = {"id": "cust-edge", "name": "Zoë Ó Brien-Łukasiewicz 山田", "email": "zoe@example.com"}

    def at(offset: timedelta) -> str:
        return (now + offset).isoformat()

    base = {"id": "E", "customer": person, "category": "billing", "description": "Charged twice.\nPlease help."}
    return [
        {**base, "received_at": at(-timedelta(days=365)), "customer": {**person, "timezone": "Pacific/Kiritimati"}},
        {**base, "received_at": at(timedelta(minutes=4)), "claimed_amount": 89.9},  # a sender's fast clock
        {**base, "received_at": at(-timedelta(minutes=2)), "regulatory_profile": "us-cfpb"},
        {**base, "received_at": at(-timedelta(minutes=6)), "regulatory_profile": "us-cfpb", "product": "E_Money"},
        {
            **base,
            "customer": {**person, "timezone": "Pacific/Pago_Pago", "language": "es-MX"},
            "claimed_amount": "9999999999.99",
            "regulatory_profile": "uk-fca-disp",
            "product": "payment_services",
            "priority": "urgent",
        },
    ]


async def investigating_or_failed(handle: Handle) -> tuple[Stage | None, list[str]]:
    """Wait until the case is investigating, or a workflow task has failed (which it would retry for ever)."""

    async def probe() -> tuple[Stage | None, list[str]]:
        failures = await failed_workflow_tasks(handle)
        try:
            return (await status(handle)).stage, failures
        except Exception:  # the first task has not run yet, or it failed
            return None, failures

    return await wait_until(
        probe,
        lambda seen: seen[0] is Stage.INVESTIGATING or bool(seen[1]),
        lambda seen: f"{handle.id} never reached Investigating; it is {seen[0]}",
    )


async def test_every_complaint_intake_takes_is_acknowledged_without_a_failed_task(
    client: Client, settings: Settings
) -> None:
    now = datetime.now(UTC)
    checks = IntakeChecks.from_settings(settings, now=now)
    at_the_edges = [taken(payload, checks) for payload in edges(now)]
    assert None not in at_the_edges, "an edge of the window or the rules was refused"
    complaints = [c for c in at_the_edges if c is not None] + drawn(now, checks)
    assert len(complaints) > len(at_the_edges)

    results = await start_complaints(client, complaints, TASK_QUEUE, checks=checks)

    for complaint, result in zip(complaints, results, strict=True):
        assert result.started, complaint
        handle: Handle = client.get_workflow_handle_for(ComplaintWorkflow.run, result.workflow_id)
        assert await investigating_or_failed(handle) == (Stage.INVESTIGATING, []), complaint.model_dump_json()
        await timers_started(handle, ["investigation reminder"])  # the task after the acknowledgement completed
        assert await failed_workflow_tasks(handle) == [], complaint.model_dump_json()

    for result in results:  # closed, so later tests' skipped days do not wake them
        handle = client.get_workflow_handle_for(ComplaintWorkflow.run, result.workflow_id)
        await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal(reason="test over"))
        assert (await handle.result()).outcome == "withdrawn"
