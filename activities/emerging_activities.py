"""The emerging-issue review's activities: count root causes in the archive, and alert the managers.

An alert is written and mailed by one activity: its `emerging_alerts` row (unique `alert_key`,
one per root cause and window) and its outbox row (the same key) make a second review of the
window, or a retried activity, mail nothing more. A row without a sent mail (the mail failed)
is mailed by the next attempt.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.schema import Table
from temporalio import activity

from activities.archive import FILES
from activities.archive_tables import EmergingAlertRow
from activities.config import ActivityConfig
from activities.db import as_utc, insert_or_ignore, utcnow, writing
from activities.mailer import build_staff_email
from activities.outbox import Outbox
from activities.rules_file import RulesFile
from activities.staff_mail import StaffMail, managers
from complaints import contracts
from complaints.emerging import (
    AlertedCase,
    EmergingAlertResult,
    EmergingIssue,
    ReviewWindow,
    ReviewWindows,
    RootCauseCounts,
)
from complaints.review_mail import render_emerging_alert

ALERTS = cast(Table, EmergingAlertRow.__table__)
ALERT_KIND = "emerging_alert"


class EmergingActivities:
    def __init__(self, settings: ActivityConfig, engine: AsyncEngine, rules: RulesFile) -> None:
        self._settings = settings
        self._engine = engine
        self._rules = rules
        self._mail = StaffMail(settings, Outbox(engine))

    def all(self) -> list[Any]:
        return [self.count_root_causes, self.raise_emerging_alert]

    @activity.defn(name=contracts.COUNT_ROOT_CAUSES.name)
    async def count_root_causes(self, request: ReviewWindows) -> RootCauseCounts:
        """Each window's count per root cause, for the codes seen in the recent window (one GROUP BY a window)."""
        async with self._engine.connect() as conn:
            recent = await _counts(conn, request.recent, None)
            codes = sorted(recent)
            counts = {code: [0] * len(request.windows) for code in codes}
            for n, window in enumerate(request.windows):
                found = recent if window == request.recent else await _counts(conn, window, codes)
                for code, count in found.items():
                    counts[code][n] = count
        return RootCauseCounts(windows=request.windows, counts=counts)

    @activity.defn(name=contracts.RAISE_EMERGING_ALERT.name)
    async def raise_emerging_alert(self, issue: EmergingIssue) -> EmergingAlertResult:
        """Record the alert (once per key) and mail it to the managers (once per key)."""
        key = issue.alert_key
        if await self._mail.already_sent(key):
            activity.logger.info("emerging issue %s was alerted before", key)
            return EmergingAlertResult(alert_key=key, cases=issue.count, mailed=False)
        cases = await self._cases(issue)
        async with writing(self._engine) as conn:
            await insert_or_ignore(conn, ALERTS, _alert_row(issue, cases), key="alert_key")
        to = managers(self._settings, self._rules.load())
        message = build_staff_email(
            self._settings,
            to=to.to,
            key=key,
            kind=ALERT_KIND,
            reference=issue.code,  # what it is about; the key (with the window) is in X-Complaintflow-Key
            rendered=render_emerging_alert(issue, cases, to.names),
        )
        mailed = await self._mail.send_once(message, key, ALERT_KIND)
        activity.logger.info("emerging issue %s: %d cases, managers mailed: %s", key, len(cases), mailed)
        return EmergingAlertResult(alert_key=key, cases=len(cases), mailed=mailed)

    async def _cases(self, issue: EmergingIssue) -> list[AlertedCase]:
        statement = (
            select(FILES.c.complaint_id, FILES.c.product, FILES.c.received_at)
            .where(FILES.c.root_cause_code == issue.code, *_within(issue.window))
            .order_by(FILES.c.received_at, FILES.c.complaint_id)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(statement)).all()
        return [AlertedCase(complaint_id=r[0], product=r[1], received_at=as_utc(r[2])) for r in rows]


def _within(window: ReviewWindow) -> list[Any]:
    return [FILES.c.received_at >= window.start, FILES.c.received_at < window.end]


async def _counts(conn: AsyncConnection, window: ReviewWindow, codes: list[str] | None) -> dict[str, int]:
    """Archived cases per root cause received in the window (only these codes, when given)."""
    if codes == []:
        return {}
    code = FILES.c.root_cause_code
    condition = code.is_not(None) if codes is None else code.in_(codes)
    statement = select(code, func.count()).where(condition, *_within(window)).group_by(code)
    return {str(row[0]): int(row[1]) for row in await conn.execute(statement)}


def _alert_row(issue: EmergingIssue, cases: list[AlertedCase]) -> dict[str, Any]:
    return {
        "alert_key": issue.alert_key,
        "root_cause_code": issue.code,
        "window_start": issue.window.start,
        "window_end": issue.window.end,
        "count": issue.count,
        "baseline": str(issue.baseline),
        "cases": [case.complaint_id for case in cases],
        "raised_at": utcnow(),
    }
