"""What benchmarks/open_cases.py measures while its cases are open: staff actions (in process,
over HTTP, through the CLI), the admin listings, the worker's memory and the SLA timers' lateness.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from temporalio.client import Client

from activities.db import make_engine
from activities.doctor import CaseDoctor, DoctorLimits
from complaints.case import CaseStatus, TimelineEvent
from complaints.sla import ClockKind
from complaints.stuck import StuckCase
from starter.client.approval_queue import PendingApproval, PendingPage, all_pending, soonest_due

CLI = [sys.executable, "-m", "starter.cli"]


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def spread(values: Sequence[float], unit: str = "ms", scale: float = 1000.0) -> str:
    """`p50 … p99 … max …` of seconds, shown in `unit`."""
    if not values:
        return "none measured"
    return (
        f"p50 {percentile(values, 0.5) * scale:.0f} {unit}, p99 {percentile(values, 0.99) * scale:.0f} {unit}, "
        f"max {max(values) * scale:.0f} {unit} (n={len(values)})"
    )


def rss_mib(pid: int) -> float:
    """Resident memory of a process (Linux /proc), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class MemoryWatch:
    """The worker's RSS every `every` seconds while the benchmark runs."""

    pid: int
    every: float = 2.0
    samples: list[tuple[float, float]] = field(default_factory=list)

    async def run(self) -> None:
        while True:
            try:
                self.samples.append((time.monotonic(), rss_mib(self.pid)))
            except OSError:
                return
            await asyncio.sleep(self.every)

    def peak(self) -> float:
        return max((mib for _, mib in self.samples), default=0.0)


async def paced(ids: Sequence[str], rate: float, one: Callable[[str], Awaitable[None]]) -> list[float]:
    """Call `one` for each id at `rate` a second (open loop); each call's seconds, failures left out."""
    timings: list[float] = []
    began = time.monotonic()

    async def timed(reference: str) -> None:
        start = time.monotonic()
        try:
            await one(reference)
        except Exception as error:  # a refused or failed action is reported, not timed
            print(f"    {reference}: {type(error).__name__}: {error}", flush=True)
            return
        timings.append(time.monotonic() - start)

    tasks = []
    for number, reference in enumerate(ids):
        await asyncio.sleep(max(0.0, began + number / rate - time.monotonic()))
        tasks.append(asyncio.create_task(timed(reference)))
    await asyncio.gather(*tasks)
    return timings


async def http_offer_answers(base_url: str, api_key: str, ids: Sequence[str], rate: float) -> list[float]:
    """The CRM passes on each customer's acceptance: POST /complaints/{id}/offer-response."""
    async with httpx.AsyncClient(base_url=base_url, headers={"X-API-Key": api_key}, timeout=60) as http:

        async def one(reference: str) -> None:
            response = await http.post(f"/complaints/{reference}/offer-response", json={"answer": "accept"})
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")

        return await paced(ids, rate, one)


async def command(argv: list[str], env: dict[str, str], ok: Sequence[int] = (0,)) -> float:
    """Run one CLI command to its end; its wall time (seconds)."""
    start = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        *argv, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    took = time.monotonic() - start
    if process.returncode not in ok:
        raise RuntimeError(f"{' '.join(argv[2:])} exited {process.returncode}: {(err or out).decode()[-300:]}")
    return took


async def commands(argv_for: Callable[[str], list[str]], ids: Sequence[str], env: dict[str, str]) -> list[float]:
    """One command after another (a member of staff at a terminal); each wall time."""
    timings = []
    for reference in ids:
        try:
            timings.append(await command(argv_for(reference), env))
        except RuntimeError as error:
            print(f"    {error}", flush=True)
    return timings


async def listing(argv: list[str], env: dict[str, str], times: int, ok: Sequence[int] = (0,)) -> list[float]:
    return [await command(argv, env, ok) for _ in range(times)]


async def timed(times: int, call: Callable[[], Awaitable[object]]) -> list[float]:
    """`call` awaited `times` times, one after another; each one's seconds."""
    timings = []
    for _ in range(times):
        start = time.monotonic()
        await call()
        timings.append(time.monotonic() - start)
    return timings


async def pending_rows(client: Client) -> list[PendingApproval]:
    """What `complaints admin pending --all` lists, without its process start."""
    return await all_pending(client, None, datetime.now(UTC))


async def pending_page(client: Client) -> PendingPage:
    """What `complaints admin pending` shows (the 50 due soonest), without its process start."""
    return await soonest_due(client, None, datetime.now(UTC), 50)


async def doctor_findings(client: Client, database_url: str) -> list[StuckCase]:
    """What `complaints admin doctor` examines, without its process start."""
    engine = make_engine(database_url)
    try:
        return await CaseDoctor(client, engine, DoctorLimits()).examine(datetime.now(UTC))
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class Lateness:
    seconds: list[float]  # fired minus due, for every warning and breach measured
    missing: int  # cases whose three events did not all fire in time


async def sla_lateness(
    client: Client, ids: Sequence[str], target: timedelta, ready_at: float, wait_until: float
) -> Lateness:
    """How late each due case's first-response warnings (50 %, 75 %) and breach fired, from its timeline.

    Asks each case once every breach is due (`ready_at`, monotonic), so the queries add no load while
    the timers fire; then again every 10 s, until `wait_until`, for those not breached yet."""
    await asyncio.sleep(max(0.0, ready_at - time.monotonic()))
    late: list[float] = []
    pending = list(ids)
    while pending:
        still = []
        for workflow_id in pending:
            handle = client.get_workflow_handle(workflow_id)
            timeline = await handle.query("timeline", result_type=list[TimelineEvent])
            fired = sorted(
                e.at for e in timeline if e.kind in ("sla warning", "sla breached") and "first_response" in e.detail
            )
            if len(fired) < 3:
                still.append(workflow_id)
                continue
            status = await handle.query("status", result_type=CaseStatus)
            clock = next(c for c in status.clocks if c.kind is ClockKind.FIRST_RESPONSE)
            late += _late(fired, clock.started_at, target)
        pending = still
        print(f"  lateness: {len(ids) - len(pending)} of {len(ids)} cases breached", flush=True)
        if not pending or time.monotonic() > wait_until:
            break
        await asyncio.sleep(10)
    return Lateness(late, len(pending))


def _late(fired: list[datetime], started: datetime, target: timedelta) -> list[float]:
    due = [started + target * 0.5, started + target * 0.75, started + target]
    return [(at - expected).total_seconds() for at, expected in zip(fired[:3], due, strict=True)]
