"""`POST /complaints` refuses what would stick a case with 422 naming the field, and starts nothing.

No server: the app gets a stand-in Temporal client that records every start, so "nothing
started" is a fact, and a complaint that passes shows what the workflow would receive.
(The same refusals over real HTTP against the dev server: tests/starter/test_http_api.py.)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from complaints.case import ComplaintWorkflowInput
from complaints.intake import ComplaintInput
from infra.settings import Settings
from starter.api import create_app
from starter.client import MEMO_INPUT_SHA256, input_sha256
from tests.http_support import body

KEY = "crm-key"


class RecordingTemporal:
    """Just enough of `temporalio.client.Client` for a start: it records it and says it started."""

    namespace = "intake"

    def __init__(self) -> None:
        self.starts: list[dict[str, Any]] = []

    async def start_workflow(self, workflow: object, arg: ComplaintWorkflowInput, **options: Any) -> SimpleNamespace:
        self.starts.append({"input": arg, **options})
        return SimpleNamespace(result_run_id="run-1", _start_workflow_response=SimpleNamespace(started=True))


def api(temporal: RecordingTemporal, **settings: Any) -> TestClient:
    app = create_app(Settings(api_keys={"crm": SecretStr(KEY)}, **settings), client=temporal)  # type: ignore[arg-type]
    return TestClient(app, headers={"X-API-Key": KEY})


@pytest.fixture
def temporal() -> RecordingTemporal:
    return RecordingTemporal()


@pytest.fixture
def http(temporal: RecordingTemporal) -> Iterator[TestClient]:
    with api(temporal) as client:
        yield client


def with_customer(**changes: str) -> dict[str, Any]:
    complaint = body()
    complaint["customer"].update(changes)
    return complaint


def raw(**changes: object) -> dict[str, Any]:
    """A valid complaint as JSON with fields the models would refuse (`body` validates its overrides)."""
    return {**body(), **changes}


def ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


REFUSED: list[tuple[str, dict[str, Any], str, str]] = [
    ("unknown-zone", with_customer(timezone="Mars/Olympus"), "customer.timezone", "Value error, unknown IANA time"),
    ("crlf-in-name", with_customer(name="Ada\r\nBcc: all@example.com"), "customer.name", "Value error, must not"),
    ("nul-in-customer-id", with_customer(id="c\x001"), "customer.id", "Value error, must not contain control"),
    ("tab-in-channel", raw(channel="web\tform"), "channel", "Value error, must not contain control"),
    ("arabic-indic-digits", raw(claimed_amount="\u0661\u0662\u0663"), "claimed_amount", "Input should be a decimal"),
    ("exponent", raw(claimed_amount="1e3"), "claimed_amount", "Input should be a plain decimal, without an exponent"),
    ("nan", raw(claimed_amount="NaN"), "claimed_amount", "Input should be a finite number"),
    ("three-places", raw(claimed_amount="12.345"), "claimed_amount", "Decimal input should have no more than 2"),
    ("unknown-profile", body(regulatory_profile="eu-psd2"), "regulatory_profile", "unknown regulatory profile"),
    ("year-9999", body(received_at="9999-12-31T23:59:59Z"), "received_at", "is 29"),
    ("year-1", body(received_at="0001-01-01T00:00:00Z"), "received_at", "is 7"),
    ("year-1900", body(received_at="1900-01-01T00:00:00Z"), "received_at", "is 4"),
    ("epoch-minus-1", body(received_at=-1), "received_at", "is 20"),
    ("two-hours-ahead", body(received_at=ago(hours=-2)), "received_at", "is 1 hour"),
]


@pytest.mark.parametrize(
    ("complaint", "field", "message"), [case[1:] for case in REFUSED], ids=[case[0] for case in REFUSED]
)
def test_input_that_would_stick_a_case_is_422_naming_the_field(
    http: TestClient, temporal: RecordingTemporal, complaint: dict[str, Any], field: str, message: str
) -> None:
    response = http.post("/complaints", json=complaint)

    assert response.status_code == 422, response.text
    problem = response.json()
    assert [error["field"] for error in problem["errors"]] == [field]
    assert problem["errors"][0]["message"].startswith(message)
    assert problem["detail"] == f"{field}: {problem['errors'][0]['message']}"
    assert temporal.starts == []


def test_an_unknown_profile_lists_the_known_ones(http: TestClient) -> None:
    response = http.post("/complaints", json=body(regulatory_profile="eu-psd2"))

    assert response.json()["detail"] == (
        "regulatory_profile: unknown regulatory profile 'eu-psd2'; known: internal, uk-fca-disp, us-cfpb"
    )


def test_the_window_comes_from_the_settings(temporal: RecordingTemporal) -> None:
    with api(temporal, intake_max_age=timedelta(days=1)) as narrow:
        response = narrow.post("/complaints", json=body(received_at=ago(days=2)))

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "received_at"
    assert temporal.starts == []


def test_the_profiles_come_from_the_rules_file_and_an_unreadable_one_starts_nothing(
    temporal: RecordingTemporal, tmp_path: Path
) -> None:
    with api(temporal, rules_file=tmp_path / "nope.toml") as unreadable:
        response = unreadable.post("/complaints", json=body())

    assert response.status_code == 503
    assert response.json()["detail"].startswith(f"cannot check complaints against the rules in {tmp_path}")
    assert temporal.starts == []


def test_a_complaint_that_passes_is_started_as_sent(http: TestClient, temporal: RecordingTemporal) -> None:
    complaint = raw(received_at=ago(days=3), claimed_amount=89.9, regulatory_profile="us-cfpb")  # a JSON number

    response = http.post("/complaints", json=complaint)

    assert response.status_code == 201, response.text
    (start,) = temporal.starts
    sent = start["input"].complaint
    assert (sent.id, sent.regulatory_profile, str(sent.claimed_amount)) == (complaint["id"], "us-cfpb", "89.9")
    assert sent.received_at == datetime.fromisoformat(complaint["received_at"])
    assert start["memo"] == {MEMO_INPUT_SHA256: input_sha256(ComplaintInput.model_validate(complaint))}


def test_a_receipt_within_the_clock_skew_is_left_to_the_case(http: TestClient, temporal: RecordingTemporal) -> None:
    """A minute ahead (a fast clock) is taken, but the case counts from its own start: a clock started
    after the workflow's now could never stop. The memo keeps the digest of what was sent, so
    sending it again is recognised as the same complaint."""
    complaint = body(received_at=ago(minutes=-1))

    response = http.post("/complaints", json=complaint)

    assert response.status_code == 201, response.text
    (start,) = temporal.starts
    assert start["input"].complaint.received_at is None
    assert start["memo"] == {MEMO_INPUT_SHA256: input_sha256(ComplaintInput.model_validate(complaint))}
    assert start["input"].complaint.model_dump(exclude={"received_at"}) == ComplaintInput.model_validate(
        complaint
    ).model_dump(exclude={"received_at"})
