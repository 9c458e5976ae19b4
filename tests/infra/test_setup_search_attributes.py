"""`complaints setup-search-attributes` on a real cluster that has none of them yet.

The session's `dev_env` is started with the attributes already registered, so this module
starts its own dev server without them: registration itself is what is under test. The
command runs as a subprocess (its exit codes are the contract with deployment scripts).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from tests.support import run_cli
from workflows.search_attributes import ALL

pytestmark = pytest.mark.devserver

BIN = Path(sys.executable).parent
OTHER_NAMESPACE = "conflicting"
EXIT_FAILED = 5


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def bare_env() -> AsyncIterator[WorkflowEnvironment]:
    """A dev server with no custom search attributes, and a second namespace for the conflict case."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        data_converter=pydantic_data_converter,
        ui=False,
        dev_server_extra_args=["--log-level", "error", "--namespace", OTHER_NAMESPACE],
    )
    yield env
    await env.shutdown()


async def custom_attributes(env: WorkflowEnvironment, namespace: str) -> dict[str, int]:
    response = await env.client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    return {name: int(value) for name, value in response.custom_attributes.items()}


EXPECTED = {key.name: int(key.indexed_value_type) for key in ALL}


async def test_registers_every_attribute_then_is_idempotent(bare_env: WorkflowEnvironment) -> None:
    namespace = bare_env.client.namespace
    before = await custom_attributes(bare_env, namespace)
    assert not set(EXPECTED) & set(before), "the server must start without our attributes"

    first = await run_cli(bare_env, "unused", "setup-search-attributes")
    assert first.returncode == 0, first.stderr
    assert f"{len(EXPECTED)} added, 0 already there (namespace {namespace})" in first.stdout
    after = await custom_attributes(bare_env, namespace)
    assert {name: after.get(name) for name in EXPECTED} == EXPECTED

    # Deployment scripts run it on every rollout: again and again it succeeds and changes nothing.
    for _ in range(3):
        again = await run_cli(bare_env, "unused", "setup-search-attributes")
        assert again.returncode == 0, again.stderr
        assert f"0 added, {len(EXPECTED)} already there" in again.stdout
        assert all(line.endswith("already registered") for line in again.stdout.splitlines()[:-1])
    assert await custom_attributes(bare_env, namespace) == after


async def test_an_attribute_with_another_type_is_reported_and_nothing_changes(bare_env: WorkflowEnvironment) -> None:
    await bare_env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=OTHER_NAMESPACE,
            search_attributes={"ComplaintStage": IndexedValueType.INDEXED_VALUE_TYPE_INT},
        )
    )
    result = await run_cli(bare_env, "unused", "setup-search-attributes", "--namespace", OTHER_NAMESPACE)
    assert result.returncode == EXIT_FAILED
    assert "ComplaintStage is Int, not Keyword" in result.stderr
    assert set(await custom_attributes(bare_env, OTHER_NAMESPACE)) & set(EXPECTED) == {"ComplaintStage"}


async def test_an_unknown_namespace_is_a_clear_failure(bare_env: WorkflowEnvironment) -> None:
    result = await run_cli(bare_env, "unused", "setup-search-attributes", "--namespace", "no-such-namespace")
    assert result.returncode == EXIT_FAILED
    assert "no-such-namespace" in result.stderr
