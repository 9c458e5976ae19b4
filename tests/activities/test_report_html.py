"""The HTML report without a browser: every chart there, data escaped, one self-contained file."""

from __future__ import annotations

import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from activities.report_html import NO_CASES, duration, period_label, render_html_report
from complaints.report_figures import RootCauseFigure
from tests.report_samples import END, START, busy_half_year, empty_half_year

CHARTS = ("volumes", "resolve", "clocks", "pareto", "csat", "budgets")


@pytest.fixture(scope="module")
def busy() -> str:
    """The busy half-year's page, rendered once for the tests that only read it."""
    return render_html_report(busy_half_year())


def _figure(html: str, key: str) -> str:
    """The `<figure>` of one chart."""
    match = re.search(rf'<figure id="chart-{key}".*?</figure>', html, flags=re.S)
    assert match is not None, f"no figure for {key}"
    return match[0]


def test_every_chart_is_an_inline_svg_with_a_title_and_a_caption(busy: str) -> None:
    html = busy
    assert html.count("<svg ") == len(CHARTS)
    for key in CHARTS:
        figure = _figure(html, key)
        assert f'role="img" aria-labelledby="{key}-title {key}-desc"' in figure
        assert re.search(rf'<title id="{key}-title">[^<]+</title>', figure), key
        assert re.search(r"<figcaption>[^<]+</figcaption>", figure), key
        assert figure.count("<path ") >= 5, key  # bars, axes and ticks were drawn


def test_chart_text_is_text_not_outlines(busy: str) -> None:
    """Labels stay <text>: selectable, searchable, read out by screen readers."""
    pareto = _figure(busy, "pareto")
    assert re.search(r"<text [^>]*>billing\.duplicate-charge</text>", pareto)
    assert re.search(r'<title id="pareto-title">Root causes \(Pareto\)</title>', pareto)


def test_the_report_names_nothing_outside_itself(busy: str) -> None:
    for html in (busy, render_html_report(empty_half_year())):
        assert "http://" not in html and "https://" not in html
        assert not re.search(r"<(script|link|img|iframe|object)\b", html)
        assert not re.search(r"\bsrc=|@import", html)
        assert set(re.findall(r"url\((.)", html)) <= {"#"}  # only the charts' own clip paths


def test_ids_are_unique_and_every_reference_finds_its_element(busy: str) -> None:
    """Six matplotlib figures in one page: their `patch_1`s and clip paths must not collide."""
    html = busy
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert [name for name, count in Counter(ids).items() if count > 1] == []
    references = set(re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', html))
    targets = {name for pair in references for name in pair if name}
    assert targets, "the charts reference their clip paths and markers"
    assert targets <= set(ids)


def test_data_is_escaped_in_tables_and_charts() -> None:
    attack = "<script>alert('x')</script> & more"
    figures = busy_half_year(comments=[("C-1", 1, attack)])
    causes = [RootCauseFigure(code="billing.<b>bold</b>", cases=3, share_pct=60.0, cumulative_pct=60.0)]
    causes.append(RootCauseFigure(code="fees.$5$-charge", cases=2, share_pct=40.0, cumulative_pct=100.0))
    html = render_html_report(figures.model_copy(update={"root_causes": causes}))
    assert "<script" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more" in html
    pareto = _figure(html, "pareto")
    assert "billing.&lt;b&gt;bold&lt;/b&gt;" in pareto  # in the chart's <text> as well as the table
    assert re.search(r"<text [^>]*>fees\.\$5\$-charge</text>", pareto)  # a dollar sign, not mathtext


def test_a_period_with_no_cases_says_so_instead_of_drawing() -> None:
    html = render_html_report(empty_half_year())
    assert NO_CASES in html
    assert "<svg" not in html
    assert "team north" in html  # the filter the empty report was asked for


def test_a_chart_with_nothing_to_draw_says_so_and_the_others_are_drawn() -> None:
    figures = busy_half_year().model_copy(update={"csat_by_month": [], "budgets": []})
    html = render_html_report(figures)
    assert NO_CASES not in html
    assert "No customer answered a satisfaction survey in this period." in _figure(html, "csat")
    assert "<svg" not in _figure(html, "budgets")
    assert html.count("<svg ") == len(CHARTS) - 2


def test_key_figures_and_tables_carry_the_numbers(busy: str) -> None:
    html = busy
    assert "1 Jul 2026 to 31 Dec 2026" in html
    assert re.search(r"Upheld</th><td class=\"num\">60\.2%</td><td>118 of 196", html)
    assert re.search(r"Time to resolve \(p50 / p90\)</th><td class=\"num\">4\.0 days / 25\.4 days", html)
    assert "£205,320.00" in html  # redress total, in the report's currency
    assert '<td>delivery</td><td>Sep 2026</td><td class="num">£17,700.00</td>' in html
    assert "Took three reminders before anyone called me back." in html


def test_a_budget_row_without_budget_shows_a_dash(busy: str) -> None:
    html = busy
    assert '<td>other</td><td>Sep 2026</td><td class="num">£120.00</td><td class="num">—</td>' in html
    assert Decimal("120.00") in [row.paid for row in busy_half_year().budgets]


def test_labels() -> None:
    assert period_label(START, END) == "1 Jul 2026 to 31 Dec 2026"
    assert (duration(None), duration(5.54), duration(47.9), duration(96)) == ("—", "5.5 h", "47.9 h", "4.0 days")


def test_rendering_is_repeatable_and_safe_side_by_side_in_threads(busy: str) -> None:
    """A worker renders reports in threads: the same figures give the same page, however many at once."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        together = list(pool.map(render_html_report, [busy_half_year()] * 3))
    assert together == [busy] * 3


def test_the_page_is_small_enough_to_mail(busy: str) -> None:
    assert len(busy.encode()) < 250_000
