"""The report's figures over the archive, on SQLite and PostgreSQL, against March 2026 worked out by hand.

The forty cases and why each figure is what it is: tests/activities/report_cases.py.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from activities import reports
from activities.archive import CaseArchive
from activities.migrate import upgrade_to_head
from activities.report_volumes import opened_by_day
from activities.reports import ReportReader
from complaints.intake import Category
from complaints.report_figures import ReportFigures, ReportFilter, nearest_rank
from complaints.rules import CaseRules, load_rules
from infra.settings import PROJECT_ROOT
from tests.activities.databases import BACKENDS, empty_database, engines
from tests.activities.incident_books import Database
from tests.activities.report_cases import BUDGETS, MARCH, march_cases
from tests.case_files import at, case_file

NOW = datetime(2026, 4, 2, 8, 0, tzinfo=UTC)
D = Decimal


@pytest.fixture(scope="module")
async def reader(database: Database) -> ReportReader:
    archive = CaseArchive(database.engine, logging.getLogger(__name__))
    for case in march_cases():
        assert await archive.write(case)
    return ReportReader(database.engine)


@pytest.fixture(scope="module")
def rules() -> CaseRules:
    """The shipped rules with this test's monthly budgets."""
    shipped = load_rules(PROJECT_ROOT / "config" / "complaints.toml")
    budgets = {Category(name): amount for name, amount in BUDGETS.items()}
    return shipped.model_copy(
        update={"compensation": shipped.compensation.model_copy(update={"monthly_budget": budgets})}
    )


async def march(reader: ReportReader, rules: CaseRules | None = None, **filters: str) -> ReportFigures:
    return await reader.figures(ReportFilter(start=MARCH[0], end=MARCH[1], **filters), rules, now=NOW)


async def test_counts_and_rates_are_over_the_right_cases(reader: ReportReader) -> None:
    figures = await march(reader)
    assert (figures.opened, figures.closed, figures.withdrawn) == (21, 30, 3)
    assert (figures.with_findings, figures.upheld, figures.upheld_pct) == (26, 18, 69.2)
    assert (figures.escalated_cases, figures.escalations) == (5, 8)
    assert (figures.reopened, figures.reopen_pct) == (3, 10.0)
    assert (figures.surveys_sent, figures.surveys_answered, figures.survey_response_pct) == (20, 10, 50.0)
    assert figures.currency == "GBP" and figures.generated_at == NOW
    assert figures.filter == ReportFilter(start=MARCH[0], end=MARCH[1])


async def test_times_are_nearest_rank_percentiles_and_buckets(reader: ReportReader) -> None:
    figures = await march(reader)
    assert figures.acknowledge.model_dump() == {"count": 28, "p50_hours": 4.0, "p90_hours": 8.0}
    assert figures.resolve.model_dump() == {"count": 27, "p50_hours": 90.0, "p90_hours": 960.0}
    closed = [case for case in march_cases() if MARCH[0] <= case.closed_at < MARCH[1] and case.resolved_at]
    hours = sorted((case.resolved_at - case.received_at).total_seconds() / 3600 for case in closed if case.resolved_at)
    assert (figures.resolve.p50_hours, figures.resolve.p90_hours) == (
        nearest_rank(hours, 0.5),
        nearest_rank(hours, 0.9),
    )
    assert [(bucket.label, bucket.cases) for bucket in figures.resolve_distribution] == [
        ("≤ 1 day", 5),  # 24 h exactly (C-02) is within a day
        ("1-3 days", 7),  # 72 h exactly (C-04) is within three
        ("3 days-1 week", 6),
        ("1-2 weeks", 4),
        ("2-4 weeks", 2),
        ("4-8 weeks", 2),
        ("> 8 weeks", 1),
    ]


async def test_clocks_count_finished_and_met(reader: ReportReader) -> None:
    figures = await march(reader)
    assert [(c.name, c.finished, c.met, c.met_pct) for c in figures.clocks] == [
        ("acknowledgement", 29, 27, 93.1),  # C-30 (withdrawn) never finished; C-16 and C-29 breached
        ("resolution", 27, 22, 81.5),
        ("regulatory:final_response", 13, 12, 92.3),
    ]


async def test_money_is_exact_and_by_when_it_was_paid(reader: ReportReader, rules: CaseRules) -> None:
    figures = await march(reader, rules)
    assert figures.redress_total == D("265.79")  # C-01's 10.00 was paid in February but its case closed in March
    assert [(r.kind, r.cases, r.amount) for r in figures.redress_by_kind] == [
        ("refund", 4, D("340.10")),  # C-38's 214.50: paid in March, its case closes in April
        ("goodwill", 5, D("50.20")),  # 0.20 + ...: exact, not 50.199999
        ("replacement", 1, D("49.99")),
        ("account_credit", 1, D("30.00")),
    ]
    assert [(b.category, b.month, b.paid, b.budget, b.used_pct) for b in figures.budgets] == [
        ("billing", date(2026, 3, 1), D("295.00"), D(1000), 29.5),
        ("delivery", date(2026, 3, 1), D("169.99"), D(500), 34.0),
        ("other", date(2026, 3, 1), D("0.00"), D(25), 0.0),  # a budget nothing was paid from
        ("product", date(2026, 3, 1), D("0.30"), D(100), 0.3),
        ("service", date(2026, 3, 1), D("5.00"), D(50), 10.0),  # C-25's 7.00 was in euros
    ]


async def test_without_rules_there_are_no_budgets_and_the_currency_is_the_data_s(reader: ReportReader) -> None:
    figures = await march(reader)
    assert figures.currency == "GBP"
    assert [(b.category, b.paid, b.budget, b.used_pct) for b in figures.budgets] == [
        ("billing", D("295.00"), None, None),
        ("delivery", D("169.99"), None, None),
        ("product", D("0.30"), None, None),
        ("service", D("5.00"), None, None),
    ]


async def test_money_counts_only_the_report_s_currency(reader: ReportReader, rules: CaseRules) -> None:
    in_euros = rules.model_copy(update={"compensation": rules.compensation.model_copy(update={"currency": "EUR"})})
    figures = await march(reader, in_euros)
    assert figures.currency == "EUR" and figures.redress_total == D("7.00")
    assert [(r.kind, r.cases, r.amount) for r in figures.redress_by_kind] == [
        ("refund", 1, D("80.00")),
        ("goodwill", 1, D("7.00")),
    ]


async def test_csat_distribution_average_and_newest_comments(reader: ReportReader) -> None:
    figures = await march(reader)
    csat = figures.csat
    assert (csat.responses, csat.average) == (11, 3.73)  # 41 / 11; C-26 answered without a survey
    assert csat.distribution == {1: 1, 2: 1, 3: 2, 4: 3, 5: 4}
    assert csat.comments == [("C-26", 3, "Fine"), ("C-07", 5, "Quick and fair"), ("C-02", 1, "Took far too long")]
    assert [(m.month, m.responses, m.average) for m in figures.csat_by_month] == [(date(2026, 3, 1), 11, 3.73)]


async def test_root_causes_are_a_pareto_with_ties_by_code(reader: ReportReader) -> None:
    figures = await march(reader)
    assert [(r.code, r.cases, r.share_pct, r.cumulative_pct) for r in figures.root_causes] == [
        ("billing.duplicate-charge", 9, 34.6, 34.6),
        ("delivery.late", 7, 26.9, 61.5),
        ("product.defect", 4, 15.4, 76.9),
        ("(none)", 2, 7.7, 84.6),
        ("billing.wrong-tariff", 2, 7.7, 92.3),
        ("service.rude", 2, 7.7, 100.0),
    ]


async def test_weekly_volumes_list_every_week_of_the_period(reader: ReportReader) -> None:
    figures = await march(reader)
    assert [(w.week, w.opened, w.closed) for w in figures.weeks] == [
        (date(2026, 2, 23), 0, 1),  # Sunday 1 March: C-01 closed at midnight, the first instant of March
        (date(2026, 3, 2), 1, 7),
        (date(2026, 3, 9), 10, 7),
        (date(2026, 3, 16), 6, 7),
        (date(2026, 3, 23), 3, 7),
        (date(2026, 3, 30), 1, 1),  # C-33 received at 23:30 on 31 March; C-34 closed at midnight on 1 April
    ]


FILTERED = {
    "category": ("billing", 5, 12, 1, 11, 8, D("90.50")),
    "product": ("mobile", 3, 5, 0, 5, 5, D("199.99")),
    "owner": ("lena", 10, 10, 3, 6, 5, D("35.00")),
    "team": ("Care", 6, 6, 1, 4, 3, D("5.00")),
    "incident": ("INC-7", 1, 3, 0, 3, 3, D("169.99")),
}
"""filter -> (value, opened, closed, withdrawn, with findings, upheld, redress total)."""


@pytest.mark.parametrize("name", FILTERED)
async def test_each_filter_narrows_every_count(reader: ReportReader, name: str) -> None:
    value, opened, closed, withdrawn, findings, upheld, redress = FILTERED[name]
    report = ReportFilter(start=MARCH[0], end=MARCH[1]).model_copy(update={name: value})
    figures = await reader.figures(report, now=NOW)
    assert (figures.opened, figures.closed, figures.withdrawn) == (opened, closed, withdrawn)
    assert (figures.with_findings, figures.upheld, figures.redress_total) == (findings, upheld, redress)
    assert sum(w.closed for w in figures.weeks) == closed and sum(w.opened for w in figures.weeks) == opened
    assert sum(b.cases for b in figures.resolve_distribution) == figures.resolve.count


async def test_the_category_filter_reaches_money_budgets_and_causes(reader: ReportReader, rules: CaseRules) -> None:
    figures = await march(reader, rules, category="billing")
    assert [(r.kind, r.cases, r.amount) for r in figures.redress_by_kind] == [
        ("refund", 2, D("240.00")),
        ("account_credit", 1, D("30.00")),
        ("goodwill", 2, D("25.00")),
    ]
    assert [(b.category, b.paid, b.used_pct) for b in figures.budgets] == [("billing", D("295.00"), 29.5)]
    assert [(r.code, r.cases) for r in figures.root_causes] == [
        ("billing.duplicate-charge", 9),
        ("billing.wrong-tariff", 2),
    ]
    assert (figures.escalated_cases, figures.reopened, figures.reopen_pct) == (0, 1, 8.3)


async def test_the_owner_filter_reaches_escalations_and_feedback(reader: ReportReader) -> None:
    figures = await march(reader, owner="lena")
    assert (figures.escalated_cases, figures.escalations, figures.reopened) == (1, 1, 1)
    assert (figures.csat.responses, figures.csat.average, figures.csat.comments) == (1, 3.0, [("C-26", 3, "Fine")])
    assert (figures.surveys_sent, figures.survey_response_pct) == (0, None)


async def test_the_team_filter_reaches_clocks_and_times(reader: ReportReader) -> None:
    figures = await march(reader, team="Care")
    assert [(c.name, c.finished, c.met) for c in figures.clocks] == [("acknowledgement", 5, 5), ("resolution", 5, 5)]
    assert figures.resolve.model_dump() == {"count": 5, "p50_hours": 40.0, "p90_hours": 90.0}


async def test_the_incident_filter_reaches_redress_and_escalations(reader: ReportReader) -> None:
    figures = await march(reader, incident="INC-7")
    assert [(r.kind, r.amount) for r in figures.redress_by_kind] == [
        ("refund", D("100.00")),
        ("replacement", D("49.99")),
        ("goodwill", D("20.00")),
    ]
    assert (figures.escalated_cases, figures.escalations) == (2, 2)
    assert figures.resolve.model_dump() == {"count": 3, "p50_hours": 1344.0, "p90_hours": 1680.0}
    assert [b.cases for b in figures.resolve_distribution] == [0, 0, 0, 0, 1, 1, 1]


async def test_filters_combine(reader: ReportReader) -> None:
    figures = await march(reader, category="delivery", owner="priya")
    assert (figures.closed, figures.redress_total, figures.escalations) == (1, D("120.00"), 1)  # C-10 alone


async def test_a_two_month_period_has_a_row_per_month(reader: ReportReader, rules: CaseRules) -> None:
    figures = await reader.figures(ReportFilter(start=at(2, 1, 0), end=MARCH[1]), rules, now=NOW)
    assert (figures.closed, figures.opened) == (33, 21 + 15)  # received in February: C-01..C-10, C-35..C-39
    assert [(m.month, m.responses, m.average) for m in figures.csat_by_month] == [
        (date(2026, 2, 1), 1, 2.0),
        (date(2026, 3, 1), 11, 3.73),
    ]
    billing = [(b.month, b.paid, b.used_pct) for b in figures.budgets if b.category == "billing"]
    assert billing == [(date(2026, 2, 1), D("60.00"), 6.0), (date(2026, 3, 1), D("295.00"), 29.5)]
    assert figures.weeks[0].week == date(2026, 1, 26) and figures.weeks[-1].week == date(2026, 3, 30)
    assert len(figures.weeks) == 10


async def test_an_empty_period_has_every_bucket_and_score_at_zero(reader: ReportReader) -> None:
    figures = await reader.figures(ReportFilter(start=at(6, 1, 0), end=at(7, 1, 0)), now=NOW)
    assert (figures.opened, figures.closed, figures.upheld_pct, figures.reopen_pct) == (0, 0, None, None)
    assert figures.acknowledge.model_dump() == {"count": 0, "p50_hours": None, "p90_hours": None}
    assert [b.cases for b in figures.resolve_distribution] == [0] * 7
    assert figures.csat.distribution == {1: 0, 2: 0, 3: 0, 4: 0, 5: 0} and figures.csat.average is None
    assert figures.clocks == [] and figures.root_causes == [] and figures.budgets == []
    assert figures.redress_total == D("0.00") and figures.currency == "GBP"
    assert [(m.month, m.responses, m.average) for m in figures.csat_by_month] == [(date(2026, 6, 1), 0, None)]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_case_archived_while_the_figures_are_read_is_in_none_of_them(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every query reads one snapshot: the totals (read first) and the Pareto (read later) agree."""
    late = case_file(41, received=at(3, 2), closed=at(3, 20), resolve_hours=30, upheld=True, code="late.cause", csat=5)
    with empty_database(backend, tmp_path) as (url, schema):
        async with engines(url, schema, count=2) as (reading, writing):
            await upgrade_to_head(reading)
            archive = CaseArchive(writing, logging.getLogger(__name__))
            for case in march_cases()[:10]:
                await archive.write(case)

            async def opened_then_another_case_closes(conn: AsyncConnection, report: ReportFilter) -> Any:
                found = await opened_by_day(conn, report)
                assert await archive.write(late)
                return found

            monkeypatch.setattr(reports, "opened_by_day", opened_then_another_case_closes)
            during = await ReportReader(reading).figures(ReportFilter(start=MARCH[0], end=MARCH[1]))
            monkeypatch.undo()
            after = await ReportReader(reading).figures(ReportFilter(start=MARCH[0], end=MARCH[1]))
    assert sum(cause.cases for cause in during.root_causes) == during.with_findings == 10
    assert during.csat.responses == 10 and during.resolve.count == 10
    assert (after.with_findings, after.csat.responses, after.resolve.count) == (11, 11, 11)
