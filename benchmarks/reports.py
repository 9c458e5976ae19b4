"""The report benchmark (issue 17): `complaints report` figures over 100,000 archived cases.

    .venv/bin/python benchmarks/reports.py [--cases 100000] [--runs 3] [--backend sqlite --backend postgresql]

For each backend: a fresh database (a new SQLite file in a temporary directory; a new schema on
the local PostgreSQL, dropped afterwards), migrated to head, filled with `--cases` generated
cases closed over two years (benchmarks/archive_data.py, bulk inserts). Then each report's full
figures (`ReportReader.figures`, with the shipped rules' budgets) are timed: the first half of
2025 unfiltered and with each filter (category, product, owner, team, incident: the commonest
value of each), and the whole two years. Next to each, in the same run: the bare baseline, one
plain `SELECT` of every `case_files` row (all columns) closed in the report's period, fetched.
Each time is the median of `--runs` runs after one warm-up. Goal: every report under 2 s.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import psycopg
import typer
from sqlalchemy import desc, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive_data import END, FILES, START, fill_archive  # noqa: E402

from activities.db import make_engine  # noqa: E402
from activities.migrate import upgrade_to_head  # noqa: E402
from activities.reports import ReportReader  # noqa: E402
from complaints.report_figures import ReportFilter  # noqa: E402
from complaints.rules import CaseRules, load_rules  # noqa: E402

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
HALF = (datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC))
FILTERS = {"category": "category", "product": "product", "owner": "owner_id", "team": "team", "incident": "incident_id"}
GOAL_SECONDS = 2.0


@dataclass(frozen=True)
class Timing:
    report: str
    backend: str
    cases: int
    seconds: float
    baseline: float


@asynccontextmanager
async def fresh_database(backend: str, directory: Path) -> AsyncIterator[AsyncEngine]:
    if backend == "sqlite":
        engine = make_engine(f"sqlite+aiosqlite:///{directory / 'reports.db'}")
        try:
            yield engine
        finally:
            await engine.dispose()
        return
    schema = f"bench_reports_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        engine = make_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1), schema=schema)
        try:
            yield engine
        finally:
            await engine.dispose()
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


async def timed(work: Callable[[], Awaitable[Any]], runs: int) -> tuple[float, Any]:
    """The median seconds of `runs` runs after one warm-up, and the last result."""
    result = await work()
    seconds = []
    for _ in range(runs):
        began = time.perf_counter()
        result = await work()
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds), result


async def commonest(engine: AsyncEngine, column: str) -> str:
    """The most frequent non-NULL value of a filter's column: the filter a report would most often use."""
    c = FILES.c[column]
    statement = select(c).where(c.is_not(None)).group_by(c).order_by(desc(func.count()), c).limit(1)
    async with engine.connect() as conn:
        return str((await conn.execute(statement)).scalar_one())


async def bare_scan(engine: AsyncEngine, start: datetime, end: datetime) -> int:
    """The baseline: every column of every case file closed in the period, fetched."""
    statement = select(FILES).where(FILES.c.closed_at >= start, FILES.c.closed_at < end)
    async with engine.connect() as conn:
        return len((await conn.execute(statement)).all())


async def bench_backend(backend: str, cases: int, runs: int, rules: CaseRules, directory: Path) -> list[Timing]:
    async with fresh_database(backend, directory) as engine:
        await upgrade_to_head(engine)
        began = time.perf_counter()
        await fill_archive(engine, cases)
        print(f"{backend}: {cases:,} cases written in {time.perf_counter() - began:.1f} s", flush=True)
        if backend == "postgresql":
            async with engine.begin() as conn:
                await conn.exec_driver_sql("ANALYZE")
        reader = ReportReader(engine)
        reports: list[tuple[str, ReportFilter]] = [("2025H1", ReportFilter(start=HALF[0], end=HALF[1]))]
        for name, column in FILTERS.items():
            value = await commonest(engine, column)
            reports.append((f"2025H1 {name}={value}", ReportFilter(start=HALF[0], end=HALF[1], **{name: value})))
        reports.append(("2024-2025 (2 years)", ReportFilter(start=START, end=END)))
        baselines: dict[tuple[datetime, datetime], float] = {}
        timings = []
        for label, report in reports:
            period = (report.start, report.end)
            if period not in baselines:
                baselines[period], _ = await timed(partial(bare_scan, engine, *period), runs)
            seconds, figures = await timed(partial(reader.figures, report, rules), runs)
            timings.append(Timing(label, backend, figures.closed, seconds, baselines[period]))
            print(
                f"  {label}: {seconds:.3f} s ({figures.closed:,} cases; bare scan {baselines[period]:.3f} s)",
                flush=True,
            )
        return timings


def table(timings: list[Timing]) -> str:
    lines = ["| report | backend | cases | seconds | baseline seconds |", "|---|---|---:|---:|---:|"]
    for t in timings:
        lines.append(f"| {t.report} | {t.backend} | {t.cases:,} | {t.seconds:.3f} | {t.baseline:.3f} |")
    return "\n".join(lines)


def main(
    cases: Annotated[int, typer.Option(help="Archived cases to generate.")] = 100_000,
    runs: Annotated[int, typer.Option(help="Timed runs per report (the median is shown).")] = 3,
    backend: Annotated[list[str] | None, typer.Option(help="sqlite and/or postgresql (default: both).")] = None,
) -> None:
    rules = load_rules(ROOT / "config" / "complaints.toml")
    timings: list[Timing] = []
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as directory:
        for name in backend or ["sqlite", "postgresql"]:
            timings += asyncio.run(bench_backend(name, cases, runs, rules, Path(directory)))
    print()
    print(table(timings))
    slow = [t for t in timings if t.seconds >= GOAL_SECONDS]
    print(f"\nGoal: every report under {GOAL_SECONDS:.0f} s: {'met' if not slow else f'missed by {len(slow)}'}")


if __name__ == "__main__":
    typer.run(main)
