"""How the HTTP intake API says what went wrong: one JSON shape (`{"detail": …}`), and the
client library's failures (unknown complaint, refused, no answer) mapped to status codes once.

Validation problems are worded as `complaints start` words them (`customer.email: …`), so a
caller sees the same message whichever entry point it used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog
from fastapi import FastAPI, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from temporalio.service import RPCError, RPCStatusCode

from complaints.intake import InvalidInput, describe_problems
from starter.api.guards import API_KEY_HEADER, MISSING_KEY, ApiKeys
from starter.client import (
    ComplaintError,
    NoAnswer,
    QueryFailed,
    Refused,
    RulesUnavailable,
    UnknownComplaint,
    UnknownIncident,
    first_line,
)

log = structlog.get_logger("complaintflow.api")


class Problem(BaseModel):
    detail: str = Field(description="What went wrong; for 409 the workflow's reason, verbatim.")


class FieldProblem(BaseModel):
    field: str = Field(description="The field, dotted like `customer.email`.")
    message: str


class ValidationProblem(Problem):
    errors: list[FieldProblem]


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Missing or unknown API key."},
    404: {"model": Problem, "description": "No complaint with this id."},
    409: {
        "model": Problem,
        "description": "Refused by the workflow (wrong stage, closed…): its reason, verbatim; "
        "or an `Idempotency-Key` already used with a different request.",
    },
    413: {"model": Problem, "description": "The body is over COMPLAINTS_API_MAX_BODY_BYTES."},
    422: {
        "model": ValidationProblem,
        "description": "Invalid input; every problem names its field (or the `Idempotency-Key` header).",
    },
    503: {
        "model": Problem,
        "description": "Temporal, the worker or the app database did not answer in time; safe to retry.",
    },
}

_STATUS_FOR: list[tuple[type[ComplaintError], int]] = [
    (UnknownComplaint, status.HTTP_404_NOT_FOUND),
    (UnknownIncident, status.HTTP_404_NOT_FOUND),
    (RulesUnavailable, status.HTTP_503_SERVICE_UNAVAILABLE),  # nothing can be checked, so nothing starts
    (Refused, status.HTTP_409_CONFLICT),
    (NoAnswer, status.HTTP_503_SERVICE_UNAVAILABLE),
    (QueryFailed, status.HTTP_503_SERVICE_UNAVAILABLE),  # e.g. "still being received; try again in a moment"
]


def _problem(code: int, detail: str, **extra: Any) -> JSONResponse:
    headers = {"Retry-After": "1"} if code == status.HTTP_503_SERVICE_UNAVAILABLE else None
    return JSONResponse({"detail": detail, **extra}, status_code=code, headers=headers)


def answer_for(exc: ComplaintError | InvalidInput) -> tuple[int, dict[str, Any]] | None:
    """The status and JSON body the API answers this failure with; None for a bug (a 500)."""
    if isinstance(exc, InvalidInput):
        return status.HTTP_422_UNPROCESSABLE_CONTENT, {
            "detail": str(exc),
            "errors": [_field_problem(problem) for problem in exc.errors],
        }
    for kind, code in _STATUS_FOR:
        if isinstance(exc, kind):
            return code, {"detail": exc.reason if isinstance(exc, Refused) else str(exc)}
    return None


async def _complaint_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ComplaintError)
    answer = answer_for(exc)
    if answer is None:
        raise exc  # any other ComplaintError is a bug: a 500 with a logged traceback
    code, body = answer
    log.info("answered with an error", path=request.url.path, status=code, detail=body["detail"])
    return _problem(code, **body)


async def _temporal_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RPCError)
    log.warning("Temporal call failed", path=request.url.path, status=exc.status.name, message=exc.message)
    if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
        return _problem(status.HTTP_503_SERVICE_UNAVAILABLE, f"cannot reach Temporal: {exc.message}")
    return _problem(status.HTTP_502_BAD_GATEWAY, f"error from Temporal ({exc.status.name}): {exc.message}")


async def _database_error(request: Request, exc: Exception) -> Response:
    """The app database (where `Idempotency-Key` answers are kept) failed. A retry with the same key is
    safe: it carries the same update id, so Temporal applies the update at most once."""
    assert isinstance(exc, DBAPIError)
    log.warning("app database call failed", path=request.url.path, error=first_line(str(exc.orig)))
    return _problem(
        status.HTTP_503_SERVICE_UNAVAILABLE, f"the app database did not answer: {first_line(str(exc.orig))}"
    )


async def _invalid_request(request: Request, exc: Exception) -> Response:
    """422 worded like `complaints start`: `customer.email: value is not a valid email address`.

    A caller without a valid key learns nothing about the body: FastAPI parses the JSON
    before dependencies run, so the key is checked here first.
    """
    assert isinstance(exc, RequestValidationError)
    keys: ApiKeys = request.app.state.api_keys
    if request.url.path.startswith("/complaints") and keys.caller(request.headers.get(API_KEY_HEADER)) is None:
        return JSONResponse(
            {"detail": MISSING_KEY},
            status_code=status.HTTP_401_UNAUTHORIZED,
            headers={"WWW-Authenticate": "ApiKey"},
        )
    problems = [_located_in_body(problem) for problem in exc.errors()]
    errors = [_field_problem(problem) for problem in problems]
    return _problem(422, "\n".join(describe_problems(problems)), errors=errors)


async def _refused_at_intake(request: Request, exc: Exception) -> Response:
    """422 for what the models take but a case would fail on (`IntakeChecks`), worded the same way."""
    assert isinstance(exc, InvalidInput)
    answer = answer_for(exc)
    assert answer is not None
    code, body = answer
    log.info("refused at intake", path=request.url.path, fields=[error["field"] for error in body["errors"]])
    return _problem(code, **body)


def _field_problem(problem: Mapping[str, Any]) -> dict[str, str]:
    return {"field": ".".join(str(part) for part in problem["loc"]) or "(input)", "message": str(problem["msg"])}


def _located_in_body(problem: Any) -> dict[str, Any]:
    """Drop FastAPI's leading `body` so a field reads as in intake; name malformed JSON as intake does."""
    located: dict[str, Any] = dict(problem)
    loc = tuple(problem["loc"])
    if problem.get("type") == "json_invalid":
        position = loc[1] if len(loc) > 1 else "?"
        error = (problem.get("ctx") or {}).get("error", problem["msg"])
        located.update(loc=("input",), msg=f"malformed JSON at position {position}: {error}")
    elif loc[:1] == ("body",):
        located["loc"] = loc[1:]
    return located


def add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ComplaintError, _complaint_error)
    app.add_exception_handler(RPCError, _temporal_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(InvalidInput, _refused_at_intake)
