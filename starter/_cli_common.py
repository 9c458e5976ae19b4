"""What every `complaints` command shares: exit codes, connecting, failure translation.

Kept apart from `cli.py` so `admin.py` can use it without an import cycle.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Mapping
from enum import IntEnum
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from complaints.intake import InvalidInput
from infra.connection import connect
from starter.client import ComplaintError, Refused, UnknownComplaint

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class ExitCode(IntEnum):
    """The contract with scripts; documented in `complaints --help`."""

    OK = 0
    REFUSED = 1  # the workflow refused the action (reason on stderr, verbatim)
    INVALID = 2  # malformed JSON, a bad field, a usage error: nothing was sent
    UNKNOWN_COMPLAINT = 3  # no complaint with that id
    UNREACHABLE = 4  # cannot reach Temporal (or, for `dev`, cannot bring it up)
    FAILED = 5  # anything else: no worker answered in time, unexpected server error


EXIT_CODES_HELP = """Exit codes (errors on stderr, results on stdout):
  0  success
  1  refused by the workflow: "refused: <reason, verbatim>" on stderr
  2  invalid input (malformed JSON, a bad field, a usage error): nothing was sent
  3  unknown complaint id
  4  cannot reach Temporal (the message names the address)
  5  any other failure, e.g. no worker answered in time"""


class Unreachable(Exception):
    """Temporal could not be reached at `address`."""

    def __init__(self, address: str, detail: str) -> None:
        super().__init__(f"cannot reach Temporal at {address}: {detail}")
        self.address = address


def error(message: str) -> None:
    """Errors go to stderr, unwrapped and unstyled, so scripts can read them verbatim."""
    print(message, file=sys.stderr, flush=True)


def fail(code: ExitCode, message: str) -> NoReturn:
    error(message)
    raise typer.Exit(int(code))


def temporal_address() -> str:
    """The address `connect()` will use, for error messages (envconfig, default localhost:7233)."""
    try:
        from temporalio.envconfig import ClientConfig

        config = ClientConfig.load_client_connect_config()
        return f"{config.get('target_host') or 'localhost:7233'} (namespace {config.get('namespace') or 'default'})"
    except Exception:  # a broken profile file surfaces again, with detail, in connect()
        return "localhost:7233"


async def connect_or_explain() -> Client:
    try:
        return await connect()
    except RuntimeError as exc:
        raise Unreachable(temporal_address(), first_line(str(exc))) from exc


def first_line(text: str) -> str:
    """The first non-empty line of an error: SDK and pydantic messages run on for many lines."""
    return text.strip().splitlines()[0] if text.strip() else text


def run(work: Callable[[Client], Awaitable[T]]) -> T:
    """Connect, do the work, and turn every expected failure into its exit code."""

    async def main() -> T:
        client = await connect_or_explain()
        return await work(client)

    try:
        return asyncio.run(main())
    except Refused as exc:
        fail(ExitCode.REFUSED, f"refused: {exc.reason}")
    except UnknownComplaint as exc:
        fail(ExitCode.UNKNOWN_COMPLAINT, str(exc))
    except Unreachable as exc:
        fail(
            ExitCode.UNREACHABLE,
            f"{exc}\nIs the server running (`make run` starts a dev server)? "
            "TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TEMPORAL_PROFILE choose another one.",
        )
    except ComplaintError as exc:  # NoAnswer, QueryFailed, …
        fail(ExitCode.FAILED, str(exc))
    except InvalidInput as exc:
        fail(ExitCode.INVALID, _invalid(str(exc)))
    except RPCError as exc:
        if exc.status == RPCStatusCode.UNAVAILABLE:
            fail(ExitCode.UNREACHABLE, f"cannot reach Temporal at {temporal_address()}: {exc.message}")
        fail(ExitCode.FAILED, f"error from Temporal ({exc.status.name}): {exc.message}")


def _invalid(message: str) -> str:
    return "\n".join(f"invalid input: {line}" for line in message.splitlines())


def build(model: type[M], fields: Mapping[str, Any], options: Mapping[str, str] | None = None) -> M:
    """Validate an action before anything is sent; exit 2 naming the field (and its option).

    Fields left as None are omitted so the model's defaults apply.
    """
    data = {name: value for name, value in fields.items() if value is not None}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = []
        for problem in exc.errors():
            field = ".".join(str(part) for part in problem["loc"]) or "(input)"
            option = (options or {}).get(field)
            label = f"{field} ({option})" if option else field
            lines.append(f"{label}: {problem['msg']}")
        fail(ExitCode.INVALID, _invalid("\n".join(lines)))
