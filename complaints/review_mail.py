"""What the scheduled reviews mail the managers: who they are, and the wording (Jinja2 templates).

Managers are the staff in the rules whose role is one of the configured roles (default: those
above team lead); a member who is away is replaced by their delegate. The two messages are
`templates/emerging_alert.txt.j2` and `templates/monthly_report.txt.j2`, plain text, in English
and UTC like every staff message.
"""

from __future__ import annotations

from collections.abc import Sequence

from complaints.emerging import ONE_DAY, AlertedCase, EmergingIssue
from complaints.report_figures import ReportFigures
from complaints.rules import CaseRules, StaffMember
from complaints.templates import ORGANISATION, RenderedMessage, environment, render_blocks
from complaints.wording import DATE_WORDS, DEFAULT_LANGUAGE

EMERGING_TEMPLATE = "emerging_alert.txt.j2"
MONTHLY_TEMPLATE = "monthly_report.txt.j2"
MONTH_NAMES = DATE_WORDS[DEFAULT_LANGUAGE].months  # staff mail is in the default language


def managers_of(rules: CaseRules, roles: Sequence[str]) -> list[StaffMember]:
    """Staff of these roles, in the rules' order; one away is replaced by their delegate."""
    found: list[StaffMember] = []
    for member in rules.staff:
        if member.role not in roles:
            continue
        stand_in = rules.staff_member(member.delegate) if member.away and member.delegate else None
        chosen = stand_in or member
        if chosen not in found:
            found.append(chosen)
    return found


def greeting(names: Sequence[str]) -> str:
    """`Dana Whitfield and Rowan Okafor`; `managers` when the mail goes to a configured address."""
    if not names:
        return "managers"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _variables(**values: object) -> dict[str, object]:
    return {"language": DEFAULT_LANGUAGE, "timezone": "UTC", "organisation": ORGANISATION, **values}


def render_emerging_alert(issue: EmergingIssue, cases: Sequence[AlertedCase], names: Sequence[str]) -> RenderedMessage:
    template = environment().get_template(EMERGING_TEMPLATE)
    variables = _variables(
        issue=issue,
        cases=cases,
        greeting=greeting(names),
        window=issue.window,
        last_day=issue.window.end - ONE_DAY,
        window_days=(issue.window.end - issue.window.start).days,
        alert_key=issue.alert_key,
    )
    return render_blocks(template, variables)


def month_name(month: str) -> str:
    """`2026-11` -> `November 2026`."""
    year, number = month.split("-")
    return f"{MONTH_NAMES[int(number) - 1]} {year}"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} %"


def _hours(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.1f} hours" if value < 48 else f"{value / 24:.1f} days"


def render_monthly_report(
    month: str, figures: ReportFigures, attachment: str, key: str, names: Sequence[str]
) -> RenderedMessage:
    template = environment().get_template(MONTHLY_TEMPLATE)
    variables = _variables(
        month=month,
        month_name=month_name(month),
        figures=figures,
        attachment=attachment,
        key=key,
        greeting=greeting(names),
        percent=_percent,
        hours=_hours,
    )
    return render_blocks(template, variables)
