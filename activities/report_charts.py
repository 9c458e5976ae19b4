"""The six charts of the HTML report, each drawn from `ReportFigures` as inline SVG.

Charts are for what people would rather look at than read: how volume moved week by week, how
long cases took, which clocks slip, which few root causes make most complaints, how satisfied
customers were month by month, and where redress ran against its budget. Every number on a
chart is also in the report's tables; a chart with nothing to draw says so in words instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from markupsafe import Markup
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from activities.report_svg import draw_svg
from complaints.report_figures import (
    BudgetFigure,
    ClockFigure,
    CsatMonth,
    ReportFigures,
    ResolveBucket,
    RootCauseFigure,
    WeekVolume,
)
from complaints.wording import format_money

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
BLUE, ORANGE, GREEN, RED, GREY = "#0072B2", "#E69F00", "#009E73", "#D55E00", "#8c8c8c"
PARETO_BARS = 12  # the long tail past this many root causes is in the table, not on the chart
# Inches, drawn at the size the page shows them (1 pt of SVG = 4/3 px) so text reads at 10 pt:
# a wide chart fills the report's column, a narrow one half of it; a narrower window shrinks both.
WIDE, NARROW = 10.4, 5.0


@dataclass(frozen=True)
class Chart:
    """One chart's heading, caption and drawing; `svg` is None when there is nothing to draw."""

    key: str
    title: str
    caption: str
    svg: Markup | None
    empty: str = ""  # said instead of the chart when there is nothing to draw
    wide: bool = False  # spans the page's column rather than half of it


def day_label(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]}"


def month_label(month: date) -> str:
    return f"{MONTHS[month.month - 1]} {month.year}"


def _chart(key: str, title: str, caption: str, draw: Callable[[Figure], None], size: tuple[float, float]) -> Chart:
    return Chart(key, title, caption, draw_svg(draw, size, key, title, caption), wide=size[0] >= WIDE)


def _nothing(key: str, title: str, empty: str) -> Chart:
    return Chart(key, title, "", None, empty)


def _integer_axis(axes: Axes, axis: str = "y") -> None:
    (axes.yaxis if axis == "y" else axes.xaxis).set_major_locator(MaxNLocator(integer=True))


def volume_chart(weeks: list[WeekVolume]) -> Chart:
    key, title = "volumes", "Complaints opened and closed per week"
    if not any(week.opened or week.closed for week in weeks):
        return _nothing(key, title, "No complaints were opened or closed in this period.")
    opened, closed = sum(week.opened for week in weeks), sum(week.closed for week in weeks)
    caption = (
        f"Complaints received (opened) and closed in each ISO week, labelled by its Monday: "
        f"{opened} opened and {closed} closed over {len(weeks)} weeks."
    )

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        positions = list(range(len(weeks)))
        axes.bar([x - 0.2 for x in positions], [w.opened for w in weeks], width=0.4, color=BLUE, label="Opened")
        axes.bar([x + 0.2 for x in positions], [w.closed for w in weeks], width=0.4, color=ORANGE, label="Closed")
        step = max(1, -(-len(weeks) // 14))  # at most 14 labels, so they never overlap
        axes.set_xticks(positions[::step], [day_label(w.week) for w in weeks][::step], rotation=45, ha="right")
        axes.set_ylabel("Complaints")
        _integer_axis(axes)
        axes.legend(frameon=False, ncols=2, loc="upper left")

    return _chart(key, title, caption, draw, (WIDE, 3.6))


def resolve_chart(buckets: list[ResolveBucket], resolved: int) -> Chart:
    key, title = "resolve", "Time to resolve"
    if not any(bucket.cases for bucket in buckets):
        return _nothing(key, title, "No case was resolved in this period.")
    caption = f"How long the {resolved} cases closed and resolved in this period took from receipt to resolution."

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        bars = axes.bar([b.label for b in buckets], [b.cases for b in buckets], color=BLUE)
        axes.bar_label(bars, padding=2)
        axes.tick_params(axis="x", labelrotation=30)
        for label in axes.get_xticklabels():
            label.set_horizontalalignment("right")
        axes.set_ylabel("Cases")
        _integer_axis(axes)

    return _chart(key, title, caption, draw, (NARROW, 3.0))


def clock_chart(clocks: list[ClockFigure]) -> Chart:
    key, title = "clocks", "Deadlines met, per clock"
    shown = [clock for clock in clocks if clock.finished]
    if not shown:
        return _nothing(key, title, "No service-level or regulatory clock finished in this period.")
    worst = min(shown, key=lambda clock: clock.met_pct or 0.0)
    caption = (
        f"Share of clocks met among those that finished (met or breached) in this period; "
        f"the lowest is {worst.name} at {worst.met_pct:.1f}%."
    )

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        rows = list(reversed(shown))  # the first clock on top
        values = [clock.met_pct or 0.0 for clock in rows]
        colours = [GREEN if value >= 90 else ORANGE if value >= 75 else RED for value in values]
        bars = axes.barh([clock.name for clock in rows], values, color=colours)
        labels = [f"{clock.met_pct:.1f}% ({clock.met}/{clock.finished})" for clock in rows]
        axes.bar_label(bars, labels, padding=3)
        axes.set_xlim(0, 118)  # room for the labels right of a full bar
        axes.set_xticks([0, 25, 50, 75, 100])
        axes.xaxis.set_major_formatter(PercentFormatter())
        axes.set_xlabel("Met")

    return _chart(key, title, caption, draw, (NARROW, 1.0 + 0.4 * len(shown)))


def pareto_chart(causes: list[RootCauseFigure]) -> Chart:
    key, title = "pareto", "Root causes (Pareto)"
    if not causes:
        return _nothing(key, title, "No closed case had a root cause in this period.")
    shown = causes[:PARETO_BARS]
    vital = next((cause for cause in causes if cause.cumulative_pct >= 80), causes[-1])
    few = causes.index(vital) + 1
    caption = (
        f"Cases per root cause, largest first (bars), and the running share of all cases (line): "
        f"{few} of {len(causes)} root causes account for {vital.cumulative_pct:.1f}% of cases."
    )
    if len(causes) > PARETO_BARS:
        caption += f" The {len(causes) - PARETO_BARS} smallest are in the table below."

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        codes = [cause.code for cause in shown]
        axes.bar(codes, [cause.cases for cause in shown], color=BLUE, label="Cases")
        axes.set_ylabel("Cases")
        _integer_axis(axes)
        axes.tick_params(axis="x", labelrotation=35)
        for label in axes.get_xticklabels():
            label.set_horizontalalignment("right")
        share = axes.twinx()
        share.spines["right"].set_visible(True)
        share.plot(codes, [cause.cumulative_pct for cause in shown], color=ORANGE, marker="o", label="Cumulative")
        share.axhline(80, color=GREY, linestyle="--", linewidth=1)
        share.set_ylim(0, 105)
        share.yaxis.set_major_formatter(PercentFormatter())
        share.set_ylabel("Cumulative share")

    return _chart(key, title, caption, draw, (WIDE, 4.2))


def csat_chart(months: list[CsatMonth]) -> Chart:
    key, title = "csat", "Customer satisfaction per month"
    answered = [month for month in months if month.responses and month.average is not None]
    if not answered:
        return _nothing(key, title, "No customer answered a satisfaction survey in this period.")
    responses = sum(month.responses for month in answered)
    caption = f"Average satisfaction score (1 to 5) of the {responses} survey answers, by the month they came in."

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        labels = [month_label(month.month) for month in months]
        values = [month.average if month.responses and month.average is not None else 0.0 for month in months]
        bars = axes.bar(labels, values, color=GREEN)
        texts = [
            f"{month.average:.2f} (n={month.responses})" if month.responses and month.average is not None else "none"
            for month in months
        ]
        axes.bar_label(bars, texts, padding=2)
        axes.set_ylim(0, 5.6)
        axes.set_yticks([1, 2, 3, 4, 5])
        axes.set_ylabel("Average score")

    return _chart(key, title, caption, draw, (WIDE, 3.0))


def budget_chart(budgets: list[BudgetFigure], currency: str) -> Chart:
    key, title = "budgets", "Redress paid against budget"
    if not any(row.paid or row.budget for row in budgets):
        return _nothing(key, title, "No redress was paid and no budget applies in this period.")
    over = [row for row in budgets if row.budget is not None and row.paid > row.budget]
    caption = (
        f"Redress paid in each category and month ({currency}, bars) against that month's budget in the "
        f"rules (black marks); {len(over)} of {len(budgets)} category-months went over budget."
    )

    def money(value: float, _position: object = None) -> str:
        return f"{value:,.0f}"

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        rows = list(reversed(budgets))  # the first row on top
        names = [f"{row.category} · {month_label(row.month)}" for row in rows]
        colours = [GREY if row.budget is None else RED if row.paid > row.budget else BLUE for row in rows]
        axes.barh(names, [float(row.paid) for row in rows], color=colours)
        limits = [(index, float(row.budget)) for index, row in enumerate(rows) if row.budget is not None]
        if limits:
            axes.vlines(
                [limit for _, limit in limits],
                [index - 0.4 for index, _ in limits],
                [index + 0.4 for index, _ in limits],
                color="black",
                linewidth=2,
            )
        ends = [max(float(row.paid), float(row.budget or Decimal(0))) for row in rows]
        widest = max(ends) or 1.0
        for index, (row, end) in enumerate(zip(rows, ends, strict=True)):  # right of the bar and its mark
            axes.text(end + widest * 0.01, index, _budget_label(row, currency), va="center", fontsize=8)
        axes.set_xlim(0, widest * 1.4)  # room for those labels
        axes.xaxis.set_major_formatter(FuncFormatter(money))
        axes.set_xlabel(f"Paid ({currency})")
        axes.legend(handles=_budget_legend(rows), frameon=False, loc="lower right")

    return _chart(key, title, caption, draw, (WIDE, 1.2 + 0.3 * len(budgets)))


def _budget_legend(rows: list[BudgetFigure]) -> list[Artist]:
    """Only the kinds of bar the chart has, and the budget mark when there is one."""
    handles: list[Artist] = []
    kinds = {GREY if row.budget is None else RED if row.paid > row.budget else BLUE for row in rows}
    names = {BLUE: "Paid within budget", RED: "Paid over budget", GREY: "Paid, no budget"}
    handles += [Patch(color=colour, label=names[colour]) for colour in (BLUE, RED, GREY) if colour in kinds]
    if any(row.budget is not None for row in rows):
        handles.append(Line2D([], [], color="black", linewidth=2, label="Budget"))
    return handles


def _budget_label(row: BudgetFigure, currency: str) -> str:
    if row.budget is None:
        return f"{format_money(row.paid, currency)} (no budget)"
    return f"{format_money(row.paid, currency)} of {format_money(row.budget, currency)} ({row.used_pct or 0:.0f}%)"


def report_charts(figures: ReportFigures) -> list[Chart]:
    """Every chart of the report, in the order the page shows them."""
    return [
        volume_chart(figures.weeks),
        resolve_chart(figures.resolve_distribution, figures.resolve.count),
        clock_chart(figures.clocks),
        pareto_chart(figures.root_causes),
        csat_chart(figures.csat_by_month),
        budget_chart(figures.budgets, figures.currency),
    ]
