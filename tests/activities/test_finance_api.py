"""Paying through the finance API over real HTTP: one payout per Idempotency-Key whatever
retries, lost responses and worker crashes happen; a refusal is final and says why."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities import ComplaintActivities
from activities.finance_api import FINANCE_API_MISCONFIGURED, FINANCE_API_UNAVAILABLE
from complaints.actions import OfferAnswer, OfferResponse
from complaints.case import Stage
from complaints.failures import PAYOUT_REFUSED
from complaints.payout import PayoutReceipt, PayoutRequest, payout_key
from infra.settings import Settings
from starter.dev.mailsink import MailSink, free_port
from tests.activities.test_ledger import payout
from tests.conftest import settings_for
from tests.crash_support import crash_after_paying_worker
from tests.fake_finance_api import FakeFinanceApi
from tests.support import reach, start_case, to_offer
from workflows import ComplaintWorkflow

API_KEY = "fin-test-key"


@pytest.fixture
def finance_api() -> Iterator[FakeFinanceApi]:
    api = FakeFinanceApi(api_key=API_KEY).start()
    try:
        yield api
    finally:
        api.stop()


def api_settings(data_dir: Path, url: str, **overrides: object) -> Settings:
    fields: dict[str, object] = {
        "data_dir": data_dir,
        "payout_gateway": "finance_api",
        "finance_api_url": url,
        "finance_api_key": API_KEY,
        "finance_api_timeout_seconds": 2.0,
    }
    fields.update(overrides)
    return Settings.model_validate(fields)


async def open_activities(settings: Settings) -> ComplaintActivities:
    activities = ComplaintActivities(settings)
    await activities.prepare()
    return activities


@pytest.fixture
async def paying(tmp_path: Path, finance_api: FakeFinanceApi) -> AsyncIterator[ComplaintActivities]:
    """Activities whose payouts go through the test finance API, booked in a fresh SQLite ledger."""
    activities = await open_activities(api_settings(tmp_path / "data", finance_api.url))
    try:
        yield activities
    finally:
        await activities.close()


async def pay(activities: ComplaintActivities, request: PayoutRequest | None = None) -> PayoutReceipt:
    return await ActivityEnvironment().run(activities.pay_compensation, request or payout())


async def failure_of(activities: ComplaintActivities) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        await pay(activities)
    return caught.value


async def test_pays_through_the_api_and_books_it_in_the_ledger(
    paying: ComplaintActivities, finance_api: FakeFinanceApi
) -> None:
    receipt = await pay(paying)

    assert not receipt.already_paid
    assert receipt.amount == Decimal("230.00") and receipt.currency == "GBP"
    [(key, paid)] = finance_api.payouts.items()
    assert key == receipt.idempotency_key == payout_key("complaint-ACME-1042", 1)
    assert receipt.reference == paid["id"]
    [post] = finance_api.posts()
    assert post.path == "/api/payouts"
    assert post.headers["idempotency-key"] == key
    assert post.headers["authorization"] == f"Bearer {API_KEY}"
    assert post.body is not None
    assert post.body["amount"] == "230.00" and post.body["currency"] == "GBP"
    assert post.body["customer_id"] == "cust-77" and post.body["complaint_id"] == "ACME-1042"
    assert post.body["approved_by"] == "dlee" and post.body["policy_version"] == "2026-1/v1"
    assert [item["kind"] for item in post.body["items"]] == ["refund", "goodwill"]
    assert await paying.ledger.count(key) == 1


@pytest.mark.parametrize("repeat", ["replay", "conflict", "bare_conflict"])
async def test_the_same_key_twice_pays_once(
    paying: ComplaintActivities, finance_api: FakeFinanceApi, repeat: str
) -> None:
    finance_api.repeat = repeat  # type: ignore[assignment]
    first = await pay(paying)
    second = await pay(paying)

    assert not first.already_paid and second.already_paid
    assert second.reference == first.reference and second.ledger_id == first.ledger_id
    assert second.amount == first.amount and second.paid_at == first.paid_at
    assert len(finance_api.payouts) == 1
    assert {post.headers["idempotency-key"] for post in finance_api.posts()} == {first.idempotency_key}
    assert await paying.ledger.count() == 1
    fetched = [r for r in finance_api.requests if r.method == "GET"]
    assert len(fetched) == (1 if repeat == "bare_conflict" else 0)


async def test_a_503_is_retried_with_the_same_key_and_pays_once(
    paying: ComplaintActivities, finance_api: FakeFinanceApi
) -> None:
    finance_api.fail_before = [503]
    error = await failure_of(paying)
    assert error.type == FINANCE_API_UNAVAILABLE and not error.non_retryable
    assert "503" in error.message
    assert await paying.ledger.count() == 0

    receipt = await pay(paying)  # what Temporal's retry does
    assert not receipt.already_paid
    keys = [post.headers["idempotency-key"] for post in finance_api.posts()]
    assert keys == [receipt.idempotency_key] * 2
    assert len(finance_api.payouts) == 1
    assert await paying.ledger.count() == 1


async def test_a_lost_response_after_paying_is_a_replay_not_a_second_payment(
    paying: ComplaintActivities, finance_api: FakeFinanceApi
) -> None:
    finance_api.fail_after = [504]  # the API paid, but the answer never reached us
    error = await failure_of(paying)
    assert error.type == FINANCE_API_UNAVAILABLE and not error.non_retryable

    receipt = await pay(paying)
    assert receipt.already_paid
    assert receipt.reference == next(iter(finance_api.payouts.values()))["id"]
    assert len(finance_api.payouts) == 1 and len(finance_api.posts()) == 2
    assert await paying.ledger.count() == 1


async def test_concurrent_retries_pay_once(paying: ComplaintActivities, finance_api: FakeFinanceApi) -> None:
    receipts = await asyncio.gather(*(pay(paying) for _ in range(6)))
    assert sum(not receipt.already_paid for receipt in receipts) == 1
    assert len({receipt.reference for receipt in receipts}) == 1
    assert len(finance_api.payouts) == 1
    assert await paying.ledger.count() == 1


async def test_a_refusal_is_final_and_names_the_reason(
    paying: ComplaintActivities, finance_api: FakeFinanceApi
) -> None:
    finance_api.refuse_reason = "customer account cust-77 is closed"
    error = await failure_of(paying)
    assert error.type == PAYOUT_REFUSED and error.non_retryable
    assert "customer account cust-77 is closed" in error.message and "422" in error.message
    assert error.details == ("customer account cust-77 is closed",)
    assert finance_api.payouts == {}
    assert await paying.ledger.count() == 0


async def test_a_reused_key_with_another_amount_is_refused(
    paying: ComplaintActivities, finance_api: FakeFinanceApi
) -> None:
    await pay(paying)
    with pytest.raises(ApplicationError) as caught:
        await pay(paying, payout(amount="999.00"))
    assert caught.value.type == PAYOUT_REFUSED and "different amount" in caught.value.message
    assert len(finance_api.payouts) == 1 and await paying.ledger.count() == 1


async def test_too_many_requests_is_retried(paying: ComplaintActivities, finance_api: FakeFinanceApi) -> None:
    finance_api.fail_before = [429]
    error = await failure_of(paying)
    assert error.type == FINANCE_API_UNAVAILABLE and not error.non_retryable


async def test_bad_credentials_wait_for_a_fix_instead_of_refusing_the_customer(
    tmp_path: Path, finance_api: FakeFinanceApi
) -> None:
    activities = await open_activities(api_settings(tmp_path / "data", finance_api.url, finance_api_key="wrong"))
    try:
        error = await failure_of(activities)
    finally:
        await activities.close()
    assert error.type == FINANCE_API_MISCONFIGURED and not error.non_retryable
    assert "401" in error.message and "bad credentials" in error.message


async def test_connection_refused_is_retryable(tmp_path: Path) -> None:
    activities = await open_activities(api_settings(tmp_path / "data", f"http://127.0.0.1:{free_port()}"))
    try:
        error = await failure_of(activities)
    finally:
        await activities.close()
    assert error.type == FINANCE_API_UNAVAILABLE and not error.non_retryable
    assert "unreachable" in error.message and "refused" in error.message.lower()


async def test_a_silent_server_times_out_retryably(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts connections, never answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        activities = await open_activities(api_settings(tmp_path / "data", url, finance_api_timeout_seconds=0.3))
        try:
            error = await failure_of(activities)
        finally:
            await activities.close()
    assert error.type == FINANCE_API_UNAVAILABLE and not error.non_retryable


@pytest.mark.parametrize(
    ("url", "message"), [(None, "COMPLAINTS_FINANCE_API_URL"), ("ftp://finance.example", "http\\(s\\) URL")]
)
def test_a_misconfigured_finance_api_fails_at_start(tmp_path: Path, url: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ComplaintActivities(api_settings(tmp_path / "data", url))  # type: ignore[arg-type]


async def test_case_pays_once_through_the_finance_api_despite_a_crash(
    dev_env: WorkflowEnvironment, tmp_path: Path, session_mail_sink: MailSink, finance_api: FakeFinanceApi
) -> None:
    """On the real dev server, so the retry runs after the real back-off (queries keep answering)."""
    task_queue = "complaints-finance-api"
    settings = settings_for(
        tmp_path / "data",
        session_mail_sink,
        task_queue=task_queue,
        payout_gateway="finance_api",
        finance_api_url=finance_api.url,
        finance_api_key=API_KEY,
    )
    real = await open_activities(settings)
    try:
        async with crash_after_paying_worker(dev_env.client, real, task_queue) as crashing:
            handle = await start_case(dev_env.client, task_queue=task_queue)
            await to_offer(handle)
            await handle.execute_update(ComplaintWorkflow.respond_to_offer, OfferResponse(answer=OfferAnswer.ACCEPT))
            paid = await reach(handle, Stage.FOLLOWING_UP)
            await handle.terminate(reason="test done")
        key = payout_key(handle.id, 1)
        assert await real.ledger.count(key) == 1
    finally:
        await real.close()

    assert [post.headers["idempotency-key"] for post in finance_api.posts()] == [key, key]
    assert list(finance_api.payouts) == [key]  # the money moved once
    assert [r.already_paid for r in crashing.receipts] == [False, True]
    [receipt] = paid.payouts
    assert receipt.already_paid and receipt.reference == finance_api.payouts[key]["id"]
    assert receipt.amount == Decimal("114.90")
