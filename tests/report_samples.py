"""Hand-built `ReportFigures` for tests that render reports: a busy half-year and an empty one.

The figures are consistent with each other the way the archive's would be (the Pareto's
shares add up, budgets' used % match their amounts), so a rendering that misreads one field
shows up as a wrong number, not as noise.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from complaints.report_figures import (
    BudgetFigure,
    ClockFigure,
    CsatFigure,
    CsatMonth,
    Percentiles,
    RedressByKind,
    ReportFigures,
    ReportFilter,
    ResolveBucket,
    RootCauseFigure,
    WeekVolume,
    percentage,
)

START, END = datetime(2026, 7, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
MONTHS = [date(2026, month, 1) for month in range(7, 13)]
BUDGET = {"billing": Decimal(20000), "delivery": Decimal(15000), "service": Decimal(10000)}
CAUSES = {
    "billing.duplicate-charge": 61,
    "delivery.late": 44,
    "delivery.damaged": 29,
    "billing.wrong-tariff": 17,
    "service.rude-agent": 12,
    "product.defect": 9,
    "service.no-callback": 7,
    "billing.refund-delay": 5,
    "product.missing-part": 4,
    "delivery.wrong-address": 3,
    "other.website": 2,
    "service.hold-time": 2,
    "product.manual": 1,
    "(none)": 4,
}


def _weeks() -> list[WeekVolume]:
    first = date(2026, 6, 29)  # the Monday of the week 1 July falls in
    rows = []
    for index in range(27):
        opened = 8 + (index * 7) % 11 + (14 if 9 <= index <= 11 else 0)  # an incident in September
        rows.append(
            WeekVolume(week=first + timedelta(weeks=index), opened=opened, closed=max(0, opened - 3 + index % 4))
        )
    return rows


def _root_causes() -> list[RootCauseFigure]:
    ordered = sorted(CAUSES.items(), key=lambda item: -item[1])
    total = sum(CAUSES.values())
    rows, running = [], 0
    for code, cases in ordered:
        running += cases
        rows.append(
            RootCauseFigure(
                code=code,
                cases=cases,
                share_pct=percentage(cases, total) or 0.0,
                cumulative_pct=percentage(running, total) or 0.0,
            )
        )
    return rows


def _budgets() -> list[BudgetFigure]:
    rows = []
    for category, budget in BUDGET.items():
        for index, month in enumerate(MONTHS):
            paid = budget * Decimal(35 + (index * 17 + len(category) * 11) % 80) / 100
            if category == "delivery" and month.month == 9:
                paid = budget * Decimal("1.18")  # the incident month went over
            paid = paid.quantize(Decimal("0.01"))
            rows.append(
                BudgetFigure(
                    category=category,
                    month=month,
                    paid=paid,
                    budget=budget,
                    used_pct=round(float(100 * paid / budget), 1),
                )
            )
    rows.append(BudgetFigure(category="other", month=MONTHS[2], paid=Decimal("120.00"), budget=None, used_pct=None))
    return rows


def busy_half_year(comments: list[tuple[str, int, str]] | None = None) -> ReportFigures:
    """2026H2 of a mid-sized team: ~400 complaints, an incident in September, one month over budget."""
    weeks = _weeks()
    opened, closed = sum(w.opened for w in weeks), sum(w.closed for w in weeks)
    distribution = {5: 58, 4: 61, 3: 27, 2: 14, 1: 9}
    answers = sum(distribution.values())
    surveys = 301
    budgets = _budgets()
    return ReportFigures(
        filter=ReportFilter(start=START, end=END),
        currency="GBP",
        opened=opened,
        closed=closed,
        withdrawn=11,
        upheld=118,
        with_findings=196,
        upheld_pct=percentage(118, 196),
        acknowledge=Percentiles(count=opened, p50_hours=3.5, p90_hours=21.0),
        resolve=Percentiles(count=closed - 11, p50_hours=96.0, p90_hours=610.0),
        clocks=[
            ClockFigure(
                name="acknowledgement", finished=opened, met=opened - 6, met_pct=percentage(opened - 6, opened)
            ),
            ClockFigure(
                name="first_response", finished=opened - 2, met=opened - 31, met_pct=percentage(opened - 31, opened - 2)
            ),
            ClockFigure(name="investigation", finished=280, met=233, met_pct=percentage(233, 280)),
            ClockFigure(name="approval", finished=74, met=70, met_pct=percentage(70, 74)),
            ClockFigure(
                name="resolution", finished=closed - 11, met=closed - 60, met_pct=percentage(closed - 60, closed - 11)
            ),
            ClockFigure(name="regulatory:final_response", finished=190, met=187, met_pct=percentage(187, 190)),
        ],
        escalated_cases=23,
        escalations=31,
        redress_total=sum((row.paid for row in budgets), Decimal(0)),
        redress_by_kind=[
            RedressByKind(kind="refund", cases=140, amount=Decimal("98120.50")),
            RedressByKind(kind="goodwill", cases=85, amount=Decimal("21340.00")),
            RedressByKind(kind="replacement", cases=19, amount=Decimal("4410.75")),
        ],
        budgets=budgets,
        csat=CsatFigure(
            responses=answers,
            average=round(sum(score * n for score, n in distribution.items()) / answers, 2),
            distribution=distribution,
            comments=comments
            if comments is not None
            else [
                ("C-2026-0412", 5, "Sorted within a day, thank you."),
                ("C-2026-0398", 2, "Took three reminders before anyone called me back."),
                ("C-2026-0377", 4, "Fair refund, slow letter."),
            ],
        ),
        csat_by_month=[
            CsatMonth(month=month, responses=n, average=avg)
            for month, n, avg in zip(MONTHS, [24, 31, 18, 29, 33, 34], [3.9, 3.8, 3.1, 3.7, 4.0, 4.1], strict=True)
        ],
        root_causes=_root_causes(),
        reopened=9,
        reopen_pct=percentage(9, closed),
        surveys_sent=surveys,
        surveys_answered=answers,
        survey_response_pct=percentage(answers, surveys),
        weeks=weeks,
        resolve_distribution=[
            ResolveBucket(label=label, cases=cases)
            for label, cases in [
                ("≤ 1 day", 41),
                ("1-3 days", 96),
                ("3-7 days", 88),
                ("1-2 weeks", 61),
                ("2-4 weeks", 39),
                ("4-8 weeks", 22),
                ("> 8 weeks", 6),
            ]
        ],
        generated_at=datetime(2027, 1, 2, 7, 30, tzinfo=UTC),
    )


def empty_half_year() -> ReportFigures:
    """A period with no cases at all: every count zero, every rate and percentile None."""
    nothing = Percentiles(count=0, p50_hours=None, p90_hours=None)
    return ReportFigures(
        filter=ReportFilter(start=START, end=END, team="north"),
        currency="GBP",
        opened=0,
        closed=0,
        withdrawn=0,
        upheld=0,
        with_findings=0,
        upheld_pct=None,
        acknowledge=nothing,
        resolve=nothing,
        clocks=[],
        escalated_cases=0,
        escalations=0,
        redress_total=Decimal(0),
        redress_by_kind=[],
        budgets=[],
        csat=CsatFigure(responses=0, average=None, distribution=dict.fromkeys(range(1, 6), 0), comments=[]),
        csat_by_month=[CsatMonth(month=month, responses=0, average=None) for month in MONTHS],
        root_causes=[],
        reopened=0,
        reopen_pct=None,
        surveys_sent=0,
        surveys_answered=0,
        survey_response_pct=None,
        weeks=[WeekVolume(week=date(2026, 6, 29) + timedelta(weeks=i), opened=0, closed=0) for i in range(27)],
        resolve_distribution=[ResolveBucket(label="≤ 1 day", cases=0), ResolveBucket(label="> 8 weeks", cases=0)],
        generated_at=datetime(2027, 1, 2, 7, 30, tzinfo=UTC),
    )
