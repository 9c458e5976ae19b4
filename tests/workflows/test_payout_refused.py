"""A payout the payment system refuses for good: staff are alerted, the case waits for them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from activities import ComplaintActivities
from complaints.actions import OfferAnswer, OfferResponse, PayoutAction, PayoutResolution
from complaints.case import Stage
from complaints.payout import payout_key
from starter.dev.mailsink import MailSink
from tests.conftest import settings_for
from tests.fake_finance_api import FakeFinanceApi
from tests.support import Handle, mail_arrives, reach, start_case, status, to_offer, wait_until
from worker import running_worker
from workflows import ComplaintWorkflow

TASK_QUEUE = "complaints-payout-refused"


@pytest.fixture
def finance_api() -> Iterator[FakeFinanceApi]:
    api = FakeFinanceApi(refuse_reason="account closed: IBAN GB29NWBK60161331926819 rejected").start()
    yield api
    api.stop()


@pytest_asyncio.fixture
async def refusing_worker(
    time_env: WorkflowEnvironment, tmp_path: Path, session_mail_sink: MailSink, finance_api: FakeFinanceApi
) -> AsyncIterator[ComplaintActivities]:
    settings = settings_for(
        tmp_path,
        session_mail_sink,
        task_queue=TASK_QUEUE,
        payout_gateway="finance_api",
        finance_api_url=finance_api.url,
    )
    async with running_worker(time_env.client, settings) as activities:
        yield activities


async def accept_and_wait_for_the_refusal(client: Client) -> Handle:
    handle = await start_case(client, task_queue=TASK_QUEUE)
    await to_offer(handle)
    await handle.execute_update(ComplaintWorkflow.respond_to_offer, OfferResponse(answer=OfferAnswer.ACCEPT))
    # The refusal comes back from the payment system some time after the stage is Fulfilling.
    await wait_until(
        lambda: status(handle),
        lambda now: now.waiting_for == "a staff decision on the refused payout",
        lambda now: f"never waited for a payout decision: {now.waiting_for}",
    )
    return handle


async def test_refused_payout_alerts_staff_and_a_retry_pays_under_a_new_key(
    time_env: WorkflowEnvironment,
    refusing_worker: ComplaintActivities,
    finance_api: FakeFinanceApi,
    session_mail_sink: MailSink,
) -> None:
    handle = await accept_and_wait_for_the_refusal(time_env.client)
    assert (await status(handle)).stage is Stage.FULFILLING  # waiting, not failed
    reference = handle.id.removeprefix("complaint-")
    kinds = await mail_arrives(session_mail_sink.directory, reference, "payout_refused", count=2)
    assert kinds.count("payout_refused") == 2  # the owner and the team lead, once each
    refused = [e for e in await handle.query(ComplaintWorkflow.timeline) if e.kind == "payout refused"]
    assert len(refused) == 1 and "IBAN" in refused[0].detail

    with pytest.raises(WorkflowUpdateFailedError) as unknown:
        await handle.execute_update(
            ComplaintWorkflow.resolve_payout, PayoutResolution(action=PayoutAction.RETRY, by="nobody")
        )
    assert "by: unknown staff id 'nobody'" in str(unknown.value.cause)

    finance_api.refuse_reason = None  # the customer's bank details were corrected
    await handle.execute_update(
        ComplaintWorkflow.resolve_payout, PayoutResolution(action=PayoutAction.RETRY, by="alex", note="new IBAN")
    )
    paid = await reach(handle, Stage.FOLLOWING_UP)
    assert [p.amount for p in paid.payouts] == [Decimal("114.90")]
    retry_key = payout_key(handle.id, 1, attempt=2)
    assert list(finance_api.payouts) == [retry_key]
    assert await refusing_worker.ledger.count(retry_key) == 1
    assert await refusing_worker.ledger.count(payout_key(handle.id, 1)) == 0
    await handle.terminate(reason="test done")


async def test_refused_payout_settled_elsewhere_goes_on_without_paying(
    time_env: WorkflowEnvironment, refusing_worker: ComplaintActivities, finance_api: FakeFinanceApi
) -> None:
    handle = await accept_and_wait_for_the_refusal(time_env.client)
    await handle.execute_update(
        ComplaintWorkflow.resolve_payout,
        PayoutResolution(action=PayoutAction.SETTLED_ELSEWHERE, by="tl-jordan", note="cheque no. 1042"),
    )
    done = await reach(handle, Stage.FOLLOWING_UP)
    assert done.payouts == [] and finance_api.payouts == {}
    kinds = [e.kind for e in await handle.query(ComplaintWorkflow.timeline)]
    assert "settled elsewhere" in kinds and "paid" not in kinds
    await handle.terminate(reason="test done")
