"""Serving the HTTP intake API in a test and talking to it as another system would.

For `tests/starter/test_http_api.py`: uvicorn on a free loopback port as a task on the test's loop,
complaints as JSON bodies, and waits that end the moment the case reaches the stage asked for.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from temporalio.client import Client

from starter.client import UnknownComplaint, find_complaint
from starter.dev.mailsink import free_port
from tests.support import PATIENCE, make_complaint


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """uvicorn serving `app` on a free loopback port, as a task on this loop; its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + PATIENCE
    while not server.started:
        assert not task.done(), "uvicorn stopped before it started (see the log)"
        assert time.monotonic() < deadline, f"uvicorn did not start within {PATIENCE:.0f} s"
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=PATIENCE)


def body(**overrides: Any) -> dict[str, Any]:
    """A new complaint as JSON, the way another system would send it."""
    data: dict[str, Any] = make_complaint(**overrides).model_dump(mode="json", exclude_none=True)
    return data


async def wait_for_stage(
    http: httpx.AsyncClient, complaint_id: str, stage: str, within: float = PATIENCE
) -> dict[str, Any]:
    """Poll `GET /complaints/{id}` until the case stands at `stage` (bounded)."""
    deadline = time.monotonic() + within
    last: Any = None
    while time.monotonic() < deadline:
        response = await http.get(f"/complaints/{complaint_id}")
        last = (response.status_code, response.json())
        if response.status_code == 200 and response.json()["stage"] == stage:
            result: dict[str, Any] = response.json()
            return result
        await asyncio.sleep(0.2)
    raise AssertionError(f"{complaint_id} did not reach {stage} within {within:.0f}s; last answer {last}")


async def assert_never_started(client: Client, complaint_id: str) -> None:
    with pytest.raises(UnknownComplaint):
        await find_complaint(client, complaint_id)
