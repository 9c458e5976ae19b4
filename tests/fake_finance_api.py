"""A real HTTP finance API for the tests: pays once per Idempotency-Key and records every request.

It runs `http.server` in a thread on 127.0.0.1 (a free port), so the gateway talks real HTTP.
Scripted misbehaviour: answer the next POSTs with an error before paying (`fail_before`), or
pay and then answer with an error as if the response were lost (`fail_after`); refuse with a
reason; answer repeats with 200 + `Idempotent-Replayed`, with 409 + the payout, or with a bare
409 (then the client must GET the payout by key).
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import unquote

Repeat = Literal["replay", "conflict", "bare_conflict"]


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None


@dataclass
class FakeFinanceApi:
    api_key: str | None = None
    repeat: Repeat = "replay"
    refuse_reason: str | None = None
    fail_before: list[int] = field(default_factory=list)
    fail_after: list[int] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    payouts: dict[str, dict[str, Any]] = field(default_factory=dict)  # by Idempotency-Key

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api"

    def posts(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST"]

    def start(self) -> FakeFinanceApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def handle(self, method: str, path: str, headers: dict[str, str], body: dict[str, Any] | None) -> tuple[int, Any]:
        """(status, JSON body) for one request; holds the lock so concurrent retries pay once."""
        with self._lock:
            self.requests.append(Recorded(method, path, headers, body))
            if self.api_key and headers.get("authorization") != f"Bearer {self.api_key}":
                return 401, {"error": "bad credentials"}
            if method == "GET" and path.startswith("/api/payouts/"):
                found = self.payouts.get(unquote(path.removeprefix("/api/payouts/")))
                return (200, found) if found else (404, {"error": "no such payout"})
            if method != "POST" or path != "/api/payouts" or body is None:
                return 404, {"error": "not found"}
            if self.fail_before:
                return self.fail_before.pop(0), {"error": "temporarily unavailable"}
            if self.refuse_reason:
                return 422, {"reason": self.refuse_reason}
            key = headers.get("idempotency-key", "")
            if not key:
                return 400, {"error": "Idempotency-Key header required"}
            original = self.payouts.get(key)
            if original is not None:
                if original["amount"] != body["amount"]:
                    return 422, {"reason": "idempotency key reused with a different amount"}
                if self.repeat == "replay":
                    return 200, {**original, "replayed": True}
                return 409, ({"error": "already processed", "payout": original} if self.repeat == "conflict" else {})
            self.payouts[key] = {
                "id": f"po_{uuid.uuid4().hex[:12]}",
                "amount": body["amount"],
                "currency": body["currency"],
                "customer_id": body["customer_id"],
                "created_at": datetime.now(UTC).isoformat(),
                "status": "paid",
            }
            if self.fail_after:
                return self.fail_after.pop(0), {"error": "gateway timeout"}
            return 201, self.payouts[key]


def _handler_for(api: FakeFinanceApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._answer(None)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            self._answer(json.loads(raw) if raw else None)

        def _answer(self, body: dict[str, Any] | None) -> None:
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, reply = api.handle(self.command, self.path, headers, body)
            payload = json.dumps(reply).encode() if reply else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            if status == 200 and isinstance(reply, dict) and reply.get("replayed"):
                self.send_header("Idempotent-Replayed", "true")
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # keep the test output quiet
            pass

    return Handler
