"""One way to reach Temporal for every process: envconfig plus the pydantic converter."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.envconfig import ClientConfig
from temporalio.runtime import Runtime


async def connect(runtime: Runtime | None = None) -> Client:
    """Dev server on localhost:7233 by default; `TEMPORAL_*` / profiles point elsewhere.

    `runtime` carries telemetry (the worker's metrics endpoint); None: the SDK's default.
    """
    config = ClientConfig.load_client_connect_config()
    config.setdefault("target_host", "localhost:7233")
    return await Client.connect(**config, data_converter=pydantic_data_converter, runtime=runtime)
