"""`/incidents` over real HTTP, against the real dev server and worker: a declaration refused
field by field (nothing starts), a paged upload whose bad rows are named while the good rows go
on, a dry run, the four-eyes refusal as 409, the approval, and a customer's own complaint."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
import pytest
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from complaints.incident import case_id_for
from tests.incident_support import declaration, scheme
from tests.support import PATIENCE, make_complaint

pytestmark = pytest.mark.devserver


async def incident_at(crm: httpx.AsyncClient, incident_id: str, stage: str, **expected: Any) -> dict[str, Any]:
    deadline = time.monotonic() + PATIENCE
    while True:
        found = (await crm.get(f"/incidents/{incident_id}")).json()
        summary = found.get("summary") or {}
        there = summary.get("stage") == stage and not summary.get("to_assess")
        if there and all(summary.get(key) == value for key, value in expected.items()):
            return dict(found)
        assert time.monotonic() < deadline, f"{incident_id} never reached {stage} {expected}: {found}"
        await asyncio.sleep(0.1)


async def test_a_declaration_with_bad_fields_is_refused_and_nothing_starts(
    crm: httpx.AsyncClient, dev_env: WorkflowEnvironment
) -> None:
    bad = declaration().model_dump(mode="json")
    bad.update(ended_at="2026-11-01T00:00:00+00:00", fault="nobody's")
    response = await crm.post("/incidents", json=bad)
    assert response.status_code == 422, response.text
    problems = {problem["field"]: problem["message"] for problem in response.json()["errors"]}
    assert problems == {"fault": "Input should be 'ours' or 'third_party'"}
    client: Client = dev_env.client
    with pytest.raises(RPCError):
        await client.get_workflow_handle(f"incident-{bad['id']}").describe()


async def test_declare_upload_pages_approve_and_join_over_http(crm: httpx.AsyncClient) -> None:
    declared = declaration()
    created = await crm.post("/incidents", json=declared.model_dump(mode="json"))
    assert created.status_code == 201, created.text
    assert created.json() == {"incident_id": declared.id, "workflow_id": f"incident-{declared.id}", "started": True}
    again = await crm.post("/incidents", json=declared.model_dump(mode="json"))
    assert (again.status_code, again.json()["started"]) == (200, False)

    rows = [
        {"customer_id": "h-1", "name": "Ada", "email": "ada@example.com", "product": "broadband",
         "hours_without_service": "6"},
        {"customer_id": "h-2", "name": "Grace", "email": "not an address", "product": "broadband"},
    ]  # fmt: skip
    dry = await crm.post(f"/incidents/{declared.id}/customers", params={"by": "mgr-dana", "dry_run": "true"}, json=rows)
    assert dry.status_code == 200, dry.text
    assert dry.json()["estimate"]["eligible"] == 1 and dry.json()["listing"] is None

    first = await crm.post(f"/incidents/{declared.id}/customers", params={"by": "mgr-dana"}, json=rows)
    assert first.status_code == 200, first.text
    listing = first.json()["listing"]
    assert listing["added"] == 1
    assert listing["problems"] == [
        "row 2: email: value is not a valid email address: An email address must have an @-sign."
    ]
    second_page = [{"customer_id": "h-3", "name": "Alan", "email": "alan@example.com", "product": "broadband",
                    "hours_without_service": "30"}]  # fmt: skip
    page = await crm.post(
        f"/incidents/{declared.id}/customers", params={"by": "mgr-dana", "first_row": "3"}, json=second_page
    )
    assert page.json()["listing"]["added"] == 1

    await incident_at(crm, declared.id, "AwaitingApproval", eligible=2)
    four_eyes = await crm.post(f"/incidents/{declared.id}/approve", json={"approver_id": "mgr-dana"})
    assert four_eyes.status_code == 409
    assert "cannot approve it too (four eyes)" in four_eyes.json()["detail"]
    approved = await crm.post(f"/incidents/{declared.id}/approve", json={"approver_id": "alex"})
    assert approved.status_code == 200, approved.text
    offered = await incident_at(crm, declared.id, "Offered", offered=2)
    assert offered["figures"]["reserved"] == "35.00"

    own = make_complaint(customer={"id": "h-1", "name": "Ada", "email": "ada@example.com"}, category="service")
    joined = await crm.post(f"/incidents/{declared.id}/complaints", json=own.model_dump(mode="json"))
    assert joined.status_code == 200, joined.text
    assert joined.json() == {"outcome": "existing", "case_id": case_id_for(declared.id, "h-1"), "reason": ""}

    listed = await crm.get("/incidents")
    assert any(entry["incident_id"] == declared.id for entry in listed.json())
    unknown = await crm.get("/incidents/INC-none")
    assert unknown.status_code == 404


async def test_a_complaint_naming_no_incident_joins_the_open_one_it_fits(crm: httpx.AsyncClient) -> None:
    """Matched by the incident's category, product and dates: the listed customer's complaint goes to
    their case, a customer not listed gets the scheme's offer, and any other complaint starts on its own."""
    product = f"fibre-{uuid.uuid4().hex[:6]}"  # nothing else in the shared database is about it
    loss_band = {"name": "loss", "measure": "proven_loss", "at_least": "0.01", "remedy": {"refund_proven_loss": True}}
    declared = declaration(ended_at=None, products=[product], scheme={**scheme(), "bands": [loss_band]})
    assert (await crm.post("/incidents", json=declared.model_dump(mode="json"))).status_code == 201
    listed = [{"customer_id": "m-1", "name": "Ada", "email": "ada@example.com", "product": product,
               "proven_loss": "12.00"}]  # fmt: skip
    assert (await crm.post(f"/incidents/{declared.id}/customers", params={"by": "mgr-dana"}, json=listed)).is_success
    await incident_at(crm, declared.id, "AwaitingApproval", eligible=1)
    assert (await crm.post(f"/incidents/{declared.id}/approve", json={"approver_id": "alex"})).is_success
    await incident_at(crm, declared.id, "Offered", offered=1)

    def about_it(customer_id: str, **overrides: Any) -> dict[str, Any]:
        fields = {"category": "service", "product": product, **overrides}
        customer = {"id": customer_id, "name": "Ada", "email": "ada@example.com"}
        return make_complaint(customer=customer, **fields).model_dump(mode="json")

    listed_one = await crm.post("/complaints", json=about_it("m-1"))
    assert listed_one.status_code == 200, listed_one.text
    receipt = listed_one.json()
    assert (receipt["outcome"], receipt["complaint_id"]) == ("existing", case_id_for(declared.id, "m-1"))
    assert receipt["incident_id"] == declared.id
    assert receipt["note"].startswith(f"matched to incident {declared.id} (Broadband outage in the North West; still")
    assert "by its category service and product " + product in receipt["note"]

    unlisted = await crm.post("/complaints", json=about_it("m-2", claimed_amount="30.00"))
    assert unlisted.status_code == 201, unlisted.text
    assert (unlisted.json()["outcome"], unlisted.json()["complaint_id"]) == ("offered", case_id_for(declared.id, "m-2"))
    joined = await incident_at(crm, declared.id, "Offered", offered=2)
    assert (joined["figures"]["by_status"]["offered"], joined["figures"]["reserved"]) == (2, "42.00")

    other_category = await crm.post("/complaints", json=about_it("m-3", category="billing"))
    other_product = await crm.post("/complaints", json=about_it("m-4", product="mobile"))
    for answer in (other_category, other_product):
        assert answer.status_code == 201, answer.text
        assert (answer.json()["outcome"], answer.json()["incident_id"], answer.json()["note"]) == ("started", None, "")

    closing = {"by": "mgr-dana", "lessons": "Fibre updates in stages", "preventive_measures": "Canary releases"}
    assert (await crm.post(f"/incidents/{declared.id}/close", json=closing)).is_success
