"""The bare baseline's worker process (see bare_lifecycle.py): SDK defaults, pydantic converter."""

from __future__ import annotations

import asyncio
import os
import signal

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
        workflows=[BareLifecycle],
        activities=[bare_step],
        identity="bare-worker",
    ):
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
