"""SLA clocks and regulatory deadlines in a running case, on the time-skipping server.

The rules are config/complaints.toml: UK working hours (Mon-Fri 09:00-17:30 Europe/London),
high priority: first response 8h30m of business time, resolution 10 calendar days; warnings
at 50 % and 75 %. Expected instants come from the business calendar (unit-tested on its own
in test_calendar.py); these tests prove the workflow fires at them, to the second.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from complaints.actions import (
    CustomerMessage,
    InformationRequest,
    PriorityRaise,
    Withdrawal,
)
from complaints.case import CaseStatus, Stage
from complaints.intake import Priority
from complaints.rules import load_rules
from complaints.sla import ClockKind, ClockReport
from infra.settings import Settings
from starter.dev.mailsink import read_mail, stored_mail_files
from tests.support import (
    FINDINGS,
    Handle,
    mail_kinds,
    reach,
    skip,
    start_case,
    status,
    to_approval,
    to_follow_up,
)
from workflows import ComplaintWorkflow

RULES = load_rules(Path(__file__).resolve().parents[2] / "config" / "complaints.toml")
UK = RULES.sla.calendar("uk")
ONE_SECOND = timedelta(seconds=1)
RealTime = Callable[[], timedelta]


@pytest.fixture
def real_time() -> RealTime:
    """The real time this test has run so far.

    On the time-skipping server skipped days never make a timer late; only the real seconds
    of slow workflow tasks do (see `fired_timers`). So this is the most any firing can lag.
    """
    began = time.monotonic()
    return lambda: timedelta(seconds=time.monotonic() - began)


def acted_on_time(at: datetime, expected: datetime, real_time: RealTime, what: str) -> None:
    """The timeline shows the case acting at `expected`: never early, late only by real seconds."""
    assert timedelta(0) <= at - expected <= real_time(), (what, at, expected, real_time())


def clock(current: CaseStatus, kind: ClockKind) -> ClockReport:
    return next(report for report in current.clocks if report.kind is kind)


async def events(handle: Handle, kind: str) -> list[tuple[datetime, str]]:
    return [(e.at, e.detail) for e in await handle.query(ComplaintWorkflow.timeline) if e.kind == kind]


async def test_first_response_warns_at_half_and_three_quarters_then_breaches_on_the_second(
    time_env: WorkflowEnvironment, client: Client, settings: Settings, real_time: RealTime
) -> None:
    handle = await start_case(client, priority="high")
    started = clock(await reach(handle, Stage.INVESTIGATING), ClockKind.FIRST_RESPONSE).started_at
    expected_warnings = [
        UK.add_business_time(started, timedelta(hours=4, minutes=15)),
        UK.add_business_time(started, timedelta(hours=6, minutes=22, seconds=30)),
    ]
    expected_breach = UK.add_business_time(started, timedelta(hours=8, minutes=30))

    await skip(time_env, days=5)
    warnings = [(at, detail) for at, detail in await events(handle, "sla warning") if "first_response" in detail]
    assert [detail.split(" used")[0] for _, detail in warnings] == ["first_response 50%", "first_response 75%"]
    for (at, _), expected in zip(warnings, expected_warnings, strict=True):
        acted_on_time(at, expected, real_time, "first_response warning")
    [(breached_at, _)] = [(at, d) for at, d in await events(handle, "sla breached") if "first_response" in d]
    acted_on_time(breached_at, expected_breach, real_time, "first_response breach")

    current = await status(handle)
    assert current.sla_breached and clock(current, ClockKind.FIRST_RESPONSE).status == "breached"
    reference = handle.id.removeprefix("complaint-")
    kinds = mail_kinds(settings.mail_dir, reference)
    assert kinds.count("sla_warning") >= 3  # 50 %: owner; 75 %: owner and team lead
    assert "sla_breach" in kinds
    description = await handle.describe()
    assert description.typed_search_attributes is not None
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal(reason="test over"))


async def fired_on_time(handle: Handle, report: ClockReport, real_time: RealTime) -> None:
    """The clock's 50 % and 75 % warnings and its breach fire at the computed instants and are
    in the timeline then."""
    kind = report.kind.value
    due = [report.started_at + report.target * f for f in (0.5, 0.75, 1.0)]
    if report.business:
        due = [UK.add_business_time(report.started_at, report.target * f) for f in (0.5, 0.75, 1.0)]
    warned = [at for at, detail in await events(handle, "sla warning") if detail.startswith(f"{kind} ")]
    breached = [at for at, detail in await events(handle, "sla breached") if detail.startswith(f"{kind} ")]
    assert len(warned) == 2 and len(breached) == 1, (kind, warned, breached)
    for fired, expected in zip([*warned, *breached], due, strict=True):
        acted_on_time(fired, expected, real_time, kind)


async def test_investigation_and_resolution_clocks_warn_and_breach_on_time_and_the_customer_hears_of_the_delay(
    time_env: WorkflowEnvironment, client: Client, settings: Settings, real_time: RealTime
) -> None:
    handle = await start_case(client, priority="high")
    await reach(handle, Stage.INVESTIGATING)
    await skip(time_env, days=11)  # investigation: 25.5 working hours; resolution: 10 calendar days
    current = await status(handle)
    assert clock(current, ClockKind.INVESTIGATION).business and not clock(current, ClockKind.RESOLUTION).business
    await fired_on_time(handle, clock(current, ClockKind.INVESTIGATION), real_time)
    await fired_on_time(handle, clock(current, ClockKind.RESOLUTION), real_time)
    assert clock(current, ClockKind.RESOLUTION).status == "breached"
    kinds = mail_kinds(settings.mail_dir, handle.id.removeprefix("complaint-"))
    assert kinds.count("delay_notice") == 2  # the investigation's escalation (day 5), the resolution's breach
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal(reason="test over"))


async def test_the_approval_clock_warns_and_breaches_on_time(
    time_env: WorkflowEnvironment, client: Client, real_time: RealTime
) -> None:
    handle = await start_case(client, priority="high")
    await to_approval(handle)
    await skip(time_env, days=5)  # 17 working hours
    await fired_on_time(handle, clock(await status(handle), ClockKind.APPROVAL), real_time)
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal(reason="test over"))


async def test_waiting_on_the_customer_moves_the_resolution_deadline_by_exactly_the_pause(
    time_env: WorkflowEnvironment, client: Client
) -> None:
    handle = await start_case(client, priority="high")
    before = clock(await reach(handle, Stage.INVESTIGATING), ClockKind.RESOLUTION)
    assert before.target == timedelta(days=10) and not before.business and before.deadline is not None

    question = InformationRequest(by="alex", questions="Which card was it?")
    _ = await handle.execute_update(ComplaintWorkflow.request_information, question)
    paused = clock(await status(handle), ClockKind.RESOLUTION)
    assert paused.status == "paused" and paused.deadline is None
    await skip(time_env, days=2, hours=3)
    reply = CustomerMessage(text="The one ending 1881.")
    _ = await handle.execute_update(ComplaintWorkflow.add_customer_message, reply)
    after = clock(await status(handle), ClockKind.RESOLUTION)
    assert after.status == "running" and after.deadline is not None

    pauses = [at for at, _ in await events(handle, "clock paused")] + [
        at for at, _ in await events(handle, "clock resumed")
    ]
    assert len(pauses) == 2
    paused_for = pauses[1] - pauses[0]
    assert paused_for >= timedelta(days=2, hours=3)
    assert abs((after.deadline - before.deadline) - paused_for) < ONE_SECOND
    assert abs(after.paused - paused_for) < ONE_SECOND
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal(reason="test over"))


async def test_raising_the_priority_shortens_every_running_clock(client: Client) -> None:
    handle = await start_case(client, priority="high")
    before = await reach(handle, Stage.INVESTIGATING)
    resolution_before = clock(before, ClockKind.RESOLUTION)
    assert resolution_before.deadline is not None

    await handle.execute_update(
        ComplaintWorkflow.raise_priority, PriorityRaise(priority=Priority.URGENT, by="tl-jordan", reason="vulnerable")
    )
    after = await status(handle)
    resolution_after = clock(after, ClockKind.RESOLUTION)
    assert after.priority == "urgent"
    assert resolution_after.target == timedelta(days=5)
    assert resolution_after.deadline is not None
    assert abs((resolution_before.deadline - resolution_after.deadline) - timedelta(days=5)) < ONE_SECOND
    assert resolution_after.remaining < resolution_before.remaining - timedelta(days=4)
    assert clock(after, ClockKind.INVESTIGATION).target == timedelta(hours=16)
    assert after.next_deadline is not None and after.next_deadline <= resolution_after.deadline
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal(reason="test over"))


async def _regulatory_mail(
    env: WorkflowEnvironment, client: Client, settings: Settings, *, skip_days: float, **complaint: str
) -> tuple[Handle, list[str], CaseStatus]:
    handle = await start_case(client, priority="low", **complaint)
    current = await reach(handle, Stage.INVESTIGATING)
    await skip(env, days=skip_days)
    return handle, mail_kinds(settings.mail_dir, handle.id.removeprefix("complaint-")), current


async def test_fca_holding_response_at_eight_weeks_with_the_ombudsman_referral_right(
    time_env: WorkflowEnvironment, client: Client, settings: Settings, real_time: RealTime
) -> None:
    handle, kinds, first = await _regulatory_mail(
        time_env, client, settings, skip_days=7 * 8 + 1, regulatory_profile="uk-fca-disp"
    )
    [summary, final] = first.regulatory_deadlines
    assert summary.name == "summary_resolution"
    assert summary.due == UK.add_business_days(first.received_at, 3)
    assert final.due == first.received_at + timedelta(weeks=8)
    assert kinds.count("holding_response") == 1
    [(at, _)] = [(at, d) for at, d in await events(handle, "regulatory deadline") if "8 weeks" in d]
    acted_on_time(at, final.due, real_time, final.name)
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal(reason="test over"))


async def test_fca_payment_services_holding_reply_at_15_business_days_final_at_35(
    time_env: WorkflowEnvironment, client: Client, settings: Settings, real_time: RealTime
) -> None:
    handle, kinds, first = await _regulatory_mail(
        time_env, client, settings, skip_days=60, regulatory_profile="uk-fca-disp", product="payment_services"
    )
    dues = {d.name: d.due for d in first.regulatory_deadlines}
    assert dues["final_response"] == UK.add_business_days(first.received_at, 15)
    assert dues["final_response (exceptional)"] == UK.add_business_days(first.received_at, 35)
    assert kinds.count("holding_response") == 1
    exceptional = dues["final_response (exceptional)"]
    reached = [at for at, _ in await events(handle, "regulatory deadline")]
    assert any(timedelta(0) <= at - exceptional <= real_time() for at in reached), (reached, exceptional)
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal(reason="test over"))


async def test_cfpb_response_at_15_days_and_final_at_60(
    time_env: WorkflowEnvironment, client: Client, settings: Settings, real_time: RealTime
) -> None:
    handle, _, first = await _regulatory_mail(time_env, client, settings, skip_days=61, regulatory_profile="us-cfpb")
    dues = sorted(d.due for d in first.regulatory_deadlines)
    assert dues == [first.received_at + timedelta(days=15), first.received_at + timedelta(days=60)]
    reached = sorted(at for at, _ in await events(handle, "regulatory deadline"))
    assert len(reached) == 2
    for at, due in zip(reached, dues, strict=True):
        acted_on_time(at, due, real_time, "CFPB deadline")
    assert (await status(handle)).sla_breached
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal(reason="test over"))


async def test_without_an_intake_priority_the_rules_derive_it_and_raise_it_on_severe_findings(client: Client) -> None:
    handle = await start_case(client, priority=None)
    first = await reach(handle, Stage.INVESTIGATING)
    assert first.priority == "normal"
    assert clock(first, ClockKind.RESOLUTION).target == timedelta(days=21)

    severe = FINDINGS.model_copy(update={"severity": 4})
    await handle.execute_update(ComplaintWorkflow.submit_findings, severe)
    await reach(handle, Stage.AWAITING_APPROVAL)
    raised = await status(handle)
    assert raised.priority == "high"  # [[sla.derive_priority]]: billing, severity 4 and up
    assert clock(raised, ClockKind.RESOLUTION).target == timedelta(days=10)
    [event] = [e for e in await handle.query(ComplaintWorkflow.timeline) if e.kind == "priority raised"]
    assert event.actor == "rules" and event.detail.startswith("normal → high")
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal(reason="test over"))


async def test_fca_resolved_within_three_business_days_is_a_summary_resolution_and_needs_no_holding_response(
    time_env: WorkflowEnvironment, client: Client, settings: Settings
) -> None:
    handle = await start_case(client, priority="high", regulatory_profile="uk-fca-disp")
    await to_follow_up(handle)
    reference = handle.id.removeprefix("complaint-")
    [letter] = [
        read_mail(p) for p in stored_mail_files(settings.mail_dir) if _is(read_mail(p), reference, "resolution")
    ]
    body = letter.get_body(preferencelist=("plain",))
    assert body is not None
    text = " ".join(body.get_content().split())
    assert "summary resolution communication" in text and "Financial Ombudsman Service" in text
    assert len(await events(handle, "summary resolution")) == 1

    await skip(time_env, weeks=9)  # past the 8 weeks: resolved long before, so no holding response
    await handle.result()
    assert "holding_response" not in mail_kinds(settings.mail_dir, reference)
    assert not await events(handle, "regulatory deadline")


def _is(message: EmailMessage, reference: str, kind: str) -> bool:
    return bool(message["X-Complaintflow-Reference"] == reference and message["X-Complaintflow-Kind"] == kind)
