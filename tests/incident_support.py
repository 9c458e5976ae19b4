"""Helpers the incident tests share: a declaration, a list of customers, driving an incident."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from temporalio.client import Client, WorkflowHandle

from activities.incident_store import IncidentStore
from complaints.affected import AffectedCustomer, ListedCustomer
from complaints.incident import IncidentDeclaration, IncidentStage, IncidentSummary
from complaints.incident_state import CustomersListed
from tests.support import TASK_QUEUE, wait_until
from workflows.incident import IncidentWorkflow, IncidentWorkflowInput

IncidentHandle = WorkflowHandle[IncidentWorkflow, IncidentSummary]
STARTED = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)


def scheme(
    budget: str = "5000.00", version: int = 1, short_credit: str = "10.00", long_credit: str = "25.00"
) -> dict[str, Any]:
    return {
        "version": version,
        "currency": "GBP",
        "bands": [
            {
                "name": "short",
                "measure": "hours_without_service",
                "at_least": "1",
                "below": "12",
                "remedy": {"credit": short_credit},
            },
            {
                "name": "long",
                "measure": "hours_without_service",
                "at_least": "12",
                "remedy": {"credit": long_credit, "refund_proven_loss": True},
            },
        ],
        "cap_per_customer": "100.00",
        "budget": budget,
    }


def declaration(**overrides: Any) -> IncidentDeclaration:
    fields: dict[str, Any] = {
        "id": f"INC-{uuid.uuid4().hex[:8]}",
        "title": "Broadband outage in the North West",
        "description": "A faulty software update took our broadband service down for customers in the North West.",
        "started_at": STARTED.isoformat(),
        "ended_at": STARTED.replace(day=3).isoformat(),
        "products": ["broadband"],
        "categories": ["service"],
        "fault": "ours",
        "declared_by": "mgr-dana",
        "scheme": scheme(),
    }
    fields.update(overrides)
    return IncidentDeclaration.model_validate(fields)


def customers(count: int, hours: str = "6", prefix: str = "cust") -> list[ListedCustomer]:
    return [
        ListedCustomer(
            row=number + 2,
            customer=AffectedCustomer(
                customer_id=f"{prefix}-{number}",
                name=f"Customer {number}",
                email=f"customer{number}@example.com",
                product="broadband",
                hours_without_service=Decimal(hours),
            ),
        )
        for number in range(count)
    ]


async def declare(client: Client, declared: IncidentDeclaration) -> IncidentHandle:
    return await client.start_workflow(
        IncidentWorkflow.run,
        IncidentWorkflowInput(declaration=declared),
        id=declared.workflow_id,
        task_queue=TASK_QUEUE,
    )


async def summary(handle: IncidentHandle) -> IncidentSummary | None:
    try:
        return await handle.query(IncidentWorkflow.summary)
    except Exception:
        return None


async def reach_stage(handle: IncidentHandle, stage: IncidentStage, **expected: Any) -> IncidentSummary:
    """The incident at `stage` with nothing listed left to assess (and the `expected` fields)."""
    expected.setdefault("to_assess", False)
    found = await wait_until(
        lambda: summary(handle),
        lambda now: now is not None and now.stage is stage and all(getattr(now, k) == v for k, v in expected.items()),
        lambda now: f"{handle.id} never reached {stage.value} {expected}; it is {now}",
    )
    assert found is not None
    return found


async def terminate_when_idle(handle: WorkflowHandle[Any, Any]) -> None:
    """Terminate once no activity of the run is in flight: the time-skipping server stops skipping
    time for good if a run is terminated under a running activity."""

    quiet_reads = 0

    async def in_flight() -> int:
        nonlocal quiet_reads
        raw = (await handle.describe()).raw_description
        busy = len(raw.pending_activities) + raw.HasField("pending_workflow_task")
        quiet_reads = 0 if busy else quiet_reads + 1
        return busy

    await wait_until(in_flight, lambda _: quiet_reads >= 3, lambda busy: f"{handle.id}: {busy} tasks in flight")
    await handle.terminate(reason="test done")


async def list_customers(
    store: IncidentStore, handle: IncidentHandle, incident_id: str, listed: Sequence[ListedCustomer]
) -> None:
    """What `complaints incident customers` does: stage the rows, then tell the incident."""
    staged = await store.stage(incident_id, listed)
    await wait_until(lambda: summary(handle), lambda now: now is not None, lambda now: "the incident never started")
    await handle.execute_update(IncidentWorkflow.customers_listed, CustomersListed(by="mgr-dana", added=staged.added))
