"""Issue 17, the monthly report activity: the month's figures, the HTML page attached, mailed once a month.

With stand-ins for the figures and the page, the mail goes once a month and a month already
mailed is not computed again; with the real ones, the archived month's report is attached.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.testing import ActivityEnvironment

from activities.monthly_report import REPORT_KIND, MonthlyReportActivities
from activities.outbox import Outbox
from activities.rules_file import RulesFile
from complaints.monthly_report import MonthlyReportRequest
from complaints.report_figures import ReportFigures, ReportFilter
from complaints.rules import CaseRules
from starter.dev.mailsink import MailSink, read_mail
from tests.activities.incident_books import Database
from tests.fixtures_activities import make_settings
from tests.review_support import archive, archived_case, month_figures

CONFIG = Path(__file__).resolve().parents[2] / "config" / "complaints.toml"


class StandIns:
    """ReportReader(engine).figures and render_html_report, counting their calls."""

    def __init__(self) -> None:
        self.asked: list[ReportFilter] = []

    async def figures(self, report_filter: ReportFilter, rules: CaseRules) -> ReportFigures:
        assert rules.version == "2026-11-b"
        self.asked.append(report_filter)
        return month_figures(report_filter.start, report_filter.end)

    @staticmethod
    def render(figures: ReportFigures) -> str:
        return f"<!DOCTYPE html><p>{figures.opened} received from {figures.filter.start:%Y-%m-%d} · £</p>"


def reporting(tmp_path: Path, database: Database, port: int, stand_ins: StandIns) -> MonthlyReportActivities:
    settings = make_settings(tmp_path / "data", port)
    return MonthlyReportActivities(settings, database.engine, RulesFile(CONFIG), stand_ins.figures, stand_ins.render)


async def test_the_report_goes_once_a_month_with_its_page_attached(
    tmp_path: Path, database: Database, fresh_sink: MailSink
) -> None:
    month = "2026-11"
    stand_ins = StandIns()
    acts = reporting(tmp_path, database, fresh_sink.port, stand_ins)
    request = MonthlyReportRequest(month=month)

    first = await ActivityEnvironment().run(acts.send_monthly_report, request)
    second = await ActivityEnvironment().run(acts.send_monthly_report, request)
    assert (first.mailed, second.mailed) == (True, False)
    assert first.key == second.key == f"monthly-report:{month}"
    november = ReportFilter(start=datetime(2026, 11, 1, tzinfo=UTC), end=datetime(2026, 12, 1, tzinfo=UTC))
    assert stand_ins.asked == [november]  # a month already mailed is not computed again

    [path] = fresh_sink.messages()
    mail = read_mail(path)
    assert mail["X-Complaintflow-Kind"] == REPORT_KIND
    assert mail["X-Complaintflow-Key"] == f"monthly-report:{month}"
    assert mail["Subject"] == "Complaints report for November 2026"
    assert "Dana Whitfield" in mail["To"] and "Rowan Okafor" in mail["To"]
    [page] = list(mail.iter_attachments())
    assert page.get_filename() == f"complaints-report-{month}.html"
    assert page.get_content_type() == "text/html"
    assert page.get_content() == "<!DOCTYPE html><p>41 received from 2026-11-01 · £</p>"
    entry = await Outbox(database.engine).get(f"monthly-report:{month}")
    assert entry is not None and (entry.status, entry.attempts, entry.kind) == ("sent", 1, REPORT_KIND)


async def test_the_real_report_of_the_archived_month_is_attached(
    tmp_path: Path, database: Database, fresh_sink: MailSink
) -> None:
    """The real figures and page: three cases closed in October 2026, one in November (not counted)."""
    received = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
    cases = [archived_case(f"C-{n}", "billing.duplicate-charge", received + timedelta(days=n)) for n in range(3)]
    cases.append(archived_case("C-NOV", "delivery.late", datetime(2026, 11, 20, 9, 0, tzinfo=UTC)))
    await archive(database.engine, cases)
    acts = MonthlyReportActivities(
        make_settings(tmp_path / "data", fresh_sink.port), database.engine, RulesFile(CONFIG)
    )

    sent = await ActivityEnvironment().run(acts.send_monthly_report, MonthlyReportRequest(month="2026-10"))

    assert sent.mailed
    [path] = fresh_sink.messages()
    mail = read_mail(path)
    assert mail["Subject"] == "Complaints report for October 2026"
    [page] = list(mail.iter_attachments())
    html = page.get_content()
    assert page.get_filename() == "complaints-report-2026-10.html"
    assert html.count("<svg") == 4  # no survey answers and no redress: those two charts say so instead
    assert "billing.duplicate-charge" in html and "delivery.late" not in html
    assert "http://" not in html and "https://" not in html
