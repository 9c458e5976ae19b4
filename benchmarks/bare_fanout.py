"""The bare Temporal baseline of the incident fan-out benchmark: one workflow that, a page per
activity, starts one small workflow per customer, each running as many no-op activities, one
after the other, as a proactive case runs up to its offer letter (its rules, then the letter).

The same shape as an incident's fan-out (pages of starts with bounded concurrency, then the
case's activities) and nothing else: no database, no scheme, no budget, no mail. Registered by
`bare_worker.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

FANOUT_NAME = "BareFanout"
OFFER_NAME = "BareOffer"


class FanoutSpec(BaseModel):
    prefix: str
    customers: int
    page_size: int
    concurrency: int
    activities_per_case: int = 2  # a proactive case's up to its letter: load_case_rules, send_message


class OfferPage(BaseModel):
    spec: FanoutSpec
    first: int


@activity.defn(name="bare_letter")
async def bare_letter() -> None:
    return None


@workflow.defn(name=OFFER_NAME)
class BareOffer:
    @workflow.run
    async def run(self, activities: int) -> None:
        for _ in range(activities):
            await workflow.execute_activity("bare_letter", start_to_close_timeout=timedelta(seconds=30))


class BareFanoutActivities:
    def __init__(self, client: Client) -> None:
        self._client = client

    @activity.defn(name="bare_offer_page")
    async def bare_offer_page(self, page: OfferPage) -> int:
        spec = page.spec
        limit = asyncio.Semaphore(spec.concurrency)
        numbers = range(page.first, min(page.first + spec.page_size, spec.customers))

        async def start(number: int) -> None:
            async with limit:
                with contextlib.suppress(WorkflowAlreadyStartedError):  # a retried page
                    await self._client.start_workflow(
                        OFFER_NAME,
                        spec.activities_per_case,
                        id=f"{spec.prefix}-{number:06d}",
                        task_queue=activity.info().task_queue,
                        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    )
                activity.heartbeat(number)

        await asyncio.gather(*(start(number) for number in numbers))
        return len(numbers)


@workflow.defn(name=FANOUT_NAME)
class BareFanout:
    @workflow.run
    async def run(self, spec: FanoutSpec) -> int:
        started = 0
        for first in range(0, spec.customers, spec.page_size):
            started += await workflow.execute_activity(
                "bare_offer_page",
                OfferPage(spec=spec, first=first),
                result_type=int,
                start_to_close_timeout=timedelta(minutes=30),
                heartbeat_timeout=timedelta(seconds=20),
            )
        return started
