"""Registering the custom search attributes on a namespace, and naming them for deployment files.

The keys themselves are the workflow's (`workflows.search_attributes`): this is only what a
cluster needs before a workflow can upsert them.
"""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from infra.dynamic_config import dynamic_config_flags
from workflows.search_attributes import ALL

_CLI_TYPE = {"KEYWORD": "Keyword", "DOUBLE": "Double", "BOOL": "Bool", "DATETIME": "Datetime"}


class SearchAttributeConflict(Exception):
    """An attribute is registered with another type: workflows could not upsert it."""


def _type_name(value: int) -> str:
    short = IndexedValueType.Name(IndexedValueType.ValueType(value)).removeprefix("INDEXED_VALUE_TYPE_")
    return _CLI_TYPE.get(short, short.title())


def cli_types() -> dict[str, str]:
    """Name → type as the `temporal` CLI spells it (`Keyword`, `Double`, …), for flags and deployment files."""
    return {key.name: _CLI_TYPE[key.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_")] for key in ALL}


def dev_server_flags() -> list[str]:
    """`--search-attribute Name=Type` flags for `temporal server start-dev`, and the dynamic config."""
    flags: list[str] = []
    for name, type_name in cli_types().items():
        flags += ["--search-attribute", f"{name}={type_name}"]
    return flags + dynamic_config_flags()


async def register_search_attributes(client: Client, namespace: str | None = None) -> list[str]:
    """Register any missing attribute (real cluster set-up, test servers); returns those added.

    Idempotent: attributes already there with the right type are left alone. One there with
    another type raises `SearchAttributeConflict` (removing it is an operator's decision).
    The time-skipping test server cannot list attributes, only add them: there, add all.
    """
    namespace = namespace or client.namespace
    known: set[str] = set()
    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        known = set(existing.custom_attributes) | set(existing.system_attributes)
        registered = existing.custom_attributes
        conflicts = [
            f"{key.name} is {_type_name(registered[key.name])}, not {_type_name(key.indexed_value_type)}"
            for key in ALL
            if key.name in registered and int(registered[key.name]) != int(key.indexed_value_type)
        ]
        if conflicts:
            raise SearchAttributeConflict(
                f"search attributes registered with another type in namespace {namespace!r}: " + "; ".join(conflicts)
            )
    except RPCError as error:
        if error.status is not RPCStatusCode.UNIMPLEMENTED:
            raise
    missing = {key.name: key.indexed_value_type for key in ALL if key.name not in known}
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)  # type: ignore[arg-type]
        )
    return sorted(missing)
