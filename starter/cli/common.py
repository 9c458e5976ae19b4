"""What every `complaints` command shares: exit codes, failure translation, the console, argument types.

Kept apart from `app.py` so the admin and mail commands can use it without an import cycle.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from enum import IntEnum
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from complaints.intake import InvalidInput
from starter.client import (
    ComplaintError,
    Refused,
    RequestIdReused,
    UnknownComplaint,
    UnknownIncident,
    Unreachable,
    connect_or_explain,
    temporal_address,
)

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

# Piped output (logs, scripts) gets room for its tables instead of rich's 80-column default.
console = Console(width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160)

ComplaintRef = Annotated[str, typer.Argument(help="Complaint id: C-1001 or complaint-C-1001.", show_default=False)]
Staff = Annotated[str, typer.Option("--by", help="Staff id of whoever does this.", show_default=False)]
OptionalStaff = Annotated[str | None, typer.Option("--by", help="Staff id recording it.", show_default=False)]
RequestId = Annotated[
    str | None,
    typer.Option(
        "--request-id",
        help="Names this request: the same request id on the same complaint is the same update, applied once. "
        "By default the id is derived from the command itself (action, complaint, every field, --by included), "
        "so running the same command again, e.g. after no answer in time, does not do it twice.",
        show_default=False,
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


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
  3  unknown complaint (or incident) id
  4  cannot reach Temporal (the message names the address)
  5  any other failure, e.g. no worker answered in time"""


def error(message: str) -> None:
    """Errors go to stderr, unwrapped and unstyled, so scripts can read them verbatim."""
    print(message, file=sys.stderr, flush=True)


def fail(code: ExitCode, message: str) -> NoReturn:
    error(message)
    raise typer.Exit(int(code))


def run(work: Callable[[Client], Awaitable[T]]) -> T:
    """Connect, do the work, and turn every expected failure into its exit code."""

    async def main() -> T:
        client = await connect_or_explain()
        return await work(client)

    try:
        return asyncio.run(main())
    except Refused as exc:
        fail(ExitCode.REFUSED, f"refused: {exc.reason}")
    except (UnknownComplaint, UnknownIncident) as exc:
        fail(ExitCode.UNKNOWN_COMPLAINT, str(exc))
    except Unreachable as exc:
        fail(
            ExitCode.UNREACHABLE,
            f"{exc}\nIs the server running (`make run` starts a dev server)? "
            "TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TEMPORAL_PROFILE choose another one.",
        )
    except RequestIdReused as exc:
        fail(ExitCode.INVALID, f"invalid input: {exc}")
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
