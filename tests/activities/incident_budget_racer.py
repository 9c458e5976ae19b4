"""A separate OS process that fires budget moves at an incident store, for the concurrency proof.

`python -m tests.activities.incident_budget_racer` speaks JSON lines on stdin and stdout, one race
at a time until stdin closes:

    in:  {"url": ..., "schema": ..., "moves": [BudgetMove, ...]}
    out: {"ready": true}            (its engine is made and its connections are open)
    in:  "go"                       (sent to every racer once all are ready: they start together)
    out: {"results": [[key, BudgetMoveResult], ...]}   (in the order of the moves)

With "batch": N in the order, the moves go in batches of N through `reserve_until_short` (as the
fan-out holds its offers), and each result is whether that batch held the move: [key, true|false].

The moves run together in this process too (`asyncio.gather`), so the writers race both within
the process and across the processes. Started once per test module, so the imports are paid once.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from activities.db import make_engine
from activities.incident_store import IncidentStore
from complaints.incident_records import BudgetMove


async def read_line() -> str:
    return await asyncio.to_thread(sys.stdin.readline)


def write(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def race(order: dict[str, Any]) -> None:
    moves = [BudgetMove.model_validate(move) for move in order["moves"]]
    engine = make_engine(order["url"], schema=order["schema"])
    try:
        store = IncidentStore(engine)
        warm = min(len(moves), 5)
        connections = [await engine.connect() for _ in range(warm)]
        for conn in connections:
            await conn.close()
        write({"ready": True})
        if (await read_line()).strip() != "go":
            raise SystemExit("expected go")
        if batch := order.get("batch"):
            batches = [moves[first : first + batch] for first in range(0, len(moves), batch)]
            counts = await asyncio.gather(*(store.reserve_until_short(part) for part in batches))
            held = [
                [move.key, n < count]
                for part, count in zip(batches, counts, strict=True)
                for n, move in enumerate(part)
            ]
            write({"results": held})
            return
        results = await asyncio.gather(*(store.move(move) for move in moves))
        write(
            {
                "results": [
                    [move.key, result.model_dump(mode="json")] for move, result in zip(moves, results, strict=True)
                ]
            }
        )
    finally:
        await engine.dispose()


async def main() -> None:
    while line := await read_line():
        await race(json.loads(line))


if __name__ == "__main__":
    asyncio.run(main())
