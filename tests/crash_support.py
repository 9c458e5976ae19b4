"""A worker whose payout activity really pays, then 'crashes' before reporting (first try only)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

from activities import ComplaintActivities
from activities.case_priority import CasePriority
from complaints.payout import PayoutReceipt, PayoutRequest
from infra.sandbox import workflow_runner
from workflows import ComplaintWorkflow


class CrashAfterPaying:
    """The real payout activity, then a 'crash' before its result reaches Temporal (first try only)."""

    def __init__(self, pay: Callable[[PayoutRequest], Awaitable[PayoutReceipt]]) -> None:
        self.pay = pay
        self.receipts: list[PayoutReceipt] = []

    @activity.defn(name="pay_compensation")
    async def pay_compensation(self, request: PayoutRequest) -> PayoutReceipt:
        receipt = await self.pay(request)
        self.receipts.append(receipt)
        if activity.info().attempt == 1:
            raise RuntimeError("worker died after paying, before reporting")
        return receipt


@asynccontextmanager
async def crash_after_paying_worker(
    client: Client, activities: ComplaintActivities, task_queue: str
) -> AsyncIterator[CrashAfterPaying]:
    """A worker whose payout activity really pays, then 'crashes' on its first attempt."""
    crashing = CrashAfterPaying(activities.pay_compensation)
    others = [act for act in activities.all() if getattr(act, "__name__", "") != "pay_compensation"]
    acts = [*others, crashing.pay_compensation, *CasePriority(client).all()]
    async with Worker(
        client, task_queue=task_queue, workflows=[ComplaintWorkflow], activities=acts, workflow_runner=workflow_runner()
    ):
        yield crashing
