"""The budget is never exceeded by writers racing from several OS processes at once, on SQLite
and on PostgreSQL, and every move is applied once per key."""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

import pytest
import pytest_asyncio

from activities.incident_store import IncidentStore
from complaints.incident_records import (
    AffectedStatus,
    BudgetMove,
    BudgetMoveResult,
)
from tests.activities.incident_books import (
    PAY,
    RACERS,
    RELEASE,
    RESERVE,
    ROOT,
    Database,
    committed,
    holds,
    move,
    recorded_moves,
    with_offered_customers,
)

# -- the concurrency proof: writers in several OS processes -------------------------------------------


@dataclass
class Racer:
    process: asyncio.subprocess.Process

    async def send(self, message: dict[str, Any] | str) -> None:
        assert self.process.stdin is not None
        line = message if isinstance(message, str) else json.dumps(message)
        self.process.stdin.write(line.encode() + b"\n")
        await self.process.stdin.drain()

    async def receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout=60)
        assert line, f"racer {self.process.pid} exited with {self.process.returncode}: see its stderr file"
        return cast(dict[str, Any], json.loads(line))


@pytest_asyncio.fixture(scope="module", autouse=True)  # started with the first test: their imports overlap the others
async def racers(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[list[Racer]]:
    """Separate Python processes, each making its own engine for every race: started once for the module."""
    logs = tmp_path_factory.mktemp("racers")
    started: list[Racer] = []
    try:
        for number in range(RACERS):
            with (logs / f"racer-{number}.stderr").open("wb") as stderr:
                process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "tests.activities.incident_budget_racer",
                    cwd=ROOT,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=stderr,
                )
            started.append(Racer(process))
        yield started
    finally:
        for racer in started:
            if racer.process.stdin is not None:
                racer.process.stdin.close()
        for racer in started:
            try:
                await asyncio.wait_for(racer.process.wait(), timeout=30)
            except TimeoutError:
                racer.process.kill()
                await racer.process.wait()


async def race(
    racers: list[Racer], database: Database, shares: list[list[BudgetMove]]
) -> list[tuple[str, BudgetMoveResult]]:
    """Each racer gets its share; all start together once every one has its engine connected."""
    answers = await _race(racers, database, shares, batch=None)
    return [(key, BudgetMoveResult.model_validate(result)) for answer in answers for key, result in answer["results"]]


async def _race(
    racers: list[Racer], database: Database, shares: list[list[BudgetMove]], batch: int | None
) -> list[dict[str, Any]]:
    assert len(shares) == len(racers)
    for racer, share in zip(racers, shares, strict=True):
        moves = [m.model_dump(mode="json") for m in share]
        await racer.send({"url": database.url, "schema": database.schema, "moves": moves, "batch": batch})
    assert [await racer.receive() for racer in racers] == [{"ready": True}] * len(racers)
    await asyncio.gather(*(racer.send("go") for racer in racers))
    return list(await asyncio.gather(*(racer.receive() for racer in racers)))


async def test_batches_of_holds_from_several_processes_never_exceed_the_budget(
    store: IncidentStore, database: Database, racers: list[Racer]
) -> None:
    """The fan-out's way: 200 first offers of 7.00 against 1000.00 held in batches of 20 at once from
    several processes, each process also retrying another's batches (a retried page racing its first
    attempt), alongside single reserves of the same keys: exactly 142 fit, each held once."""
    customers, budget, amount = 200, Decimal("1000.00"), Decimal("7.00")
    incident_id, cases = await with_offered_customers(store, customers, budget=str(budget))
    moves = [move(incident_id, case, f"reserve:{case}", RESERVE, str(amount)) for case in cases]
    owners = [moves[number::RACERS] for number in range(RACERS)]
    shares = [[*owners[number], *owners[(number + 1) % RACERS][:20]] for number in range(RACERS)]
    batched, single = await asyncio.gather(
        _race(racers[1:], database, shares[1:], batch=20), _race(racers[:1], database, shares[:1], batch=None)
    )

    held_by = {key for answer in batched for key, fits in answer["results"] if fits}
    held_by |= {key for answer in single for key, result in answer["results"] if result["fits"]}
    holders = {case for case, (reserved, _) in (await holds(database, incident_id)).items() if reserved}
    assert len(holders) == int(budget // amount) == 142
    assert holders == {key.removeprefix(f"{incident_id}:reserve:") for key in held_by}
    total = await committed(database, incident_id)
    assert total == len(holders) * amount == Decimal("994.00") <= budget
    recorded = await recorded_moves(database, incident_id)
    assert sorted(key for key, _, _ in recorded) == sorted(held_by)  # each key once; none for what did not fit


async def test_concurrent_reserves_from_several_processes_never_exceed_the_budget(
    store: IncidentStore, database: Database, racers: list[Racer]
) -> None:
    """200 cases reserve 7.00 each against 1000.00 at once from several processes, one in four of the
    moves sent twice (52) (a retry racing its first attempt from another process): exactly 142 fit, each
    once, and the holds add up to what is committed."""
    customers, budget, amount = 200, Decimal("1000.00"), Decimal("7.00")
    incident_id, cases = await with_offered_customers(store, customers, budget=str(budget))
    moves = [move(incident_id, case, f"reserve:{case}", RESERVE, str(amount)) for case in cases]
    owners = [moves[number::RACERS] for number in range(RACERS)]
    retried = [owner[::4] for owner in owners]
    shares = [[*owners[number], *retried[(number + 1) % RACERS]] for number in range(RACERS)]

    results = await race(racers, database, shares)

    assert len(results) == customers + sum(len(share) for share in retried)
    by_key: dict[str, list[BudgetMoveResult]] = {}
    for key, result in results:
        by_key.setdefault(key, []).append(result)
    assert sorted(by_key) == sorted(m.key for m in moves)
    assert sum(len(attempts) == 2 for attempts in by_key.values()) == sum(map(len, retried)) == 52
    fitted = {key for key, attempts in by_key.items() if any(result.fits for result in attempts)}
    for key, attempts in by_key.items():
        found = sorted((result.applied, result.fits) for result in attempts)
        if key in fitted:  # made once, by one process; a retry reports it made
            assert found == [(False, True)] * (len(attempts) - 1) + [(True, True)], key
        else:  # no attempt found room, and none changed anything
            assert found == [(False, False)] * len(attempts), key
    assert len(fitted) == int(budget // amount) == 142

    held = await holds(database, incident_id)
    total = await committed(database, incident_id)
    assert sum(reserved for reserved, _ in held.values()) == total == len(fitted) * amount == Decimal("994.00")
    assert total <= budget
    assert all(paid == 0 for _, paid in held.values())
    assert Counter(reserved for reserved, _ in held.values()) == {amount: 142, Decimal("0.00"): 58}
    # Each hold is one fitted move's and no other's: no customer counted twice, none left out.
    holders = {case for case, (reserved, _) in held.items() if reserved}
    assert holders == {key.removeprefix(f"{incident_id}:reserve:") for key in fitted}
    recorded = await recorded_moves(database, incident_id)
    assert sorted(key for key, _, fits in recorded if fits) == sorted(key for key, _, _ in recorded) == sorted(fitted)
    assert await store.remaining(incident_id) == Decimal("6.00")
    stats = await store.figures.stats(incident_id)
    assert stats is not None
    assert (stats.reserved, stats.paid, stats.remaining) == (total, Decimal("0.00"), Decimal("6.00"))


async def test_concurrent_reserves_payments_and_releases_keep_the_books_balanced(
    store: IncidentStore, database: Database, racers: list[Racer]
) -> None:
    """30 cases hold 5.00 each against 600.00; then, all at once from several processes, 15 of them pay,
    15 release, and 70 others reserve 7.00, 10 of those raised to 8.00 by a second reserve racing the
    first. What is committed is always what the cases hold and have paid, never above the budget. Sent
    again, what was made is not made twice, and what did not fit fits now that the releases are done."""
    budget, hold, amount, raise_to = Decimal("600.00"), Decimal("5.00"), Decimal("7.00"), Decimal("8.00")
    incident_id, cases = await with_offered_customers(store, 100, budget=str(budget))
    paying, releasing, reserving = cases[:15], cases[15:30], cases[30:]
    raised, plain = reserving[:10], reserving[10:]
    before = await asyncio.gather(
        *(store.move(move(incident_id, case, f"hold:{case}", RESERVE, str(hold))) for case in paying + releasing)
    )
    assert all(result.fits for result in before)
    assert await committed(database, incident_id) == 30 * hold

    moves = [
        *(move(incident_id, case, f"pay:{case}", PAY, str(hold), status=AffectedStatus.PAID) for case in paying),
        *(move(incident_id, case, f"release:{case}", RELEASE, status=AffectedStatus.CLOSED) for case in releasing),
        *(move(incident_id, case, f"reserve:{case}", RESERVE, str(amount)) for case in reserving),
        *(move(incident_id, case, f"raise:{case}", RESERVE, str(raise_to)) for case in raised),
    ]
    moves = [moves[number] for number in _interleaved(len(moves))]
    shares = [moves[number::RACERS] for number in range(RACERS)]
    paid_total = len(paying) * hold
    # Every reserve fits only once the releases are done: the race has to refuse some, unless the releases win.
    assert paid_total + len(releasing) * hold + len(plain) * amount + len(raised) * raise_to > budget
    assert paid_total + len(plain) * amount + len(raised) * raise_to <= budget

    first = dict(await race(racers, database, shares))

    def key(kind: str, case: str) -> str:
        return f"{incident_id}:{kind}:{case}"

    assert len(first) == len(moves)
    assert all(result.applied == result.fits for result in first.values())  # made, or it did not fit
    assert all(first[key("pay", case)].fits for case in paying)  # paid from its own hold: always fits
    assert all(first[key("release", case)].fits for case in releasing)
    held = await holds(database, incident_id)
    total = await committed(database, incident_id)
    assert total == sum(reserved + paid for reserved, paid in held.values())
    assert total <= budget
    assert all(held[case] == (Decimal("0.00"), hold) for case in paying)
    assert all(held[case] == (Decimal("0.00"), Decimal("0.00")) for case in releasing)
    for case in plain:  # one reserve each: held exactly when it fitted
        assert held[case] == (amount if first[key("reserve", case)].fits else Decimal("0.00"), Decimal("0.00"))
    for case in raised:  # two: the hold is one that fitted
        reserved, fits = held[case][0], (first[key("reserve", case)].fits, first[key("raise", case)].fits)
        assert held[case][1] == 0
        assert reserved == {(False, False): 0, (True, False): amount, (False, True): raise_to}.get(fits, reserved)
        assert reserved in (amount, raise_to) or fits == (False, False)
    # A case left without a hold met less than 8.00 left of the budget, with what is paid (or held to be
    # paid) and at most the holds not yet released committed besides: the rest is held by reserving cases.
    holding = sum(1 for case in reserving if held[case][0])
    least = (budget - raise_to - paid_total - len(releasing) * hold) / raise_to
    assert holding == len(reserving) or holding > least
    stats = await store.figures.stats(incident_id)
    assert stats is not None
    assert stats.reserved + stats.paid == total and stats.paid == paid_total
    assert stats.by_status["paid"] == len(paying) and stats.by_status["closed"] == len(releasing)

    again = dict(await race(racers, database, shares))

    for sent, result in again.items():
        assert result.fits, sent
        assert result.applied is not first[sent].applied, sent
    held = await holds(database, incident_id)
    assert all(held[case] == (amount, Decimal("0.00")) for case in plain)
    assert all(held[case][0] in (amount, raise_to) for case in raised)
    total = await committed(database, incident_id)
    assert total == sum(reserved + paid for reserved, paid in held.values()) <= budget
    recorded = await recorded_moves(database, incident_id)
    assert len(recorded) == len(paying) + len(releasing) + len(moves) and all(fits for _, _, fits in recorded)


def _interleaved(count: int) -> list[int]:
    """0..count-1 in a fixed scattered order (a stride coprime to the count), so kinds mix in every share."""
    stride = next(step for step in range(37, count + 37) if _coprime(step, count))
    return [(number * stride) % count for number in range(count)]


def _coprime(a: int, b: int) -> bool:
    while b:
        a, b = b, a % b
    return a == 1
