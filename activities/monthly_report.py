"""The monthly report activity: the month's figures from the archive, mailed to the managers as HTML.

The figures come from `activities.reports.ReportReader(engine).figures(filter, rules)` and the
page from `activities.report_html.render_html_report(figures)`, the same ones every other form
of the report uses. The mail carries the page as `complaints-report-YYYY-MM.html`
(`text/html`) and goes once a month: its idempotency key is `monthly-report:YYYY-MM`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity

from activities.config import ActivityConfig
from activities.mailer import Attachment, build_staff_email
from activities.outbox import Outbox
from activities.reports import ReportReader
from activities.rules_file import RulesFile
from activities.staff_mail import StaffMail, managers
from complaints import contracts
from complaints.monthly_report import ATTACHMENT_TYPE, MonthlyReportRequest, MonthlyReportResult
from complaints.report_figures import ReportFigures, ReportFilter
from complaints.report_period import parse_period
from complaints.review_mail import render_monthly_report
from complaints.rules import CaseRules

REPORT_KIND = "monthly_report"

FiguresOf = Callable[[ReportFilter, CaseRules], Awaitable[ReportFigures]]
RenderReport = Callable[[ReportFigures], str]


def _render_html(figures: ReportFigures) -> str:
    """The HTML report; imported here, not at the top, so the worker loads matplotlib only once a month."""
    from activities.report_html import render_html_report

    return render_html_report(figures)


class MonthlyReportActivities:
    def __init__(
        self,
        settings: ActivityConfig,
        engine: AsyncEngine,
        rules: RulesFile,
        figures_of: FiguresOf | None = None,
        render: RenderReport | None = None,
    ) -> None:
        self._settings = settings
        self._rules = rules
        self._figures_of = figures_of or ReportReader(engine).figures  # as every report form computes them
        self._render = render or _render_html
        self._mail = StaffMail(settings, Outbox(engine))

    def all(self) -> list[Any]:
        return [self.send_monthly_report]

    @activity.defn(name=contracts.SEND_MONTHLY_REPORT.name)
    async def send_monthly_report(self, request: MonthlyReportRequest) -> MonthlyReportResult:
        """The month's report to the managers, once: a month already mailed is not computed again."""
        key = request.key
        if await self._mail.already_sent(key):
            activity.logger.info("monthly report %s was mailed before", request.month)
            return MonthlyReportResult(month=request.month, key=key, mailed=False)
        start, end = parse_period(request.month)
        rules = self._rules.load()
        figures = await self._figures_of(ReportFilter(start=start, end=end), rules)
        page = Attachment(request.attachment_name, ATTACHMENT_TYPE, self._render(figures).encode("utf-8"))
        to = managers(self._settings, rules)
        rendered = render_monthly_report(request.month, figures, page.filename, key, to.names)
        message = build_staff_email(
            self._settings, to=to.to, key=key, kind=REPORT_KIND, reference=key, rendered=rendered, attachments=[page]
        )
        mailed = await self._mail.send_once(message, key, REPORT_KIND)
        return MonthlyReportResult(month=request.month, key=key, mailed=mailed)
