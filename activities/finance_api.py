"""Paying through the finance department's HTTP API, exactly once per idempotency key.

The contract we rely on (the common `Idempotency-Key` pattern):

- `POST {base_url}/payouts` with header `Idempotency-Key: <key>` and a JSON body; the API pays
  at most once per key. `201` (or `200`) returns the payout `{"id", "amount", "currency",
  "created_at"}`, possibly wrapped as `{"payout": {...}}`. A repeated key is answered with the
  original payout: `200` marked `Idempotent-Replayed: true` (header) or `"replayed": true`
  (body), or `409` "already processed" — with the payout in the body, or without it, in which
  case we read it from `GET {base_url}/payouts/{key}`.
- `429`, `408`, `425`, `5xx`, timeouts and connection errors: nothing is known to be final, so
  the activity fails *retryably*; Temporal retries with the same key and the API's idempotency
  turns a payment that did go through into a replay. This is also what makes a worker crash
  after paying (but before reporting) safe.
- `401/403/404/405/407` and redirects mean *our* configuration is wrong (key, URL), not that
  this payout is refused: retryable too, logged as errors, so the case waits for the fix
  instead of telling the customer "no".
- Any other `4xx` (e.g. `422` with a reason) is a permanent refusal: a non-retryable
  `ApplicationError` of type `PayoutRefused` carrying the API's reason.

After the API confirms, the payout is also written to the local ledger under the same key
(insert-or-ignore), so the ledger stays the one book that reports and rolling caps read.

The standard library's `urllib` runs in a thread: no extra dependency for one POST per case.
"""

from __future__ import annotations

import asyncio
import http
import http.client
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from temporalio.exceptions import ApplicationError

from activities.db import as_utc, utcnow
from activities.ledger import PayoutLedger
from complaints.failures import PAYOUT_REFUSED
from complaints.payout import PayoutReceipt, PayoutRequest

FINANCE_API_UNAVAILABLE = "FinanceApiUnavailable"
FINANCE_API_MISCONFIGURED = "FinanceApiMisconfigured"
FINANCE_API_UNCONFIRMED = "FinanceApiUnconfirmed"

_RETRYABLE_STATUSES = {408, 425, 429}
_CONFIGURATION_STATUSES = {401, 403, 404, 405, 407}
_MAX_RETRY_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class _Reply:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None


@dataclass(frozen=True)
class _Confirmed:
    """A payout as the finance API reports it."""

    reference: str
    amount: Decimal
    currency: str
    paid_at: datetime


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """urllib would turn a redirected POST into a GET without the body; we want to see it."""

    def redirect_request(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        return None


class FinanceApiGateway:
    """A `PayoutGateway` over HTTP: the finance API moves the money, the ledger records it."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        timeout: float,
        *,
        ledger: PayoutLedger,
        logger: logging.LoggerAdapter[logging.Logger] | logging.Logger,
    ) -> None:
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"finance API URL must be an http(s) URL, got {base_url!r}")
        if timeout <= 0:
            raise ValueError(f"finance API timeout must be positive, got {timeout}")
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._timeout = timeout
        self._ledger = ledger
        self._log = logger
        self._opener = urllib.request.build_opener(_NoRedirects)

    async def pay(self, request: PayoutRequest) -> PayoutReceipt:
        key = request.idempotency_key
        reply = await self._call("POST", f"{self.base_url}/payouts", key, _payload(request))
        if reply.status in (200, 201):
            confirmed = _confirmed(reply, request)
            replayed = reply.status == 200 and _is_replay(reply)
        elif reply.status == 409:
            confirmed = _confirmed(reply, request) if _payout_of(reply) else await self._fetch(key, request)
            replayed = True
        else:
            raise self._failure(reply, key)
        return await self._book(request, confirmed, replayed)

    async def close(self) -> None:
        """urllib keeps no connections open between calls: nothing to release."""

    async def _fetch(self, key: str, request: PayoutRequest) -> _Confirmed:
        """409 without the original payout: read it by key (a retry will try again if this fails)."""
        reply = await self._call("GET", f"{self.base_url}/payouts/{urllib.parse.quote(key, safe='')}", key, None)
        if reply.status == 200 and _payout_of(reply):
            return _confirmed(reply, request)
        raise ApplicationError(
            f"finance API says payout {key} was already processed but GET returned HTTP {reply.status}; will retry",
            type=FINANCE_API_UNCONFIRMED,
        )

    async def _book(self, request: PayoutRequest, confirmed: _Confirmed, replayed: bool) -> PayoutReceipt:
        """Record the confirmed payout in the ledger (same key, insert-or-ignore) and build the receipt."""
        key = request.idempotency_key
        if confirmed.amount != request.amount or confirmed.currency != request.currency:
            self._log.error(
                "finance API holds payout %s as %s %s but %s %s was requested; recording what was paid",
                key,
                confirmed.amount,
                confirmed.currency,
                request.amount,
                request.currency,
            )
        as_paid = request.model_copy(update={"amount": confirmed.amount, "currency": confirmed.currency})
        receipt, inserted = await self._ledger.record(as_paid, paid_at=confirmed.paid_at)
        if replayed:
            self._log.info("finance API already paid key %s (payout %s): not paying again", key, confirmed.reference)
        else:
            self._log.info(
                "finance API paid %s %s (payout %s, key %s)",
                confirmed.amount,
                confirmed.currency,
                confirmed.reference,
                key,
            )
            if not inserted:
                self._log.error("finance API made a new payout for key %s that the ledger already held", key)
        return receipt.model_copy(update={"already_paid": replayed, "reference": confirmed.reference})

    async def _call(self, method: str, url: str, key: str, body: bytes | None) -> _Reply:
        headers = {"Idempotency-Key": key, "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        try:
            return await asyncio.to_thread(self._send, urllib.request.Request(url, body, headers, method=method))
        except (OSError, http.client.HTTPException) as exc:  # refused, reset, DNS, TLS, timeout
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            raise ApplicationError(
                f"finance API unreachable ({method} {url}): {reason or type(exc).__name__}; "
                f"will retry with the same Idempotency-Key {key}",
                type=FINANCE_API_UNAVAILABLE,
            ) from exc

    def _send(self, request: urllib.request.Request) -> _Reply:
        """Blocking; runs in a worker thread. HTTP errors are replies, not exceptions."""
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                return _Reply(response.status, _lower(response.headers.items()), response.read())
        except urllib.error.HTTPError as exc:
            with exc:
                return _Reply(exc.code, _lower(exc.headers.items()), exc.read())

    def _failure(self, reply: _Reply, key: str) -> ApplicationError:
        status = reply.status
        reason = _reason(reply)
        if status >= 500 or status in _RETRYABLE_STATUSES:
            return ApplicationError(
                f"finance API busy or failing (HTTP {status}: {reason}); will retry payout {key}",
                type=FINANCE_API_UNAVAILABLE,
                next_retry_delay=_retry_after(reply),
            )
        if status in _CONFIGURATION_STATUSES or 300 <= status < 400:
            self._log.error("finance API rejected our request (HTTP %s: %s): check its URL and key", status, reason)
            return ApplicationError(
                f"finance API rejected the request (HTTP {status}: {reason}): check "
                "COMPLAINTS_FINANCE_API_URL / COMPLAINTS_FINANCE_API_KEY; the payout waits and retries",
                type=FINANCE_API_MISCONFIGURED,
            )
        if 400 <= status < 500:
            self._log.warning("finance API refused payout %s (HTTP %s): %s", key, status, reason)
            return ApplicationError(
                f"finance API refused payout {key} (HTTP {status}): {reason}",
                reason,
                type=PAYOUT_REFUSED,
                non_retryable=True,
            )
        return ApplicationError(  # 1xx, 202, 204…: not a confirmation; ask again with the same key
            f"finance API did not confirm payout {key} (HTTP {status}: {reason}); will retry",
            type=FINANCE_API_UNCONFIRMED,
        )


def _payload(request: PayoutRequest) -> bytes:
    return json.dumps(
        {
            "idempotency_key": request.idempotency_key,
            "complaint_id": request.complaint_id,
            "workflow_id": request.workflow_id,
            "customer_id": request.customer_id,
            "amount": str(request.amount),  # a string: money never goes through a float
            "currency": request.currency,
            "items": [item.model_dump(mode="json") for item in request.items],
            "approved_by": request.approved_by,
            "policy_version": request.policy_version,
        }
    ).encode()


def _lower(items: Any) -> dict[str, str]:
    return {str(name).lower(): str(value) for name, value in items}


def _payout_of(reply: _Reply) -> dict[str, Any] | None:
    data = reply.json()
    if isinstance(data, dict) and isinstance(data.get("payout"), dict):
        data = data["payout"]
    return data if isinstance(data, dict) and data.get("id") not in (None, "") else None


def _is_replay(reply: _Reply) -> bool:
    data = reply.json()
    flagged = isinstance(data, dict) and data.get("replayed") is True
    return flagged or reply.headers.get("idempotent-replayed", "").lower() == "true"


def _confirmed(reply: _Reply, request: PayoutRequest) -> _Confirmed:
    """The payout in a 2xx/409 reply; one we cannot read is retried (the retry is a replay)."""
    payout = _payout_of(reply)
    try:
        if payout is None:
            raise ValueError("no payout id in the response")
        amount = Decimal(str(payout.get("amount", request.amount)))
        created = payout.get("created_at")
        paid_at = as_utc(datetime.fromisoformat(created)) if isinstance(created, str) else utcnow()
    except (ValueError, InvalidOperation) as exc:
        raise ApplicationError(
            f"finance API answered HTTP {reply.status} for payout {request.idempotency_key} but the body "
            f"is unreadable ({exc}); will retry with the same key",
            type=FINANCE_API_UNCONFIRMED,
        ) from exc
    return _Confirmed(
        reference=str(payout["id"]),
        amount=amount,
        currency=str(payout.get("currency", request.currency)),
        paid_at=paid_at,
    )


def _reason(reply: _Reply) -> str:
    """The API's own words: `reason`, `message`, `detail` or `error`, else the body or the phrase."""
    data = reply.json()
    if isinstance(data, dict):
        for field in ("reason", "message", "detail", "error"):
            value = data.get(field)
            if isinstance(value, dict):
                value = value.get("message") or value.get("reason")
            if isinstance(value, str) and value.strip():
                return value.strip()
    text = reply.body.decode("utf-8", "replace").strip()
    if text:
        return text[:300]
    try:
        return http.HTTPStatus(reply.status).phrase
    except ValueError:
        return "no reason given"


def _retry_after(reply: _Reply) -> timedelta | None:
    """Honour `Retry-After: <seconds>` (capped); otherwise the workflow's back-off applies."""
    value = reply.headers.get("retry-after", "")
    if not value.isdigit():
        return None
    return min(timedelta(seconds=int(value)), _MAX_RETRY_AFTER)
