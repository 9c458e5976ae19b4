"""One way to reach Temporal for every process: envconfig plus the pydantic converter."""

from __future__ import annotations

from typing import Final

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.envconfig import ClientConfig
from temporalio.runtime import Runtime

# The environment variables `temporalio.envconfig` reads (Temporal's environment configuration
# spec, as implemented by the SDK core in temporalio 1.35), so deployment files can be checked
# against them. `TEMPORAL_GRPC_META_<NAME>` adds a gRPC header and is matched by prefix.
ENVCONFIG_VARIABLES: Final = frozenset(
    {
        "TEMPORAL_CONFIG_FILE",
        "TEMPORAL_PROFILE",
        "TEMPORAL_ADDRESS",
        "TEMPORAL_NAMESPACE",
        "TEMPORAL_API_KEY",
        "TEMPORAL_TLS",
        "TEMPORAL_TLS_CLIENT_CERT_PATH",
        "TEMPORAL_TLS_CLIENT_CERT_DATA",
        "TEMPORAL_TLS_CLIENT_KEY_PATH",
        "TEMPORAL_TLS_CLIENT_KEY_DATA",
        "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
        "TEMPORAL_TLS_SERVER_CA_CERT_DATA",
        "TEMPORAL_TLS_SERVER_NAME",
        "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION",
        "TEMPORAL_CODEC_ENDPOINT",
        "TEMPORAL_CODEC_AUTH",
    }
)
ENVCONFIG_PREFIXES: Final = ("TEMPORAL_GRPC_META_",)


def is_envconfig_variable(name: str) -> bool:
    """True when `temporalio.envconfig` would read this variable."""
    return name in ENVCONFIG_VARIABLES or name.startswith(ENVCONFIG_PREFIXES)


async def connect(runtime: Runtime | None = None) -> Client:
    """Dev server on localhost:7233 by default; `TEMPORAL_*` / profiles point elsewhere.

    `runtime` carries telemetry (the worker's metrics endpoint); None: the SDK's default.
    """
    config = ClientConfig.load_client_connect_config()
    config.setdefault("target_host", "localhost:7233")
    return await Client.connect(**config, data_converter=pydantic_data_converter, runtime=runtime)
