"""The HTTP API served for real to the tests under tests/starter/ that use it (test_http_api,
test_http_idempotency): rules whose follow-up and reopen window take seconds, a real worker
behind it on the session's dev server, and clients holding each calling system's key.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from infra.settings import Settings
from starter.api import create_app
from starter.dev.mailsink import MailSink
from tests.conftest import settings_for
from tests.http_support import serving
from tests.support import write_rules_file
from tests.system.test_end_to_end import FAST_TIMINGS
from worker import running_worker

HTTP_TASK_QUEUE = f"http-api-{uuid.uuid4().hex[:8]}"
KEYS = {"crm": f"crm-{uuid.uuid4().hex}", "webform": f"webform-{uuid.uuid4().hex}"}
MAX_BODY = 64 * 1024


@pytest.fixture(scope="module")
def api_settings(tmp_path_factory: pytest.TempPathFactory, session_mail_sink: MailSink) -> Settings:
    directory = tmp_path_factory.mktemp("http-api")
    return settings_for(
        directory,
        session_mail_sink,
        task_queue=HTTP_TASK_QUEUE,
        rules_file=write_rules_file(directory, "2026-11-b-e2e", FAST_TIMINGS),
        api_keys={name: SecretStr(key) for name, key in KEYS.items()},
        api_max_body_bytes=MAX_BODY,
    )


@pytest.fixture(scope="module")
def temporal_env(dev_env: WorkflowEnvironment) -> Iterator[None]:
    """Point envconfig (and so the app's own client) at the session's dev server."""
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith("TEMPORAL_")]:
            patch.delenv(name)
        patch.setenv("TEMPORAL_ADDRESS", dev_env.client.service_client.config.target_host)
        patch.setenv("TEMPORAL_NAMESPACE", dev_env.client.namespace)
        yield


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def base_url(dev_env: WorkflowEnvironment, api_settings: Settings, temporal_env: None) -> AsyncIterator[str]:
    """The API (connecting on its own at startup) with a real worker behind it."""
    async with running_worker(dev_env.client, api_settings), serving(create_app(api_settings)) as url:
        yield url


@pytest_asyncio.fixture(loop_scope="session")
async def crm(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, headers={"X-API-Key": KEYS["crm"]}, timeout=60) as http:
        yield http


@pytest_asyncio.fixture(loop_scope="session")
async def webform(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, headers={"X-API-Key": KEYS["webform"]}, timeout=60) as http:
        yield http


@pytest_asyncio.fixture(loop_scope="session")
async def anonymous(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        yield http
