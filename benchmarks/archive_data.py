"""Realistic archived cases for the report benchmark (benchmarks/reports.py), written straight into
the archive tables with bulk inserts.

Two years of closed cases (2024 and 2025, by closing time): five categories and a dozen
products in uneven shares, 30 owners in 7 teams, 40 root-cause codes in a Zipf-like spread
(a few causes make most complaints), acknowledgement and resolution times with long tails,
about 5 % withdrawn and 3 % with the offer lapsed, 4 % reopened, 10 % escalated, ~30 % with a
CSAT score (some with a comment), 3 % in one of five incidents, redress items for most upheld
cases, and clocks for every case (acknowledgement, first response and resolution; investigation
when there were findings; `regulatory:final_response` for the 40 % under a regulator).

Only the tables reports read are filled (`case_files`, `case_clocks`, `case_redress`); a case's
timeline, messages and decisions are not generated. The rows are written in the order the cases
closed, as the archive writes them. Seeded: the same seed gives the same data.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from activities.archive_tables import CaseClockRow, CaseFileRow, CaseRedressRow

START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 1, tzinfo=UTC)
FILES = cast(Table, CaseFileRow.__table__)
CLOCKS = cast(Table, CaseClockRow.__table__)
REDRESS = cast(Table, CaseRedressRow.__table__)
BATCH = 5_000

CATEGORIES = {"billing": 35, "delivery": 25, "product": 20, "service": 15, "other": 5}
TEAMS = {
    "billing": ("Billing", "Payments"),
    "delivery": ("Logistics", "Couriers"),
    "product": ("Products", "Quality"),
    "service": ("Care",),
    "other": ("Care",),
}
PRODUCTS = {
    "broadband": 30,
    "mobile": 25,
    "tv": 12,
    "landline": 8,
    "router": 7,
    "sim-only": 6,
    "handset": 5,
    "streaming": 3,
    "smart-home": 2,
    "business-line": 1,
    "insurance": 0.6,
    "gift-card": 0.4,
}
OWNERS = tuple(f"staff-{n:02d}" for n in range(1, 31))
INCIDENTS = ("INC-101", "INC-102", "INC-103", "INC-104", "INC-105")
_CAUSE_WORDS = {  # the vocabulary of config/complaints.toml's [root_causes]
    "billing": ("duplicate-charge", "wrong-amount", "unexpected-fee", "refund-delay"),
    "delivery": ("late", "lost", "damaged", "wrong-item"),
    "product": ("faulty", "not-as-described"),
    "service": ("outage", "slow-response", "staff-conduct", "wrong-advice", "process-failure"),
    "other": ("communication", "other"),
}
ROOT_CAUSES = tuple(f"{group}.{word}" for group, words in _CAUSE_WORDS.items() for word in words)
REMEDY_KINDS = {"refund": 40, "goodwill": 30, "account_credit": 15, "discount": 10, "replacement": 5}
COMMENTS = (
    "Took far too long to sort out.",
    "Quick and fair, thank you.",
    "I had to chase you twice.",
    "The refund was less than I lost.",
    "Polite staff, slow process.",
    "Resolved on the first call.",
)
WORDS = [
    "the",
    "router",
    "keeps",
    "dropping",
    "and",
    "I",
    "was",
    "charged",
    "twice",
    "for",
    "the",
    "same",
    "month",
    "while",
    "waiting",
    "in",
]


@dataclass
class Generated:
    files: list[dict[str, Any]] = field(default_factory=list)
    clocks: list[dict[str, Any]] = field(default_factory=list)
    redress: list[dict[str, Any]] = field(default_factory=list)


def _pick(rng: random.Random, weights: Mapping[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _zipf_weights(count: int, exponent: float = 1.1) -> list[float]:
    return [1 / (rank**exponent) for rank in range(1, count + 1)]


def _money(rng: random.Random, median: float) -> Decimal:
    return Decimal(max(100, round(rng.lognormvariate(math.log(median * 100), 0.7)))).scaleb(-2)


class ArchiveGenerator:
    """Cases one at a time from a seeded random source: `generate(n)` yields batches of rows."""

    def __init__(self, seed: int = 17) -> None:
        self._rng = random.Random(seed)
        # Which causes are common is arbitrary, but fixed by the seed; most of a category's complaints
        # have a cause of its own group, some one of anywhere (a website fault behind a billing complaint).
        self._causes: dict[str, list[str]] = {}
        for group, words in _CAUSE_WORDS.items():
            self._causes[group] = [f"{group}.{word}" for word in words]
            self._rng.shuffle(self._causes[group])
        self._anywhere = list(ROOT_CAUSES)
        self._rng.shuffle(self._anywhere)
        self._owners = {category: OWNERS[n::5] for n, category in enumerate(CATEGORIES)}

    def generate(self, count: int) -> Iterator[Generated]:
        """Batches of cases in the order they closed, as the archive receives them (one file when each closes)."""
        span = (END - START).total_seconds()
        closings = sorted(START + timedelta(seconds=self._rng.uniform(0, span)) for _ in range(count))
        batch = Generated()
        for number, closed in enumerate(closings, start=1):
            self._case(number, closed, batch)
            if len(batch.files) == BATCH:
                yield batch
                batch = Generated()
        if batch.files:
            yield batch

    def _case(self, number: int, closed: datetime, out: Generated) -> None:
        rng = self._rng
        category = _pick(rng, CATEGORIES)
        roll = rng.random()
        outcome = "withdrawn" if roll < 0.05 else "offer_lapsed" if roll < 0.08 else "resolved"
        findings = outcome != "withdrawn" and rng.random() < 0.92
        upheld = (rng.random() < 0.6) if findings else None
        code = self._cause(category) if findings and rng.random() < 0.9 else None
        ack_hours = rng.lognormvariate(math.log(3), 0.9) if rng.random() < 0.97 else None
        if outcome == "withdrawn":
            resolve_hours = None
            received = closed - timedelta(hours=rng.uniform(2, 480))
        else:
            resolve_hours = min(rng.lognormvariate(math.log(96), 1.1), 24 * 120.0)
            received = closed - timedelta(hours=resolve_hours + rng.lognormvariate(math.log(72), 0.5))
        if ack_hours is not None and resolve_hours is not None:
            ack_hours = min(ack_hours, resolve_hours)
        resolved = None if resolve_hours is None else received + timedelta(hours=resolve_hours)
        surveyed = outcome == "resolved" and rng.random() < 0.7
        csat = (
            rng.choices((1, 2, 3, 4, 5), weights=(10, 8, 15, 30, 37))[0] if surveyed and rng.random() < 0.45 else None
        )
        workflow_id, reference = f"complaint-B-{number:06d}", f"B-{number:06d}"
        regulated = rng.random() < 0.4
        items = self._redress(workflow_id, category, resolved) if upheld and resolved else []
        out.redress.extend(items)
        out.clocks.extend(self._clocks(workflow_id, received, ack_hours, resolve_hours, findings, regulated))
        out.files.append(
            {
                "workflow_id": workflow_id,
                "complaint_id": reference,
                "customer_id": f"cust-{rng.randrange(60_000):05d}",
                "customer_name": f"Customer {number}",
                "customer_email": f"customer{number}@example.com",
                "language": "en",
                "category": category,
                "product": _pick(rng, PRODUCTS) if rng.random() < 0.9 else None,
                "priority": rng.choices(("urgent", "high", "normal", "low"), weights=(3, 12, 75, 10))[0],
                "channel": rng.choice(("email", "web", "phone", "letter")),
                "origin": "customer",
                "incident_id": rng.choice(INCIDENTS) if rng.random() < 0.03 else None,
                "rules_version": "2025-1/v3",
                "regulatory_profile": "uk-fca-disp" if regulated else None,
                "owner_id": rng.choice(self._owners[category]),
                "team": rng.choice(TEAMS[category]),
                "outcome": outcome,
                "upheld": upheld,
                "fault": None if upheld is None else ("ours" if upheld else "none"),
                "root_cause_code": code,
                "root_cause": None if code is None else f"Found: {code.replace('.', ' ')}.",
                "recurring": code is not None and rng.random() < 0.05,
                "recurring_reason": None,
                "severity": rng.randint(1, 5) if findings else None,
                "received_at": received,
                "acknowledged_at": None if ack_hours is None else received + timedelta(hours=ack_hours),
                "resolved_at": resolved,
                "closed_at": closed,
                "reopened": outcome == "resolved" and rng.random() < 0.04,
                "escalations": rng.choice((1, 1, 1, 2, 3)) if rng.random() < 0.1 else 0,
                "survey_sent": surveyed,
                "csat": csat,
                "csat_comment": rng.choice(COMMENTS) if csat is not None and rng.random() < 0.3 else None,
                "redress_paid": sum((item["amount"] for item in items), Decimal("0.00")),
                "currency": "GBP",
                "complaint": self._complaint(reference, category),
                "retain_until": closed + timedelta(days=6 * 365),
                "archived_at": closed,
            }
        )

    def _cause(self, category: str) -> str:
        causes = self._causes[category] if self._rng.random() < 0.85 else self._anywhere
        return self._rng.choices(causes, weights=_zipf_weights(len(causes)))[0]

    def _redress(self, workflow_id: str, category: str, paid_at: datetime) -> list[dict[str, Any]]:
        rng = self._rng
        if rng.random() < 0.4:
            return []
        kinds = {_pick(rng, REMEDY_KINDS) for _ in range(rng.choice((1, 1, 2, 3)))}
        return [
            {
                "workflow_id": workflow_id,
                "kind": kind,
                "amount": _money(rng, 25 if kind in ("refund", "replacement") else 10),
                "currency": "GBP",
                "category": category,
                "paid_at": paid_at,
            }
            for kind in sorted(kinds)
        ]

    def _clocks(
        self,
        workflow_id: str,
        received: datetime,
        ack_hours: float | None,
        resolve_hours: float | None,
        findings: bool,
        regulated: bool,
    ) -> list[dict[str, Any]]:
        rng, done = self._rng, resolve_hours is not None
        acknowledged = None if ack_hours is None else ack_hours <= 24
        clocks = [
            ("acknowledgement", "sla", 24, acknowledged),
            ("first_response", "sla", 72, (rng.random() < 0.9) if done else None),
            ("resolution", "sla", 14 * 24, None if resolve_hours is None else resolve_hours <= 14 * 24),
        ]
        if findings:
            clocks.append(("investigation", "sla", 5 * 24, rng.random() < 0.85))
        if regulated:
            final = None if resolve_hours is None else resolve_hours <= 56 * 24
            clocks.append(("regulatory:final_response", "regulatory", 56 * 24, final))
        return [
            {
                "workflow_id": workflow_id,
                "seq": seq,
                "name": name,
                "kind": kind,
                "target": f"{hours} hours",
                "due_at": received + timedelta(hours=hours),
                "finished_at": None if met is None else received + timedelta(hours=hours * (0.5 if met else 1.2)),
                "met": met,
                "late_seconds": 0 if met in (None, True) else int(hours * 0.2 * 3600),
                "source": "DISP 1.6.2R" if kind == "regulatory" else None,
            }
            for seq, (name, kind, hours, met) in enumerate(clocks, start=1)
        ]

    def _complaint(self, reference: str, category: str) -> dict[str, Any]:
        description = " ".join(self._rng.choices(WORDS, k=40))
        return {"id": reference, "category": category, "description": description, "desired_outcome": "A refund"}


async def fill_archive(engine: AsyncEngine, count: int, seed: int = 17) -> None:
    """Insert `count` generated cases, a batch of 5,000 at a time (executemany), in one transaction."""
    async with engine.begin() as conn:
        for batch in ArchiveGenerator(seed).generate(count):
            await conn.execute(FILES.insert(), batch.files)
            await conn.execute(CLOCKS.insert(), batch.clocks)
            if batch.redress:
                await conn.execute(REDRESS.insert(), batch.redress)
