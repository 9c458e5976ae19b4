"""Test data of the scheduled reviews: archived case files with a root cause, and a month's figures."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncEngine

from activities.archive import CaseArchive
from complaints.case_file import CaseFile
from complaints.report_figures import CsatFigure, Percentiles, ReportFigures, ReportFilter, RootCauseFigure
from tests.case_files import case_file

log = logging.getLogger(__name__)


def archived_case(
    complaint_id: str, code: str | None, received_at: datetime, product: str | None = "broadband"
) -> CaseFile:
    """A closed, resolved case with this root cause, received then and closed three days later."""
    closed = received_at + timedelta(days=3)
    made = case_file(0, received=received_at, closed=closed, ack_hours=1, resolve_hours=48, product=product, code=code)
    return made.model_copy(
        update={
            "workflow_id": f"complaint-{complaint_id}",
            "complaint_id": complaint_id,
            "customer_id": f"cust-{complaint_id}",
            "owner_id": "alex",
            "upheld": True,
            "fault": "ours",
            "root_cause": None if code is None else f"Cause {code}",
            "severity": 2,
            "complaint": {"id": complaint_id},
            "retain_until": received_at + timedelta(days=7 * 365),
        }
    )


async def archive(engine: AsyncEngine, cases: Iterable[CaseFile]) -> None:
    store = CaseArchive(engine, log)
    for case in cases:
        assert await store.write(case), case.workflow_id


def month_figures(start: datetime, end: datetime) -> ReportFigures:
    """A month's figures as the report reader would give them (only the headline ones matter here)."""
    return ReportFigures(
        filter=ReportFilter(start=start, end=end),
        currency="GBP",
        opened=41,
        closed=37,
        withdrawn=2,
        upheld=20,
        with_findings=32,
        upheld_pct=62.5,
        acknowledge=Percentiles(count=41, p50_hours=1.5, p90_hours=6.0),
        resolve=Percentiles(count=35, p50_hours=30.0, p90_hours=120.0),
        clocks=[],
        escalated_cases=3,
        escalations=4,
        redress_total=Decimal("1234.50"),
        redress_by_kind=[],
        budgets=[],
        csat=CsatFigure(responses=12, average=4.4, distribution={1: 0, 2: 1, 3: 1, 4: 4, 5: 6}, comments=[]),
        csat_by_month=[],
        root_causes=[
            RootCauseFigure(code="billing.duplicate-charge", cases=12, share_pct=37.5, cumulative_pct=37.5),
            RootCauseFigure(code="delivery.late", cases=8, share_pct=25.0, cumulative_pct=62.5),
        ],
        reopened=1,
        reopen_pct=2.7,
        surveys_sent=30,
        surveys_answered=12,
        survey_response_pct=40.0,
        weeks=[],
        resolve_distribution=[],
        generated_at=end,
    )
