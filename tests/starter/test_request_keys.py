"""The `request_keys` store on its own, on SQLite and PostgreSQL: what is claimed, stored and replayed.

The HTTP tests (`test_http_api.py`) run it behind the API against the dev server; here the races
are pinned without one: two bodies racing for one key, an answer that must not be kept.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from starter.api.request_keys import Answer, KeyedRequest, RequestKeys
from starter.client import NoAnswer
from tests.fixtures_activities import scratch_postgres_schema, search_path_url


@pytest.fixture(params=["sqlite", "postgresql"])
def keys_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RequestKeys]:
    """A store on a fresh SQLite file (in a folder not made yet), or in a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield RequestKeys(f"sqlite+aiosqlite:///{tmp_path / 'nested' / 'app.db'}", tmp_path / "nested")
        return
    with scratch_postgres_schema("cf_keys") as (url, schema):
        yield RequestKeys(search_path_url(url, schema), tmp_path)


def request(body: str, key: str = "k-1", complaint_id: str = "C-1") -> KeyedRequest:
    return KeyedRequest("messages", "crm", complaint_id, key, body)


async def test_two_bodies_racing_for_one_key_one_runs_and_the_other_is_409(keys_store: RequestKeys) -> None:
    keys = keys_store
    ran: list[str] = []

    def work(body: str) -> Callable[[], Awaitable[Answer]]:
        async def answer() -> Answer:
            ran.append(body)
            await asyncio.sleep(0.05)
            return 200, {"result": body}

        return answer

    try:
        first, second = await asyncio.gather(
            keys.answer_once(request("a"), work("a")), keys.answer_once(request("b"), work("b"))
        )
        statuses = sorted([first.status_code, second.status_code])
        assert statuses == [200, 409]
        assert len(ran) == 1  # the body that lost the key was never sent

        winner = ran[0]
        replayed = await keys.answer_once(request(winner), work("never"))
        assert (replayed.status_code, json.loads(bytes(replayed.body))) == (200, {"result": winner})
        assert replayed.headers["Idempotent-Replayed"] == "true"
        assert ran == [winner]
        # Another complaint, another key: their own requests.
        other = await keys.answer_once(request("c", complaint_id="C-2"), work("c"))
        assert other.status_code == 200
    finally:
        await keys.close()


async def test_a_try_again_answer_is_not_kept(keys_store: RequestKeys) -> None:
    keys = keys_store
    calls = 0

    async def no_worker() -> Answer:
        nonlocal calls
        calls += 1
        raise NoAnswer("no answer to 'add_customer_message' within 30s; is a worker running?")

    async def refused() -> Answer:
        nonlocal calls
        calls += 1
        return 409, {"detail": "cannot record feedback: the complaint is Investigating, not AwaitingFeedback"}

    try:
        with pytest.raises(NoAnswer):
            await keys.answer_once(request("a"), no_worker)
        # The key stays bound to its body, but the retry runs again.
        conflict = await keys.answer_once(request("b"), refused)
        assert conflict.status_code == 409
        assert b"Idempotency-Key: this key was already used with a different request" in conflict.body
        first = await keys.answer_once(request("a"), refused)
        again = await keys.answer_once(request("a"), no_worker)
        assert (first.status_code, first.body) == (again.status_code, again.body)
        assert calls == 2
    finally:
        await keys.close()
