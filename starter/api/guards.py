"""What stands in front of the HTTP intake API's routes: the API keys and the body-size limit.

Kept apart from `app.py` so the routes read as the API itself, and so these two checks,
which decide who may talk to Temporal and how much they may send, can be read on their own.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping

import structlog
from pydantic import SecretStr
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_KEY_HEADER = "X-API-Key"
INSECURE_CALLER = "insecure-dev"
MISSING_KEY = f"missing or unknown API key: send your system's key in the {API_KEY_HEADER} header"

log = structlog.get_logger("complaintflow.api")


class ApiConfigError(ValueError):
    """The API cannot start safely with these settings; the message says what to set."""


class ApiKeys:
    """Which calling system a key belongs to. Every key is compared in constant time."""

    def __init__(self, keys: Mapping[str, SecretStr], *, insecure_dev: bool = False) -> None:
        self._keys = [(name, key.get_secret_value().encode()) for name, key in keys.items()]
        self.insecure_dev = insecure_dev and not self._keys
        if not self._keys and not insecure_dev:
            raise ApiConfigError(
                "no API keys configured: set COMPLAINTS_API_KEYS to a JSON object of calling system -> key, "
                'e.g. COMPLAINTS_API_KEYS=\'{"crm": "<long random key>"}\' '
                "(or pass --insecure-dev to run without keys on this machine only)"
            )
        for name, key in self._keys:
            if not name.strip() or not key.strip():
                raise ApiConfigError("COMPLAINTS_API_KEYS: every calling system needs a name and a non-empty key")
        secrets = [key for _, key in self._keys]
        if len(set(secrets)) != len(secrets):
            raise ApiConfigError("COMPLAINTS_API_KEYS: two systems share a key, so callers could not be told apart")

    @property
    def systems(self) -> list[str]:
        return [name for name, _ in self._keys]

    def caller(self, presented: str | None) -> str | None:
        """The name of the system whose key this is, or None.

        Every configured key is compared (no early exit), so the time taken does not tell a
        caller how close they came or which system a key belongs to.
        """
        if self.insecure_dev:
            return INSECURE_CALLER
        if not presented:
            return None
        candidate = presented.encode()
        found = None
        for name, key in self._keys:
            if hmac.compare_digest(candidate, key):
                found = name
        return found


class BodySizeLimit:
    """Answer 413 to any request whose body is larger than `max_bytes`, chunked ones included.

    A declared `Content-Length` over the limit is refused before the app runs. Otherwise
    the bytes are counted as the app reads them; at the limit the 413 goes out, the app is
    told the client went away, and anything it still tries to send is dropped. Pure ASGI,
    so it works whatever the framework does with the body.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._too_large(scope, send)
            return

        received = 0
        cut_off = False  # the body passed the limit: the app reads no more of it
        answered = False  # ... and the 413 went out, so the app's own answer is dropped
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received, cut_off, answered
            if cut_off:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    cut_off = True
                    if not response_started:  # else an answer is under way: just stop reading
                        answered = True
                        await self._too_large(scope, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if answered:
                return
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counting_receive, guarded_send)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        log.warning("request body too large", method=scope["method"], path=scope["path"], limit=self.max_bytes)
        body = json.dumps({"detail": f"request body too large: the limit is {self.max_bytes} bytes"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server rejects a malformed length itself
    return None
