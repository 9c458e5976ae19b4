"""How long `complaints report regulator` takes over 100,000 archived cases (goal: under 2 s).

Builds a migrated SQLite file (or a scratch PostgreSQL schema with `--postgres URL`) holding
N archived case files with redress items, bulk-inserted, then times the archive queries
(activities/regulator_queries.py) and the computation (complaints/regulator_return.py) for a
period, best of `--repeat` runs. `--spread` spreads the cases over 2025-2026 (a quarter of them
in 2026H2); by default every case is received and closed in 2026H2, the worst case.

    .venv/bin/python benchmarks/regulator_return.py --cases 100000
    .venv/bin/python benchmarks/regulator_return.py --cases 100000 --postgres postgresql://127.0.0.1/test
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import psycopg
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from activities.archive_tables import CaseFileRow, CaseRedressRow
from activities.db import make_engine
from activities.migrate import upgrade_to_head
from activities.regulator_queries import return_inputs
from complaints.regulator_return import regulator_return
from complaints.report_period import parse_period
from complaints.rules import load_rules

ROOT = Path(__file__).resolve().parent.parent
FILES = cast(Table, CaseFileRow.__table__)
REDRESS = cast(Table, CaseRedressRow.__table__)
PRODUCTS = ["broadband", "mobile", "payment_services", "e_money", None]
CODES = ["billing.duplicate-charge", "delivery.late", "service.outage", "product.faulty", "service.staff-conduct"]
PROFILES = ["uk-fca-disp"] * 8 + ["us-cfpb", "internal"]


def case_rows(count: int, spread: bool, seed: int = 17) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rng = random.Random(seed)
    first = datetime(2025, 1, 1, tzinfo=UTC) if spread else datetime(2026, 7, 1, tzinfo=UTC)
    span = (730 if spread else 150) * 86400
    files: list[dict[str, Any]] = []
    redress: list[dict[str, Any]] = []
    for n in range(count):
        received = first + timedelta(seconds=rng.randrange(span))
        resolved = received + timedelta(hours=rng.randrange(1, 24 * 30))
        workflow_id = f"complaint-B{n:06d}"
        files.append(
            {
                "workflow_id": workflow_id,
                "complaint_id": f"B{n:06d}",
                "customer_id": f"CUST-{n % 5000}",
                "customer_name": "Ada Lovelace",
                "customer_email": "ada@example.com",
                "language": "en",
                "category": "billing",
                "product": rng.choice(PRODUCTS),
                "priority": "normal",
                "channel": "email",
                "origin": "customer",
                "rules_version": "bench",
                "regulatory_profile": rng.choice(PROFILES),
                "owner_id": "alex",
                "team": "Billing",
                "outcome": "resolved",
                "upheld": rng.random() < 0.55,
                "root_cause_code": rng.choice(CODES),
                "recurring": False,
                "received_at": received,
                "resolved_at": resolved,
                "closed_at": resolved + timedelta(days=1),
                "reopened": False,
                "escalations": 0,
                "survey_sent": False,
                "redress_paid": Decimal("0.00"),
                "currency": "GBP",
                "complaint": {},
                "retain_until": resolved + timedelta(days=1100),
                "archived_at": resolved + timedelta(days=1),
            }
        )
        if rng.random() < 0.4:
            amount = Decimal(rng.randrange(100, 20000)).scaleb(-2)
            redress.append(
                {
                    "workflow_id": workflow_id,
                    "kind": "refund",
                    "amount": amount,
                    "currency": "GBP",
                    "category": "billing",
                    "paid_at": resolved,
                }
            )
    return files, redress


async def fill(engine: AsyncEngine, count: int, spread: bool) -> None:
    await upgrade_to_head(engine)
    files, redress = case_rows(count, spread)
    async with engine.begin() as conn:
        for start in range(0, len(files), 5000):
            await conn.execute(FILES.insert(), files[start : start + 5000])
        for start in range(0, len(redress), 5000):
            await conn.execute(REDRESS.insert(), redress[start : start + 5000])


async def measure(engine: AsyncEngine, period: str, repeat: int) -> list[tuple[float, float, int]]:
    sla = load_rules(ROOT / "config" / "complaints.toml").sla
    profile = sla.profile("uk-fca-disp")
    start, end = parse_period(period)
    runs = []
    for _ in range(repeat):
        began = time.perf_counter()
        inputs = await return_inputs(engine, profile.name, start, end)
        read = time.perf_counter()
        figures = regulator_return(
            profile, sla.calendar(profile.calendar), (period, start, end), inputs, datetime.now(UTC)
        )
        runs.append((read - began, time.perf_counter() - read, figures.total.closed))
    return runs


# `complaints report regulator` as a process: the `report` group is starter/cli/reports.py's; the
# command registers onto any typer group the same way.
CLI = """
import sys, typer
from starter.cli.regulator_report import register
app = typer.Typer()
app.callback()(lambda: None)
register(app)
app(["regulator", *sys.argv[1:]])
"""


def time_cli(url: str, period: str, repeat: int) -> list[float]:
    """Seconds for the whole command, interpreter start and imports included, output to /dev/null."""
    env = {
        **os.environ,
        "COMPLAINTS_DATABASE_URL": url,
        "COMPLAINTS_RULES_FILE": str(ROOT / "config" / "complaints.toml"),
    }
    env["PYTHONPATH"] = str(ROOT)
    runs = []
    for _ in range(repeat):
        began = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", CLI, "--profile", "uk-fca-disp", "--period", period, "--json"],
            env=env, check=True, stdout=subprocess.DEVNULL, cwd=ROOT,
        )  # fmt: skip
        runs.append(time.perf_counter() - began)
    return runs


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--period", default="2026H2")
    parser.add_argument("--spread", action="store_true", help="cases over 2025-2026 instead of all in 2026H2")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", metavar="URL", help="e.g. postgresql://127.0.0.1/test (a scratch schema)")
    args = parser.parse_args()
    schema = None
    with tempfile.TemporaryDirectory() as directory:
        if args.postgres:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{schema}"'.encode())
            url = args.postgres.replace("postgresql://", "postgresql+psycopg://", 1)
        else:
            url = f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        engine = make_engine(url, schema=schema)
        try:
            began = time.perf_counter()
            await fill(engine, args.cases, args.spread)
            print(f"{args.cases} case files archived in {time.perf_counter() - began:.1f} s ({url.split(':')[0]})")
            for read, compute, closed in await measure(engine, args.period, args.repeat):
                print(
                    f"{args.period}: {closed} closed; queries {read:.3f} s + computation {compute:.3f} s "
                    f"= {read + compute:.3f} s"
                )
            if schema is None:  # the command reads the database from its URL alone
                for period in ("2030", args.period):  # 2030: nothing to read, the start-up alone
                    runs = ", ".join(f"{run:.2f}" for run in time_cli(url, period, args.repeat))
                    print(f"the whole command, --period {period}: {runs} s")
        finally:
            await engine.dispose()
            if schema is not None:
                with psycopg.connect(args.postgres, autocommit=True) as conn:
                    conn.execute(f'DROP SCHEMA "{schema}" CASCADE'.encode())


if __name__ == "__main__":
    asyncio.run(main())
