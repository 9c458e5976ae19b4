"""Issue 17, the monthly report activity: the month's figures, the HTML page attached, mailed once a month.

`activities.reports` (the figures) and `activities.report_html` (the page) are written on other
branches; here the activity is given stand-ins with their signatures, and the lazy import is
checked to fail cleanly (non-retryable) where a module is missing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities import monthly_report
from activities.monthly_report import REPORT_KIND, MonthlyReportActivities
from activities.outbox import Outbox
from activities.rules_file import RulesFile
from complaints.monthly_report import MonthlyReportRequest
from complaints.report_figures import ReportFigures, ReportFilter
from complaints.rules import CaseRules
from starter.dev.mailsink import MailSink, read_mail
from tests.activities.incident_books import Database
from tests.fixtures_activities import make_settings
from tests.review_support import month_figures

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


async def test_without_the_report_modules_the_activity_fails_for_good(
    tmp_path: Path, database: Database, fresh_sink: MailSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(monthly_report, "READER_MODULE", "activities.no_such_reports")
    settings = make_settings(tmp_path / "data", fresh_sink.port)
    acts = MonthlyReportActivities(settings, database.engine, RulesFile(CONFIG))
    with pytest.raises(ApplicationError, match=r"activities\.no_such_reports") as failed:
        await ActivityEnvironment().run(acts.send_monthly_report, MonthlyReportRequest(month="2031-02"))
    assert failed.value.non_retryable
    assert fresh_sink.messages() == []
