"""The HTTP API's `Idempotency-Key`: the same key with the same body gets the same answer, the
same key with another body gets 409.

A key is scoped by endpoint, calling system and complaint (the `request_keys` table). The first
request with a key claims it with the hash of its body; the answer is stored once it is final
(a success, a refusal: 2xx, 409, 422), and every later request with that key and body gets the
stored answer, status included. Answers that say "try again" (404, 503) are not stored, so a
retry runs again. Requests with one key also share one update id, so two of them in flight at
once are one update for Temporal whichever stores its answer first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final

import structlog
from fastapi import Header, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from activities.db import RequestKeyRow, make_engine
from activities.migrate import upgrade_to_head
from complaints.intake import InvalidInput
from starter.api.errors import answer_for
from starter.client import ComplaintError

IDEMPOTENCY_KEY_HEADER: Final = "Idempotency-Key"
MAX_KEY_LENGTH: Final = 200
REPLAYED_HEADER: Final = "Idempotent-Replayed"
#: Answers stored for a key: what the request did or why it was refused. Others mean "try again".
FINAL_STATUSES: Final = frozenset({200, 201, status.HTTP_409_CONFLICT, status.HTTP_422_UNPROCESSABLE_CONTENT})

log = structlog.get_logger("complaintflow.api")

#: An answer: status code and JSON body.
Answer = tuple[int, dict[str, Any]]


def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias=IDEMPOTENCY_KEY_HEADER,
            description="Optional, 1-200 printable ASCII characters. The same key with the same body gets the "
            "same answer (status included) and does the thing once; the same key with another body gets 409. "
            "Scoped to this endpoint, your system and this complaint.",
        ),
    ] = None,
) -> str | None:
    """The request's `Idempotency-Key`, checked; 422 naming the header when it is malformed."""
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not all(" " <= char <= "~" for char in key):
        raise RequestValidationError(
            [
                {
                    "loc": (IDEMPOTENCY_KEY_HEADER,),
                    "msg": f"must be 1 to {MAX_KEY_LENGTH} printable ASCII characters",
                    "type": "value_error",
                }
            ]
        )
    return key


@dataclass(frozen=True)
class StoredKey:
    body_sha256: str
    status_code: int | None
    response: dict[str, Any] | None


@dataclass(frozen=True)
class KeyedRequest:
    scope: str  # the endpoint
    caller: str
    complaint_id: str
    key: str
    body_sha256: str


class RequestKeys:
    """The `request_keys` table: claim a key, store the final answer to it, read it back.

    The database (the worker's, `COMPLAINTS_DATABASE_URL`) is opened on the first request that
    carries a key, so an API whose callers send none never touches it.
    """

    def __init__(self, database_url: str, data_dir: Path) -> None:
        self._database_url = database_url
        self._data_dir = data_dir
        self._engine: AsyncEngine | None = None
        self._opening = asyncio.Lock()

    async def engine(self) -> AsyncEngine:
        async with self._opening:
            if self._engine is None:
                await asyncio.to_thread(self._data_dir.mkdir, parents=True, exist_ok=True)  # the SQLite default
                engine = make_engine(self._database_url)
                await upgrade_to_head(engine)  # as every worker does at start; a no-op at head
                self._engine = engine
            return self._engine

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()

    async def answer_once(self, request: KeyedRequest, work: Callable[[], Awaitable[Answer]]) -> JSONResponse:
        """The stored answer to this key, or `work`'s (stored when final); 409 for another body.

        `work` answers with a status and JSON, or raises what the app's error handlers answer
        (those answers are not stored).
        """
        row = await self._claim(request)
        if row.body_sha256 != request.body_sha256:
            log.info("idempotency key reused with another body", scope=request.scope, complaint_id=request.complaint_id)
            return JSONResponse(
                {
                    "detail": f"{IDEMPOTENCY_KEY_HEADER}: this key was already used with a different request "
                    f"on this complaint ({request.scope}); send a new key for a new request"
                },
                status_code=status.HTTP_409_CONFLICT,
            )
        if row.status_code is not None and row.response is not None:
            return JSONResponse(row.response, status_code=row.status_code, headers={REPLAYED_HEADER: "true"})
        try:
            status_code, body = await work()
        except (ComplaintError, InvalidInput) as exc:
            answer = answer_for(exc)
            if answer is None or answer[0] not in FINAL_STATUSES:
                raise  # "try again" (or a bug): the app's error handlers answer, nothing is stored
            status_code, body = answer
        if status_code in FINAL_STATUSES:
            # A request with the same key that finished first has stored its answer: give that one.
            status_code, body = await self._finish(request, status_code, body)
        return JSONResponse(body, status_code=status_code)

    async def _claim(self, request: KeyedRequest) -> StoredKey:
        values = {
            "scope": request.scope,
            "caller": request.caller,
            "complaint_id": request.complaint_id,
            "idempotency_key": request.key,
            "body_sha256": request.body_sha256,
        }
        async with (await self.engine()).begin() as conn:
            dialect = conn.dialect.name
            if dialect in ("sqlite", "postgresql"):
                dialect_insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
                statement = dialect_insert(RequestKeyRow).values(**values).on_conflict_do_nothing()
                await conn.execute(statement)
            else:
                try:
                    async with conn.begin_nested():
                        await conn.execute(insert(RequestKeyRow).values(**values))
                except IntegrityError:
                    pass
        return await self._row(request)

    async def _finish(self, request: KeyedRequest, status_code: int, body: dict[str, Any]) -> Answer:
        async with (await self.engine()).begin() as conn:
            await conn.execute(
                update(RequestKeyRow)
                .where(*self._same_key(request), RequestKeyRow.status_code.is_(None))
                .values(status_code=status_code, response=body)
            )
        row = await self._row(request)
        assert row.status_code is not None and row.response is not None
        return row.status_code, row.response

    async def _row(self, request: KeyedRequest) -> StoredKey:
        columns = (RequestKeyRow.body_sha256, RequestKeyRow.status_code, RequestKeyRow.response)
        async with (await self.engine()).connect() as conn:
            found = (await conn.execute(select(*columns).where(*self._same_key(request)))).one()
        return StoredKey(body_sha256=found.body_sha256, status_code=found.status_code, response=found.response)

    @staticmethod
    def _same_key(request: KeyedRequest) -> list[Any]:
        return [
            RequestKeyRow.scope == request.scope,
            RequestKeyRow.caller == request.caller,
            RequestKeyRow.complaint_id == request.complaint_id,
            RequestKeyRow.idempotency_key == request.key,
        ]
