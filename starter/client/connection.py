"""Connecting for a person or a service: the failure names the address it tried.

The connection itself is `infra.connection.connect` (envconfig); a failed connect there is
a bare RuntimeError, which says nothing about where it tried to go.
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.envconfig import ClientConfig

from infra.connection import connect
from starter.client.errors import first_line


class Unreachable(Exception):
    """Temporal could not be reached at `address`."""

    def __init__(self, address: str, detail: str) -> None:
        super().__init__(f"cannot reach Temporal at {address}: {detail}")
        self.address = address


def temporal_address() -> str:
    """The address `connect()` will use, for error messages (envconfig, default localhost:7233)."""
    try:
        config = ClientConfig.load_client_connect_config()
        return f"{config.get('target_host') or 'localhost:7233'} (namespace {config.get('namespace') or 'default'})"
    except Exception:  # a broken profile file surfaces again, with detail, in connect()
        return "localhost:7233"


async def connect_or_explain() -> Client:
    """`connect()`, raising `Unreachable` (naming the address) when the server cannot be reached."""
    try:
        return await connect()
    except RuntimeError as exc:
        raise Unreachable(temporal_address(), first_line(str(exc))) from exc
