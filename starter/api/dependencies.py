"""What every route depends on: who is calling, and the app's Temporal client, settings and request keys."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader
from temporalio.client import Client

from infra.settings import Settings
from starter.api.guards import API_KEY_HEADER, MISSING_KEY, ApiKeys
from starter.api.request_keys import RequestKeys, idempotency_key

log = structlog.get_logger("complaintflow.api")

# -- who is calling -------------------------------------------------------------------------

_api_key = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    description="The calling system's key (COMPLAINTS_API_KEYS); its name is recorded with what it sends.",
)


async def authenticate(request: Request, presented: Annotated[str | None, Security(_api_key)]) -> str:
    """The calling system's name; 401 unless `X-API-Key` is one of the configured keys."""
    keys: ApiKeys = request.app.state.api_keys
    caller = keys.caller(presented)
    if caller is None:
        log.warning("refused: missing or unknown API key", path=request.url.path, key_sent=bool(presented))
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail=MISSING_KEY,
            headers={"WWW-Authenticate": "ApiKey"},
        )
    return caller


def _temporal(request: Request) -> Client:
    client: Client = request.app.state.temporal
    return client


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _request_keys(request: Request) -> RequestKeys:
    keys: RequestKeys = request.app.state.request_keys
    return keys


Caller = Annotated[str, Depends(authenticate)]
Keys = Annotated[RequestKeys, Depends(_request_keys)]
IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]
Temporal = Annotated[Client, Depends(_temporal)]
AppSettings = Annotated[Settings, Depends(_settings)]
