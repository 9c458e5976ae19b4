"""Issue 17: whom the scheduled reviews mail, and what the alert and the monthly report say."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from complaints.emerging import AlertedCase, EmergingIssue, ReviewWindow
from complaints.review_mail import (
    greeting,
    managers_of,
    month_name,
    render_emerging_alert,
    render_monthly_report,
)
from complaints.rules import CaseRules, load_rules
from tests.review_support import month_figures

CONFIG = Path(__file__).resolve().parents[2] / "config" / "complaints.toml"
MANAGER_ROLES = ["manager", "director"]


def rules() -> CaseRules:
    return load_rules(CONFIG)


def test_the_managers_are_the_staff_above_team_lead() -> None:
    assert [member.id for member in managers_of(rules(), MANAGER_ROLES)] == ["mgr-dana", "dir-rowan"]
    assert [member.id for member in managers_of(rules(), ["team_lead"])] == ["tl-jordan"]
    assert managers_of(rules(), ["nobody"]) == []


def test_a_manager_away_is_replaced_by_their_delegate_once() -> None:
    base = rules()
    staff = [
        member.model_copy(update={"away": True, "delegate": "dir-rowan"}) if member.id == "mgr-dana" else member
        for member in base.staff
    ]
    changed = base.model_copy(update={"staff": tuple(staff)})
    assert [member.id for member in managers_of(changed, MANAGER_ROLES)] == ["dir-rowan"]
    assert [member.id for member in managers_of(changed, ["manager"])] == ["dir-rowan"]


def test_greeting() -> None:
    assert greeting([]) == "managers"
    assert greeting(["Dana Whitfield"]) == "Dana Whitfield"
    assert greeting(["A", "B", "C"]) == "A, B and C"


def test_the_alert_names_the_cause_the_figures_and_every_case() -> None:
    window = ReviewWindow(start=datetime(2026, 11, 9, tzinfo=UTC), end=datetime(2026, 11, 16, tzinfo=UTC))
    issue = EmergingIssue(
        code="billing.duplicate-charge",
        window=window,
        count=3,
        baseline=Decimal("0.50"),
        baseline_windows=4,
        ratio=Decimal("2.0"),
        minimum_cases=3,
    )
    cases = [
        AlertedCase(complaint_id="C-1", product="broadband", received_at=datetime(2026, 11, 9, 8, tzinfo=UTC)),
        AlertedCase(complaint_id="C-2", product=None, received_at=datetime(2026, 11, 12, 8, tzinfo=UTC)),
        AlertedCase(complaint_id="C-3", product="mobile", received_at=datetime(2026, 11, 15, 23, tzinfo=UTC)),
    ]
    rendered = render_emerging_alert(issue, cases, ["Dana Whitfield", "Rowan Okafor"])
    assert rendered.subject == (
        "Emerging issue: billing.duplicate-charge, 3 cases received 2026-11-09..2026-11-15 (usually 0.50)"
    )
    text = rendered.text
    assert text.startswith("Hello Dana Whitfield and Rowan Okafor,")
    assert "Received Monday 9 November 2026 to Sunday 15 November 2026: 3 cases" in text
    assert "Usual: 0.50 a window (the mean of the 4 windows of 7 days before)" in text
    assert "at least 3 cases and at least 2.0 times the usual" in text
    assert "- C-1, broadband, received Monday 9 November 2026" in text
    assert "- C-2, no product, received Thursday 12 November 2026" in text
    assert "- C-3, mobile, received Sunday 15 November 2026" in text
    assert issue.alert_key in text
    assert "{{" not in text and "{%" not in text


def test_the_monthly_report_mail_gives_the_headlines_and_names_the_attachment() -> None:
    figures = month_figures(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    rendered = render_monthly_report("2026-11", figures, "complaints-report-2026-11.html", "monthly-report:2026-11", [])
    assert rendered.subject == "Complaints report for November 2026"
    text = rendered.text
    assert text.startswith("Hello managers,")
    assert "attached (complaints-report-2026-11.html)" in text
    assert "- 41 complaints received, 37 closed (2 withdrawn)" in text
    assert "- upheld: 62.5 % of the 32 closed with findings" in text
    assert "resolved within 30.0 hours for half of the cases, 5.0 days for nine in ten" in text
    assert "- redress paid: £1,234.50" in text
    assert "- customer satisfaction: 4.4 (12 answers)" in text
    assert "- billing.duplicate-charge: 12 cases (37.5 %)" in text
    assert month_name("2027-01") == "January 2027"


def test_a_month_without_figures_says_so_rather_than_failing() -> None:
    figures = month_figures(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    empty = figures.model_copy(
        update={
            "upheld_pct": None,
            "reopen_pct": None,
            "resolve": figures.resolve.model_copy(update={"p50_hours": None, "p90_hours": None}),
            "csat": figures.csat.model_copy(update={"average": None, "responses": 0}),
            "root_causes": [],
        }
    )
    text = render_monthly_report("2026-11", empty, "x.html", "k", ["Dana Whitfield"]).text
    assert "- upheld: n/a of the 32 closed with findings" in text
    assert "- customer satisfaction: no answers (0 answers)" in text
    assert "most frequent root causes" not in text
