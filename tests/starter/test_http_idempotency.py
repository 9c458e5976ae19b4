"""Idempotency-Key on the HTTP API (issue 14): the same key and body is one update with one
answer; the same key with another body is 409; keys are scoped per complaint, endpoint and caller.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from starter.client import find_complaint, query_timeline, update_id_for_key
from tests.http_support import assert_never_started, body, wait_for_stage
from tests.support import accepted_update_ids

pytestmark = pytest.mark.devserver


@pytest.fixture
def client(dev_env: WorkflowEnvironment) -> Client:
    return dev_env.client


# -- Idempotency-Key (issue 14) ------------------------------------------------------------------


async def accepted_ids_of(client: Client, complaint_id: str) -> list[str]:
    """The id of every update accepted into the complaint's history, in order."""
    handle, _ = await find_complaint(client, complaint_id)
    return await accepted_update_ids(handle)


async def customer_messages(client: Client, complaint_id: str) -> list[str]:
    return [event.detail for event in await query_timeline(client, complaint_id) if event.kind == "customer message"]


ENDPOINTS_WITH_UPDATES = ("messages", "offer-response", "feedback", "priority")


def keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


async def test_the_same_idempotency_key_and_body_is_one_update_with_one_answer(
    crm: httpx.AsyncClient, client: Client
) -> None:
    complaint = body()
    cid = complaint["id"]
    opened = await crm.post("/complaints", json=complaint, headers=keyed("open-1"))
    reopened = await crm.post("/complaints", json=complaint, headers=keyed("open-1"))
    assert opened.status_code == reopened.status_code == 201, reopened.text  # not 200 "existing": the first answer
    assert opened.json() == reopened.json()
    assert reopened.headers["Idempotent-Replayed"] == "true"
    await wait_for_stage(crm, cid, "Investigating")

    path = f"/complaints/{cid}/messages"
    first = await crm.post(path, json={"text": "Here is my statement"}, headers=keyed("k-1"))
    again = await crm.post(path, json={"text": "Here is my statement"}, headers=keyed("k-1"))
    assert first.status_code == again.status_code == 200, again.text
    assert first.json() == again.json()
    # Both at once: one claims the key, both carry its update id, Temporal runs it once.
    together = await asyncio.gather(
        *(crm.post(path, json={"text": "And the bill"}, headers=keyed("k-2")) for _ in range(3))
    )
    assert [response.status_code for response in together] == [200, 200, 200]
    assert len({response.text for response in together}) == 1

    assert await accepted_ids_of(client, cid) == [
        update_id_for_key("messages", "crm", cid, "k-1"),
        update_id_for_key("messages", "crm", cid, "k-2"),
    ]
    assert await customer_messages(client, cid) == ["(crm) Here is my statement", "(crm) And the bill"]


async def test_the_same_idempotency_key_with_another_body_is_409(crm: httpx.AsyncClient, client: Client) -> None:
    complaint = body()
    cid = complaint["id"]
    assert (await crm.post("/complaints", json=complaint, headers=keyed("open"))).status_code == 201
    other = await crm.post("/complaints", json={**complaint, "description": "Other words"}, headers=keyed("open"))
    assert other.status_code == 409
    assert other.json() == {
        "detail": "Idempotency-Key: this key was already used with a different request on this complaint "
        "(complaints); send a new key for a new request"
    }
    await wait_for_stage(crm, cid, "Investigating")

    path = f"/complaints/{cid}/messages"
    assert (await crm.post(path, json={"text": "first"}, headers=keyed("k"))).status_code == 200
    changed = await crm.post(path, json={"text": "second"}, headers=keyed("k"))
    assert changed.status_code == 409
    assert "Idempotency-Key" in changed.json()["detail"]
    assert "different request" in changed.json()["detail"]
    assert await customer_messages(client, cid) == ["(crm) first"]  # the second body was never sent
    assert len(await accepted_ids_of(client, cid)) == 1


async def test_a_refusal_under_a_key_is_answered_the_same_way_again(crm: httpx.AsyncClient, client: Client) -> None:
    complaint = body()
    cid = complaint["id"]
    assert (await crm.post("/complaints", json=complaint)).status_code == 201
    await wait_for_stage(crm, cid, "Investigating")

    lower = {"priority": "normal", "by": "tl-jordan", "reason": "calmer"}
    refused = await crm.post(f"/complaints/{cid}/priority", json=lower, headers=keyed("p-1"))
    again = await crm.post(f"/complaints/{cid}/priority", json=lower, headers=keyed("p-1"))
    assert refused.status_code == again.status_code == 409
    assert (
        refused.json() == again.json() == {"detail": "priority: the complaint is already high; a raise must be higher"}
    )
    assert again.headers["Idempotent-Replayed"] == "true"

    # A refusal at intake (422 naming the field) is kept with its key too.
    unknown_profile = {**body(), "regulatory_profile": "eu-psd2"}
    answers = [await crm.post("/complaints", json=unknown_profile, headers=keyed("i-1")) for _ in range(2)]
    assert [response.status_code for response in answers] == [422, 422]
    assert answers[0].json() == answers[1].json()
    assert [error["field"] for error in answers[1].json()["errors"]] == ["regulatory_profile"]
    await assert_never_started(client, unknown_profile["id"])


async def test_a_malformed_idempotency_key_is_422_naming_the_header(crm: httpx.AsyncClient, client: Client) -> None:
    complaint = body()
    for bad in (b"", b"x" * 201, "caf\u00e9".encode(), b"tab\tin it"):
        headers = {b"Idempotency-Key": bad}
        response = await crm.post("/complaints", json=complaint, headers=headers)
        assert response.status_code == 422, (bad, response.text)
        problem = response.json()
        assert problem["errors"] == [
            {"field": "Idempotency-Key", "message": "must be 1 to 200 printable ASCII characters"}
        ]
        assert problem["detail"].startswith("Idempotency-Key: ")
        refused = await crm.post("/complaints/C-whoever/feedback", json={"csat": 3}, headers=headers)
        assert refused.status_code == 422
    await assert_never_started(client, complaint["id"])
    fine = await crm.post("/complaints", json=complaint, headers=keyed("~" + "k" * 199))
    assert fine.status_code == 201, fine.text

    schema = (await crm.get("/openapi.json")).json()
    for path in ("/complaints", *(f"/complaints/{{complaint_id}}/{end}" for end in ENDPOINTS_WITH_UPDATES)):
        names = [p["name"] for p in schema["paths"][path]["post"]["parameters"] if p["in"] == "header"]
        assert "Idempotency-Key" in names, path


async def test_keys_are_scoped_per_complaint_endpoint_and_calling_system(
    crm: httpx.AsyncClient, webform: httpx.AsyncClient, client: Client
) -> None:
    one, two = body(), body()
    for complaint in (one, two):
        assert (await crm.post("/complaints", json=complaint, headers=keyed("same"))).status_code == 201
    for complaint in (one, two):
        await wait_for_stage(crm, complaint["id"], "Investigating")

    for complaint in (one, two):
        sent = await crm.post(f"/complaints/{complaint['id']}/messages", json={"text": "hi"}, headers=keyed("same"))
        assert sent.status_code == 200, sent.text
    by_webform = await webform.post(f"/complaints/{one['id']}/messages", json={"text": "hi"}, headers=keyed("same"))
    assert by_webform.status_code == 200, by_webform.text
    raise_ = {"priority": "urgent", "by": "tl-jordan", "reason": "vulnerable customer"}
    raised = await crm.post(f"/complaints/{one['id']}/priority", json=raise_, headers=keyed("same"))
    assert raised.status_code == 200, raised.text

    assert await customer_messages(client, one["id"]) == ["(crm) hi", "(webform) hi"]
    assert await customer_messages(client, two["id"]) == ["(crm) hi"]
    assert len(await accepted_ids_of(client, one["id"])) == 3


async def test_without_a_key_an_identical_body_is_the_same_update(crm: httpx.AsyncClient, client: Client) -> None:
    complaint = body()
    cid = complaint["id"]
    assert (await crm.post("/complaints", json=complaint)).status_code == 201
    await wait_for_stage(crm, cid, "Investigating")
    raise_ = {"priority": "urgent", "by": "tl-jordan", "reason": "vulnerable customer"}
    answers = await asyncio.gather(*(crm.post(f"/complaints/{cid}/priority", json=raise_) for _ in range(2)))
    retried = await crm.post(f"/complaints/{cid}/priority", json=raise_)
    # Applied twice, the second would be refused ("already urgent"): all three get the first answer.
    assert [response.status_code for response in [*answers, retried]] == [200, 200, 200]
    assert answers[0].json() == answers[1].json() == retried.json()
    assert len(await accepted_ids_of(client, cid)) == 1
