"""The HTTP intake API over real HTTP, against the real dev server and the real workflow.

uvicorn serves `starter.api.create_app` on a free port as a task on the session's loop;
the app connects to the session's dev server through `infra.connection` (envconfig,
pydantic converter), and a worker wired by `worker.running_worker` runs the production
`ComplaintWorkflow` with real activities and rules whose follow-up and reopen window take
seconds, so a case reaches the survey within the test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from complaints.actions import Approval
from complaints.intake import InvalidInput, parse_complaints
from infra.settings import Settings
from starter.api import ApiConfigError, ApiKeys, create_app
from starter.client import find_complaint, query_timeline, send_action
from starter.dev.mailsink import free_port
from tests.http_support import assert_never_started, body, serving, wait_for_stage
from tests.starter.conftest import KEYS, MAX_BODY
from tests.support import FINDINGS, PROJECT_ROOT, clean_environment

pytestmark = pytest.mark.devserver


@pytest.fixture
def client(dev_env: WorkflowEnvironment) -> Client:
    return dev_env.client


async def test_create_is_idempotent_on_the_complaint_id(crm: httpx.AsyncClient, client: Client) -> None:
    complaint = body()
    first = await crm.post("/complaints", json=complaint)
    assert first.status_code == 201, first.text
    created = first.json()
    assert created["complaint_id"] == complaint["id"]
    assert created["workflow_id"] == f"complaint-{complaint['id']}"
    assert (created["outcome"], created["stage"], created["closed"]) == ("started", "Received", False)
    assert (
        created["url"] == f"http://localhost:8233/namespaces/{client.namespace}/workflows/complaint-{complaint['id']}"
    )
    _, description = await find_complaint(client, complaint["id"])
    assert description.run_id == created["run_id"]

    again = await crm.post("/complaints", json=complaint)
    assert again.status_code == 200, again.text
    assert again.json()["outcome"] == "existing"
    assert again.json()["run_id"] == created["run_id"]

    conflicting = await crm.post("/complaints", json={**complaint, "description": "Something else entirely"})
    assert conflicting.status_code == 409, conflicting.text
    assert conflicting.json()["detail"] == (
        f"complaint {complaint['id']} already exists with different content; it was not changed"
    )
    _, description = await find_complaint(client, complaint["id"])
    assert description.run_id == created["run_id"]  # still the one and only run


async def test_status_and_a_customer_message_reach_the_workflow(
    crm: httpx.AsyncClient, webform: httpx.AsyncClient, client: Client
) -> None:
    complaint = body()
    assert (await crm.post("/complaints", json=complaint)).status_code == 201
    status = await wait_for_stage(crm, complaint["id"], "Investigating")
    assert (status["complaint_id"], status["owner_id"], status["customer_email"]) == (
        complaint["id"],
        "alex",
        "ada@example.com",
    )
    assert status["waiting_for"]
    assert status["due"] is not None

    message = {"text": "I found the second bank statement", "message_id": "m-1"}
    sent = await webform.post(f"/complaints/{complaint['id']}/messages", json=message)
    assert sent.status_code == 200, sent.text
    assert sent.json()["workflow_id"] == f"complaint-{complaint['id']}"
    assert sent.json()["result"].startswith(f"Recorded the customer's message on {complaint['id']}")

    # The same body is the same update (its id is derived from the body): the first answer again.
    retried = await webform.post(f"/complaints/{complaint['id']}/messages", json=message)
    assert retried.status_code == 200, retried.text
    assert retried.json() == sent.json()
    # Under another update id (a key), the workflow's own check on message_id still holds.
    keyed = await webform.post(
        f"/complaints/{complaint['id']}/messages", json=message, headers={"Idempotency-Key": "other"}
    )
    assert keyed.status_code == 200, keyed.text
    assert keyed.json()["result"] == f"Already recorded: message m-1 on {complaint['id']}."

    emailed = await crm.post(
        f"/complaints/{complaint['id']}/messages", json={"text": "Also: wrong VAT", "channel": "email"}
    )
    assert emailed.status_code == 200, emailed.text

    timeline = await query_timeline(client, complaint["id"])
    messages = [(event.detail, event.actor) for event in timeline if event.kind == "customer message"]
    # Without a channel, the calling system's name is the channel; the retry is recorded once.
    assert messages == [
        ("(webform) I found the second bank statement", "customer"),
        ("(email) Also: wrong VAT", "customer"),
    ]


async def test_offer_response_and_feedback_refused_out_of_stage_then_accepted(
    crm: httpx.AsyncClient, client: Client
) -> None:
    complaint = body()
    cid = complaint["id"]
    assert (await crm.post("/complaints", json=complaint)).status_code == 201
    await wait_for_stage(crm, cid, "Investigating")

    too_early = await crm.post(f"/complaints/{cid}/offer-response", json={"answer": "accept"})
    assert too_early.status_code == 409
    assert too_early.json() == {
        "detail": "cannot record an offer response: no offer is open (the complaint is Investigating)"
    }
    no_survey = await crm.post(f"/complaints/{cid}/feedback", json={"csat": 5})
    assert no_survey.status_code == 409
    assert no_survey.json() == {
        "detail": "cannot record feedback: the complaint is Investigating, not AwaitingFeedback"
    }

    # Staff do their part through the client library (the API is for the customer's side).
    await send_action(client, cid, FINDINGS)
    await wait_for_stage(crm, cid, "AwaitingApproval")
    await send_action(client, cid, Approval(approver_id="tl-jordan"))
    await wait_for_stage(crm, cid, "AwaitingCustomer")

    accepted = await crm.post(f"/complaints/{cid}/offer-response", json={"answer": "accept"})
    assert accepted.status_code == 200, accepted.text
    # Follow-up after 1 s, reopen window 3 s (FAST_TIMINGS), then the survey.
    await wait_for_stage(crm, cid, "AwaitingFeedback")
    timeline = await query_timeline(client, cid)
    # The answer is recorded with the system that passed it on.
    assert [(e.kind, e.actor) for e in timeline if e.kind.startswith("offer ")] == [
        ("offer accept", "customer via crm")
    ]
    answered = await crm.post(f"/complaints/{cid}/feedback", json={"csat": 5, "comment": "Quick and fair"})
    assert answered.status_code == 200, answered.text
    closed = await wait_for_stage(crm, cid, "Closed")
    assert closed["feedback"] == {"csat": 5, "comment": "Quick and fair"}

    late = await crm.post(f"/complaints/{cid}/messages", json={"text": "thanks again"})
    assert late.status_code == 409
    assert late.json() == {"detail": f"complaint {cid} is already closed"}
    again = await crm.post("/complaints", json=complaint)  # a closed complaint is found, never restarted
    assert (again.status_code, again.json()["closed"], again.json()["stage"]) == (200, True, "Closed")


async def test_a_priority_raise_reaches_the_workflow_and_a_lower_one_is_refused(
    crm: httpx.AsyncClient, client: Client
) -> None:
    complaint = body()  # opened as high
    cid = complaint["id"]
    assert (await crm.post("/complaints", json=complaint)).status_code == 201
    await wait_for_stage(crm, cid, "Investigating")

    raise_ = {"priority": "urgent", "by": "tl-jordan", "reason": "vulnerable customer"}
    raised = await crm.post(f"/complaints/{cid}/priority", json=raise_)
    assert raised.status_code == 200, raised.text
    assert raised.json() == {
        "complaint_id": cid,
        "workflow_id": f"complaint-{cid}",
        "result": f"{cid} is now urgent; its deadlines are recomputed.",
    }
    assert (await crm.get(f"/complaints/{cid}")).json()["priority"] == "urgent"
    timeline = await query_timeline(client, cid)
    # Recorded with the staff member who decided, and the system that passed it on.
    assert [(e.detail, e.actor) for e in timeline if e.kind == "priority raised"] == [
        ("high → urgent: vulnerable customer (via crm)", "tl-jordan")
    ]

    lower = await crm.post(f"/complaints/{cid}/priority", json={**raise_, "priority": "normal"})
    assert lower.status_code == 409
    assert lower.json() == {"detail": "priority: the complaint is already urgent; a raise must be higher"}
    stranger = await crm.post(f"/complaints/{cid}/priority", json={**raise_, "by": "nobody"})
    assert stranger.status_code == 409
    assert stranger.json() == {"detail": "by: unknown staff id 'nobody'"}
    invalid = await crm.post(f"/complaints/{cid}/priority", json={"priority": "sky-high", "by": "tl-jordan"})
    assert invalid.status_code == 422
    assert [error["field"] for error in invalid.json()["errors"]] == ["priority", "reason"]
    assert [e.kind for e in await query_timeline(client, cid)].count("priority raised") == 1


async def test_unknown_complaint_is_404(crm: httpx.AsyncClient) -> None:
    for response in (
        await crm.get("/complaints/C-nobody"),
        await crm.post("/complaints/C-nobody/messages", json={"text": "hello"}),
        await crm.post("/complaints/C-nobody/offer-response", json={"answer": "accept"}),
        await crm.post("/complaints/C-nobody/feedback", json={"csat": 3}),
        await crm.post("/complaints/C-nobody/priority", json={"priority": "urgent", "by": "tl-jordan", "reason": "x"}),
    ):
        assert response.status_code == 404, response.text
        assert response.json() == {"detail": "unknown complaint 'C-nobody' (no workflow 'complaint-C-nobody')"}


async def test_api_keys(anonymous: httpx.AsyncClient, client: Client) -> None:
    complaint = body()
    missing = await anonymous.post("/complaints", json=complaint)
    wrong = await anonymous.post("/complaints", json=complaint, headers={"X-API-Key": KEYS["crm"] + "x"})
    # A caller without a key learns nothing about the body either.
    wrong_and_malformed = await anonymous.post(
        "/complaints", content=b"{not json", headers={"X-API-Key": "nope", "Content-Type": "application/json"}
    )
    status_without_key = await anonymous.get(f"/complaints/{complaint['id']}")
    for response in (missing, wrong, wrong_and_malformed, status_without_key):
        assert response.status_code == 401, response.text
        assert response.json() == {
            "detail": "missing or unknown API key: send your system's key in the X-API-Key header"
        }
        assert response.headers["WWW-Authenticate"] == "ApiKey"
    await assert_never_started(client, complaint["id"])

    # Health and the OpenAPI document need no key.
    assert (await anonymous.get("/health/live")).json() == {"status": "ok"}
    ready = await anonymous.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "namespace": client.namespace}
    schema = (await anonymous.get("/openapi.json")).json()
    assert schema["components"]["securitySchemes"]["APIKeyHeader"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "The calling system's key (COMPLAINTS_API_KEYS); its name is recorded with what it sends.",
    }
    create = schema["paths"]["/complaints"]["post"]
    assert set(create["responses"]) >= {"200", "201", "401", "409", "413", "422"}
    assert "never started twice" in create["description"]
    assert "/health/live" in schema["paths"]


async def test_bad_body_is_422_naming_the_field_as_intake_does(crm: httpx.AsyncClient, client: Client) -> None:
    complaint = body()
    complaint["customer"]["email"] = "not-an-address"
    del complaint["description"]
    response = await crm.post("/complaints", json=complaint)
    assert response.status_code == 422
    problem = response.json()
    assert [error["field"] for error in problem["errors"]] == ["customer.email", "description"]
    assert problem["errors"][0]["message"].startswith("value is not a valid email address")
    # Word for word what `complaints start` / intake.parse_complaints say about the same input.
    with pytest.raises(InvalidInput) as intake:
        parse_complaints(json.dumps(complaint))
    assert problem["detail"] == str(intake.value)
    await assert_never_started(client, complaint["id"])

    malformed = await crm.post("/complaints", content=b'{"id": ', headers={"Content-Type": "application/json"})
    assert malformed.status_code == 422
    assert malformed.json()["detail"].startswith("input: malformed JSON at position 7")

    empty_text = await crm.post("/complaints/C-whoever/messages", json={"text": "  ", "surprise": 1})
    assert empty_text.status_code == 422
    assert [error["field"] for error in empty_text.json()["errors"]] == ["text", "surprise"]


async def test_what_would_stick_a_case_is_422_and_never_starts(crm: httpx.AsyncClient, client: Client) -> None:
    """Issue 14 over real HTTP: fields a case would fail on for ever (the API test without a server has them all)."""
    for changes, field in [
        ({"regulatory_profile": "eu-psd2"}, "regulatory_profile"),
        ({"received_at": "9999-12-31T23:59:59Z"}, "received_at"),
        ({"claimed_amount": "\u0661\u0662\u0663"}, "claimed_amount"),
    ]:
        complaint = {**body(), **changes}
        response = await crm.post("/complaints", json=complaint)
        assert response.status_code == 422, response.text
        assert [error["field"] for error in response.json()["errors"]] == [field]
        await assert_never_started(client, complaint["id"])


async def test_oversized_bodies_are_413_chunked_too(crm: httpx.AsyncClient, client: Client) -> None:
    complaint = body(description="x" * (MAX_BODY + 1024))
    declared = await crm.post("/complaints", json=complaint)
    assert declared.status_code == 413
    assert declared.json() == {"detail": f"request body too large: the limit is {MAX_BODY} bytes"}

    raw = json.dumps(complaint).encode()

    async def chunks(data: bytes) -> AsyncIterator[bytes]:
        for start in range(0, len(data), 8192):
            yield data[start : start + 8192]

    chunked = await crm.post("/complaints", content=chunks(raw), headers={"Content-Type": "application/json"})
    assert "content-length" not in chunked.request.headers  # really sent chunked
    assert chunked.status_code == 413
    await assert_never_started(client, complaint["id"])

    # A chunked body under the limit is read as usual.
    small = body()
    fine = await crm.post(
        "/complaints", content=chunks(json.dumps(small).encode()), headers={"Content-Type": "application/json"}
    )
    assert fine.status_code == 201, fine.text


async def test_ready_is_503_when_temporal_is_unreachable(api_settings: Settings) -> None:
    unreachable = await Client.connect(f"127.0.0.1:{free_port()}", lazy=True)
    async with (
        serving(create_app(api_settings, client=unreachable)) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as http,
    ):
        assert (await http.get("/health/live")).status_code == 200
        ready = await http.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["status"] == "unavailable"
        assert ready.json()["detail"].startswith("cannot reach Temporal")


def test_keys_are_required_unless_insecure_dev() -> None:
    with pytest.raises(ApiConfigError, match="no API keys configured"):
        create_app(Settings(api_keys={}))
    with pytest.raises(ApiConfigError, match="share a key"):
        ApiKeys({"crm": SecretStr("same"), "webform": SecretStr("same")})
    assert ApiKeys({}, insecure_dev=True).caller(None) == "insecure-dev"
    keys = ApiKeys({"crm": SecretStr("k1"), "webform": SecretStr("k2")}, insecure_dev=True)
    assert (keys.caller("k2"), keys.caller("k3"), keys.caller(None)) == ("webform", None, None)


def test_cli_refuses_to_serve_without_keys() -> None:
    environment = clean_environment()
    done = subprocess.run(
        [sys.executable, "-m", "starter.cli", "api", "--port", str(free_port())],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=environment,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("cannot start the API: no API keys configured: set COMPLAINTS_API_KEYS")
