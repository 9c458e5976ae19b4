"""The bare baselines' worker process (bare_lifecycle.py, bare_fanout.py): SDK defaults, pydantic converter."""

from __future__ import annotations

import asyncio
import os
import signal

from bare_fanout import BareFanout, BareFanoutActivities, BareOffer, bare_letter
from bare_lifecycle import BareLifecycle, bare_step
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker


async def main() -> None:
    client = await Client.connect(
        os.environ["TEMPORAL_ADDRESS"],
        namespace=os.environ.get("TEMPORAL_NAMESPACE", "default"),
        data_converter=pydantic_data_converter,
    )
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with Worker(
        client,
        task_queue=os.environ["BARE_TASK_QUEUE"],
        workflows=[BareLifecycle, BareFanout, BareOffer],
        activities=[bare_step, bare_letter, BareFanoutActivities(client).bare_offer_page],
        identity="bare-worker",
    ):
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
