"""The chaos benchmark's verdict, from sources independent of each other and of the drivers:
the payout ledger and the outbox (the app's database, read through its SQLAlchemy models), the
sink's `.eml` files (their `X-Complaintflow-*` headers), and each case's workflow history and
result (from the server).
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email import policy
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from pathlib import Path

from chaos_drive import Watcher
from chaos_plan import Plan
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowExecutionStatus

from activities.db import OutboxRow, PayoutRow, as_utc, make_engine
from complaints.case import CaseOutcome
from complaints.intake import workflow_id_for

# The update that answers each kind of question a case asks (one answer per question).
FAMILIES = {
    "submit_findings": "findings",
    "approve": "approval",
    "reject": "approval",
    "amend": "approval",
    "respond_to_offer": "offer",
    "submit_feedback": "feedback",
}
ONCE_PER_CASE = ("acknowledgement", "survey_invitation", "thank_you")  # to the customer, whatever the journey
SEND_WINDOW_SLACK = timedelta(milliseconds=250)  # the sink names a file just after the last byte arrives
SEND_TIMEOUT = timedelta(seconds=60)  # workflows/messenger.py: send_message's start-to-close timeout


@dataclass(frozen=True)
class Mail:
    to: str
    kind: str
    reference: str
    key: str
    at: datetime


def read_mails(mail_dir: Path) -> list[Mail]:
    """Every message the sink stored."""
    return [read_mail(path) for path in sorted(mail_dir.glob("*.eml"))]


def read_mail(path: Path) -> Mail:
    """One stored message's headers; the file name starts with the UTC time it arrived."""
    headers = BytesHeaderParser(policy=policy.default).parsebytes(path.read_bytes())
    return Mail(
        to=parseaddr(str(headers["To"]))[1].lower(),
        kind=str(headers["X-Complaintflow-Kind"] or ""),
        reference=str(headers["X-Complaintflow-Reference"] or ""),
        key=str(headers["X-Complaintflow-Key"] or ""),
        at=datetime.strptime(path.name[:22], "%Y%m%dT%H%M%S.%f").replace(tzinfo=UTC),
    )


def amount_of(row: PayoutRow) -> Decimal:
    """The amount in major units, whether the ledger keeps a decimal or integer minor units."""
    minor = getattr(row, "amount_minor", None)
    if minor is not None:
        return Decimal(int(minor)) / 100
    return Decimal(str(row.amount)).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Sent:
    status: str
    attempts: int
    sent_at: datetime | None


async def read_store(database_url: str) -> tuple[dict[str, list[tuple[str, Decimal]]], dict[str, Sent]]:
    """Ledger rows by complaint (key, amount) and outbox rows by message key."""
    engine = make_engine(database_url)
    ledger: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    outbox: dict[str, Sent] = {}
    try:
        async with AsyncSession(engine) as session:
            for payout in (await session.scalars(select(PayoutRow))).all():
                ledger[payout.complaint_id].append((payout.idempotency_key, amount_of(payout)))
            for row in (await session.scalars(select(OutboxRow))).all():
                sent_at = as_utc(row.sent_at) if row.sent_at else None
                outbox[row.idempotency_key] = Sent(row.status, row.attempts, sent_at)
    finally:
        await engine.dispose()
    return ledger, outbox


@dataclass(frozen=True)
class CaseRecord:
    status: WorkflowExecutionStatus | None
    outcome: CaseOutcome | None
    answers: Counter[str]  # accepted updates by question family
    repeated_update_ids: int  # an update id accepted more than once


async def read_case(client: Client, complaint_id: str) -> CaseRecord:
    handle = client.get_workflow_handle(workflow_id_for(complaint_id), result_type=CaseOutcome)
    description = await handle.describe()
    outcome = None
    if description.status == WorkflowExecutionStatus.COMPLETED:
        outcome = await handle.result()
    answers: Counter[str] = Counter()
    ids: Counter[str] = Counter()
    history = await handle.fetch_history()
    for event in history.events:
        if event.HasField("workflow_execution_update_accepted_event_attributes"):
            request = event.workflow_execution_update_accepted_event_attributes.accepted_request
            family = FAMILIES.get(request.input.name)
            if family is not None:
                answers[family] += 1
            ids[request.meta.update_id] += 1
    return CaseRecord(description.status, outcome, answers, sum(n - 1 for n in ids.values() if n > 1))


@dataclass
class Verdict:
    complaints: int
    closed: int = 0
    stuck: list[str] = field(default_factory=list)
    double_payouts: list[str] = field(default_factory=list)
    wrong_amounts: list[str] = field(default_factory=list)
    second_decisions: list[str] = field(default_factory=list)
    customer_duplicates: list[str] = field(default_factory=list)
    staff_duplicates: list[str] = field(default_factory=list)
    kills: int = 0
    kills_in_window: int = 0
    windows_hit: int = 0
    mails: int = 0
    ledger_rows: int = 0
    retried_sends: int = 0  # outbox rows with more than one attempt
    unexplained: list[str] = field(default_factory=list)  # duplicates no kill in a send window explains
    most_from_one_kill: int = 0  # the most send windows one kill landed in
    window_ms: list[float] = field(default_factory=list)  # each marked copy: sink stored it -> outbox marked it

    def window_figures(self) -> str:
        """The send window's length (median / p99 / max, ms), what a kill has to land in."""
        if not self.window_ms:
            return "none measured"
        ordered = sorted(self.window_ms)

        def at(share: float) -> float:
            return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

        return f"{at(0.5):.0f} / {at(0.99):.0f} / {ordered[-1]:.0f} ms ({len(ordered)} messages)"

    @property
    def duplicates(self) -> int:
        return len(self.customer_duplicates) + len(self.staff_duplicates)


def check_case(plan: Plan, record: CaseRecord, rows: list[tuple[str, Decimal]], verdict: Verdict) -> None:
    who = f"{plan.complaint_id} ({plan.journey.value})"
    if record.status != WorkflowExecutionStatus.COMPLETED or record.outcome is None:
        return  # counted as stuck by the caller, with its stage
    verdict.closed += 1
    versions = Counter(key.split(":proposal-")[-1].split("-retry-")[0] for key, _ in rows)
    if len(rows) > plan.expected_rows() or any(n > 1 for n in versions.values()):
        verdict.double_payouts.append(f"{who}: {len(rows)} ledger rows {sorted(k for k, _ in rows)}")
    paid = sum((amount for _, amount in rows), Decimal("0"))
    expected = plan.expected_total()
    if paid != expected or record.outcome.remedy_total != expected:
        verdict.wrong_amounts.append(
            f"{who}: expected {expected:.2f}, ledger {paid:.2f}, case says {record.outcome.remedy_total:.2f} "
            f"(took {plan.taken})"
        )
    questions = plan.questions()
    for family, count in record.answers.items():
        if count > questions.get(family, 0):
            verdict.second_decisions.append(f"{who}: {count} accepted {family} answers for {questions[family]}")
    if record.repeated_update_ids:
        verdict.second_decisions.append(f"{who}: {record.repeated_update_ids} update id(s) accepted twice")


def check_mails(plans: list[Plan], mails: list[Mail], outbox: dict[str, Sent], verdict: Verdict) -> None:
    """Duplicates: one message (recipient, kind, case and its key) stored more than once, or a
    once-per-case message to the customer under a second key. Customer or staff by recipient."""
    customers = {plan.complaint_id: plan.email for plan in plans}
    copies = Counter((m.to, m.kind, m.reference, m.key) for m in mails)
    for (to, kind, reference, key), n in copies.items():
        if n > 1:
            entry = f"{reference} {kind} to {to}: {n} copies of {key} (outbox attempts {_attempts(outbox, key)})"
            target = verdict.customer_duplicates if customers.get(reference) == to else verdict.staff_duplicates
            target.extend([entry] * (n - 1))
    keys: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for m in mails:
        if m.kind in ONCE_PER_CASE and customers.get(m.reference) == m.to:
            keys[(m.to, m.kind, m.reference)].add(m.key)
    for (to, kind, reference), distinct in keys.items():
        if len(distinct) > 1:  # the workflow sent it twice: no kill explains that
            entry = f"{reference} {kind} to {to}: {len(distinct)} different keys"
            verdict.customer_duplicates.extend([entry] * (len(distinct) - 1))
            verdict.unexplained.extend([entry] * (len(distinct) - 1))
    verdict.mails = len(mails)
    verdict.retried_sends = sum(1 for sent in outbox.values() if sent.attempts > 1)


def _attempts(outbox: dict[str, Sent], key: str) -> str:
    sent = outbox.get(key)
    return "none" if sent is None else str(sent.attempts)


def kills_in_send_window(kills: list[float], mails: list[Mail], outbox: dict[str, Sent], verdict: Verdict) -> None:
    """Each copy of a message has a send window: from the sink storing it until the outbox marks it
    sent. A copy that was never marked (a later attempt sent it again) had its attempt end in a kill:
    the first SIGKILL after the copy arrived, if it came before the next copy and within the
    activity's start-to-close timeout; that kill landed in the window. A copy with no such kill
    before the next one is a duplicate no kill explains. One kill lands in the window of every
    message in flight at that moment, so it can make many duplicates."""
    moments = sorted(datetime.fromtimestamp(kill, UTC) for kill in kills)
    arrivals: dict[str, list[datetime]] = defaultdict(list)
    for mail in mails:
        arrivals[mail.key].append(mail.at)
    landed: Counter[int] = Counter()
    for key, times in arrivals.items():
        times.sort()
        sent = outbox.get(key)
        marked = sent.sent_at if sent is not None and sent.sent_at is not None else None
        for n, opened in enumerate(times):
            last = n == len(times) - 1
            if last and marked is not None:
                verdict.window_ms.append((marked - opened).total_seconds() * 1000)
            closes = (marked or opened + SEND_TIMEOUT) if last else min(times[n + 1], opened + SEND_TIMEOUT)
            first = bisect.bisect_left(moments, opened - SEND_WINDOW_SLACK)
            if first < len(moments) and moments[first] < closes:
                verdict.windows_hit += 1
                landed[first] += 1
            elif not last:
                verdict.unexplained.append(f"{key}: copy {n + 2} of {len(times)} with no kill after copy {n + 1}")
    verdict.kills = len(kills)
    verdict.kills_in_window = len(landed)
    verdict.most_from_one_kill = max(landed.values(), default=0)


async def judge(
    client: Client, plans: list[Plan], watcher: Watcher, database_url: str, mail_dir: Path, kills: list[float]
) -> Verdict:
    verdict = Verdict(complaints=len(plans))
    ledger, outbox = await read_store(database_url)
    verdict.ledger_rows = sum(len(rows) for rows in ledger.values())
    for plan in plans:
        record = await read_case(client, plan.complaint_id)
        check_case(plan, record, ledger.get(plan.complaint_id, []), verdict)
        if record.status != WorkflowExecutionStatus.COMPLETED:
            seen = watcher.seen.get(plan.complaint_id)
            stage = seen.stage if seen else "not listed"
            status = record.status.name if record.status else "unknown"
            verdict.stuck.append(f"{plan.complaint_id} ({plan.journey.value}): {stage}, {status}, took {plan.taken}")
    mails = read_mails(mail_dir)
    check_mails(plans, mails, outbox, verdict)
    kills_in_send_window(kills, mails, outbox, verdict)
    return verdict
