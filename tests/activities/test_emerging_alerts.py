"""Issue 17, emerging issues over a real archive (SQLite and PostgreSQL) and a real SMTP sink.

A review here is what the workflow does: count (activity), decide (pure), alert (activity)
for each issue. An alert is raised at the threshold and not below it; a second review of the
same window mails nothing and writes no second row.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import func, select
from sqlalchemy.sql.schema import Table
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.archive_tables import EmergingAlertRow
from activities.emerging_activities import ALERT_KIND, EmergingActivities
from activities.outbox import Outbox
from activities.rules_file import RulesFile
from complaints.case_file import CaseFile
from complaints.emerging import EmergingReview, EmergingReviewResult, emerging_issues, review_windows
from infra.settings import Settings
from starter.dev.mailsink import MailSink, read_mail
from tests.activities.incident_books import Database
from tests.fixtures_activities import make_settings
from tests.review_support import archive, archived_case

CONFIG = Path(__file__).resolve().parents[2] / "config" / "complaints.toml"
ALERTS = cast(Table, EmergingAlertRow.__table__)
AS_OF = datetime(2026, 11, 16, 6, tzinfo=UTC)  # the recent window: 9..15 November
REVIEW = EmergingReview(window=timedelta(days=7), baseline_windows=4, ratio=Decimal("2.0"), minimum_cases=3)
RECENT = datetime(2026, 11, 9, tzinfo=UTC)


def emerging(tmp_path: Path, database: Database, port: int, **settings: object) -> EmergingActivities:
    base = make_settings(tmp_path / "data", port).model_copy(update=settings)
    return EmergingActivities(base, database.engine, RulesFile(CONFIG))


async def review(acts: EmergingActivities, as_of: datetime = AS_OF) -> EmergingReviewResult:
    """One run of the review, as workflows/emerging_review.py runs it."""
    env = ActivityEnvironment()
    windows = review_windows(as_of, REVIEW)
    counts = await env.run(acts.count_root_causes, windows)
    issues = emerging_issues(counts, REVIEW)
    mailed = 0
    for issue in issues:
        mailed += (await env.run(acts.raise_emerging_alert, issue)).mailed
    return EmergingReviewResult(as_of=as_of, window=windows.recent, issues=issues, mailed=mailed)


async def alert_rows(database: Database, key: str) -> int:
    async with database.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).where(ALERTS.c.alert_key == key))).scalar_one())


def cases_of(code: str, tag: str, per_window: list[int], received: timedelta = timedelta(days=1)) -> list[CaseFile]:
    """`per_window[n]` cases in window n (oldest first; the last is the recent one)."""
    found = []
    for n, count in enumerate(per_window):
        start = RECENT - (len(per_window) - 1 - n) * REVIEW.window
        found += [archived_case(f"{tag}-{n}-{i}", code, start + received + timedelta(hours=i)) for i in range(count)]
    return found


def alerts_in(sink: MailSink, code: str) -> list[str]:
    found = []
    for path in sink.messages():
        mail = read_mail(path)
        if mail["X-Complaintflow-Kind"] == ALERT_KIND and f":{code}:" in str(mail["X-Complaintflow-Key"]):
            found.append(str(mail["X-Complaintflow-Key"]))
    return found


async def test_an_alert_at_the_threshold_none_below_it_and_one_per_window(
    tmp_path: Path, database: Database, fresh_sink: MailSink
) -> None:
    tag = uuid.uuid4().hex[:6]
    at, below, new, few = (f"test.{name}-{tag}" for name in ("at", "below", "new", "few"))
    await archive(
        database.engine,
        [
            *cases_of(at, f"A{tag}", [2, 2, 2, 2, 4]),  # 4 = 2 x mean 2: crossed
            *cases_of(below, f"B{tag}", [2, 2, 2, 2, 3]),  # 3 < 4: just below
            *cases_of(new, f"N{tag}", [0, 0, 0, 0, 3]),  # never seen, the minimum: crossed
            *cases_of(few, f"F{tag}", [0, 0, 0, 0, 2]),  # never seen, below the minimum
            archived_case(f"X{tag}", new, RECENT + REVIEW.window),  # the day the review runs: the next window
            archived_case(f"Y{tag}", new, RECENT - timedelta(microseconds=1)),  # the window before
        ],
    )
    acts = emerging(tmp_path, database, fresh_sink.port)

    first = await review(acts)
    ours = {issue.code: issue for issue in first.issues if issue.code.endswith(tag)}
    assert sorted(ours) == sorted([at, new])
    assert (ours[at].count, ours[at].baseline) == (4, Decimal("2.00"))
    assert (ours[new].count, ours[new].baseline) == (3, Decimal("0.25"))  # Y counts in the baseline only
    assert first.mailed >= 2
    assert len(alerts_in(fresh_sink, at)) == 1 and len(alerts_in(fresh_sink, new)) == 1
    assert alerts_in(fresh_sink, below) == [] and alerts_in(fresh_sink, few) == []

    [mail] = [read_mail(path) for path in fresh_sink.messages() if f":{new}:" in read_mail(path)["X-Complaintflow-Key"]]
    text = mail.get_content()
    assert f"N{tag}-4-0, broadband, received Tuesday 10 November 2026" in text
    assert f"N{tag}-4-2" in text and f"X{tag}" not in text and f"Y{tag}" not in text
    assert (
        mail["To"]
        == "Dana Whitfield <dana.whitfield@complaintflow.example>, Rowan Okafor <rowan.okafor@complaintflow.example>"
    )

    second = await review(acts, AS_OF + timedelta(hours=12))  # the same day: the same window
    assert sorted(issue.code for issue in second.issues if issue.code.endswith(tag)) == sorted([at, new])
    assert len(alerts_in(fresh_sink, at)) == 1 and len(alerts_in(fresh_sink, new)) == 1
    for issue in ours.values():
        assert await alert_rows(database, issue.alert_key) == 1
        entry = await Outbox(database.engine).get(issue.alert_key)
        assert entry is not None and (entry.status, entry.attempts, entry.kind) == ("sent", 1, ALERT_KIND)
    async with database.engine.connect() as conn:
        row = (await conn.execute(select(ALERTS).where(ALERTS.c.alert_key == ours[new].alert_key))).one()
    assert row.cases == [f"N{tag}-4-0", f"N{tag}-4-1", f"N{tag}-4-2"]
    assert (row._mapping["count"], row.baseline, row.root_cause_code) == (3, "0.25", new)


async def test_a_failed_mail_is_sent_by_the_next_attempt_and_only_once(
    tmp_path: Path, database: Database, fresh_sink: MailSink
) -> None:
    tag = uuid.uuid4().hex[:6]
    code = f"test.retried-{tag}"
    await archive(database.engine, cases_of(code, f"R{tag}", [0, 0, 0, 0, 3]))
    issue = next(
        issue
        for issue in emerging_issues(
            await ActivityEnvironment().run(
                emerging(tmp_path, database, fresh_sink.port).count_root_causes, review_windows(AS_OF, REVIEW)
            ),
            REVIEW,
        )
        if issue.code == code
    )
    down = emerging(tmp_path, database, 9)  # nothing listens there
    with pytest.raises(ApplicationError) as failed:
        await ActivityEnvironment().run(down.raise_emerging_alert, issue)
    assert not failed.value.non_retryable
    assert await alert_rows(database, issue.alert_key) == 1  # written in the activity that sends
    entry = await Outbox(database.engine).get(issue.alert_key)
    assert entry is not None and entry.status == "pending"

    up = emerging(tmp_path, database, fresh_sink.port, managers_email="Board <board@complaintflow.example>")
    assert (await ActivityEnvironment().run(up.raise_emerging_alert, issue)).mailed
    assert not (await ActivityEnvironment().run(up.raise_emerging_alert, issue)).mailed
    assert alerts_in(fresh_sink, code) == [issue.alert_key]
    assert read_mail(fresh_sink.messages()[0])["To"] == "Board <board@complaintflow.example>"
    assert await alert_rows(database, issue.alert_key) == 1


def test_the_settings_reach_the_activities() -> None:
    settings = Settings(managers_roles=["director"], managers_email=None)
    assert settings.managers_roles == ["director"]
    assert Settings().managers_roles == ["manager", "director"]
