"""SLA clocks and their config: deadlines, warnings, pauses, retargeting and the next event, at concrete instants."""

from __future__ import annotations

import copy
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from complaints.calendar import BusinessCalendar
from complaints.intake import Category, Priority
from complaints.rules import CaseRules, load_rules
from complaints.sla import (
    ClockKind,
    DueEvent,
    SlaClock,
    SlaConfig,
    Target,
    clock_deadline,
    clock_status,
    clock_warning_times,
    next_due_event,
    open_clock,
    pause_clock,
    record_due_event,
    resume_clock,
    retarget,
    start_clock,
    stop_clock,
)

CONFIG = Path(__file__).resolve().parents[2] / "config" / "complaints.toml"
RULES = load_rules(CONFIG)
UK = BusinessCalendar(
    name="uk",
    timezone="Europe/London",
    working_hours=dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), ("09:00", "17:30")),
    holidays=(date(2026, 12, 25), date(2026, 12, 28)),
)
CALENDARS = {"uk": UK}
H = timedelta(hours=1)
WARN = (0.5, 0.75)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """November 2026 (GMT, so London and UTC agree): Monday 2, Friday 6, Monday 9."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def clock(duration: timedelta = 8 * H, business: bool = True, kind: ClockKind = ClockKind.INVESTIGATION) -> SlaClock:
    return start_clock(kind, Target(duration=duration, business=business), "uk", at(2, 10))


# -- deadlines and warnings ---------------------------------------------------------------------------


def test_a_business_clock_runs_in_working_hours_only() -> None:
    running = clock()  # Monday 10:00, 8 working hours: 7.5 on Monday, 0.5 on Tuesday
    assert clock_deadline(running, UK) == at(3, 9, 30)
    assert clock_warning_times(running, UK, WARN) == [(0.5, at(2, 14)), (0.75, at(2, 16))]


def test_a_calendar_clock_ignores_working_hours() -> None:
    running = clock(timedelta(days=5), business=False)
    assert clock_deadline(running, UK) == at(7, 10)  # Saturday
    assert clock_warning_times(running, UK, WARN) == [(0.5, at(4, 22)), (0.75, at(6, 4))]


def test_a_deadline_lands_at_close_of_business_when_the_target_runs_out_there() -> None:
    assert clock_deadline(clock(16 * H), UK) == at(3, 17, 30)


# -- pauses ------------------------------------------------------------------------------------------------


def test_a_pause_shifts_the_deadline_by_exactly_the_paused_business_time() -> None:
    running = clock()
    before = clock_deadline(running, UK)
    assert before is not None
    pause_clock(running, at(2, 12), by="workflow", reason="waiting on the customer")
    assert clock_deadline(running, UK) is None
    assert clock_warning_times(running, UK, WARN) == []  # both fractions fall after the pause began
    closed = resume_clock(running, at(3, 11), by="workflow", reason="the customer answered")

    paused = UK.business_time_between(at(2, 12), at(3, 11))
    assert paused == timedelta(hours=7, minutes=30)  # 5.5 h Monday + 2 h Tuesday
    assert clock_deadline(running, UK) == UK.add_business_time(before, paused) == at(3, 17)
    assert (closed.ended_at, closed.resumed_by, closed.resume_reason) == (
        at(3, 11),
        "workflow",
        "the customer answered",
    )
    # 2 h ran before the pause, so half (4 h) is reached 2 h after the resume and 75 % (6 h) 4 h after.
    assert clock_warning_times(running, UK, WARN) == [(0.5, at(3, 13)), (0.75, at(3, 15))]


def test_a_pause_outside_working_hours_changes_nothing() -> None:
    running = clock(17 * H)
    before = clock_deadline(running, UK)
    pause_clock(running, at(6, 18), by="workflow", reason="weekend wait")
    resume_clock(running, at(9, 8), by="workflow", reason="back")
    assert clock_deadline(running, UK) == before == at(4, 10)


def test_a_calendar_clock_is_shifted_by_the_paused_calendar_time() -> None:
    running = clock(timedelta(days=5), business=False)
    pause_clock(running, at(3, 10), by="w", reason="r")
    resume_clock(running, at(4, 22), by="w", reason="r")
    assert clock_deadline(running, UK) == at(8, 22)  # Saturday 10:00 plus the 36 h paused


def test_warnings_reached_before_a_pause_stay_known_while_paused() -> None:
    running = clock()
    pause_clock(running, at(2, 15), by="w", reason="r")
    assert clock_warning_times(running, UK, WARN) == [(0.5, at(2, 14))]


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda c: pause_clock(c, at(2, 13), "w", "again"), "already paused since"),
        (lambda c: resume_clock(c, at(2, 11), "w", "early"), "cannot resume at .* before"),
    ],
)
def test_nonsense_is_refused(action: Any, message: str) -> None:
    running = clock()
    pause_clock(running, at(2, 12), by="w", reason="first")
    snapshot = running.model_copy(deep=True)
    with pytest.raises(ValueError, match=message):
        action(running)
    assert running == snapshot  # a refusal changes nothing


def test_resume_when_running_and_pause_before_the_start_are_refused() -> None:
    running = clock()
    with pytest.raises(ValueError, match="not paused, nothing to resume"):
        resume_clock(running, at(2, 12), "w", "r")
    with pytest.raises(ValueError, match=r"cannot pause at .* before"):
        pause_clock(running, at(2, 9), "w", "r")
    stop_clock(running, at(2, 12))
    with pytest.raises(ValueError, match="cannot pause, it stopped"):
        pause_clock(running, at(2, 13), "w", "r")
    with pytest.raises(ValueError, match="cannot retarget, it stopped"):
        retarget(running, Target(duration=H))


# -- status -------------------------------------------------------------------------------------------------


def test_status_fields_while_running() -> None:
    running = clock()
    pause_clock(running, at(2, 12), by="w", reason="r")
    resume_clock(running, at(2, 13), by="w", reason="r")
    report = clock_status(running, UK, at(2, 15))
    assert report.model_dump() == {
        "kind": ClockKind.INVESTIGATION,
        "target": 8 * H,
        "business": True,
        "elapsed": 4 * H,
        "paused": H,
        "remaining": 4 * H,
        "deadline": at(3, 10, 30),
        "status": "running",
        "started_at": at(2, 10),
        "stopped_at": None,
    }


def test_status_paused_then_breached_then_met_or_late() -> None:
    running = clock()
    pause_clock(running, at(2, 12), by="w", reason="r")
    paused = clock_status(running, UK, at(2, 16))
    assert (paused.status, paused.elapsed, paused.paused, paused.deadline) == ("paused", 2 * H, 4 * H, None)
    resume_clock(running, at(2, 13), by="w", reason="r")
    assert clock_status(running, UK, at(3, 10, 30)).status == "breached"  # nothing remains
    late = clock_status(running, UK, at(3, 11))
    assert (late.status, late.remaining) == ("breached", timedelta(minutes=-30))

    met = running.model_copy(deep=True)
    stop_clock(met, at(3, 10))
    assert (clock_status(met, UK, at(9, 12)).status, clock_status(met, UK, at(9, 12)).remaining) == ("met", 0.5 * H)
    stop_clock(running, at(3, 11))
    assert clock_status(running, UK, at(9, 12)).status == "breached"


def test_stopping_a_paused_clock_closes_the_pause() -> None:
    running = clock()
    pause_clock(running, at(2, 12), by="w", reason="r")
    stop_clock(running, at(2, 14))
    assert running.pauses[-1].ended_at == at(2, 14)
    report = clock_status(running, UK, at(5, 12))
    assert (report.status, report.elapsed, report.paused) == ("met", 2 * H, 2 * H)


def test_a_priority_raise_keeps_the_start_and_shortens_what_remains() -> None:
    normal = RULES.sla.target(Priority.NORMAL, ClockKind.INVESTIGATION)
    urgent = RULES.sla.target(Priority.URGENT, ClockKind.INVESTIGATION)
    assert normal is not None and urgent is not None
    running = start_clock(ClockKind.INVESTIGATION, normal, "uk", at(2, 10))
    before = clock_status(running, UK, at(3, 12))
    retarget(running, urgent)
    after = clock_status(running, UK, at(3, 12))
    assert before.remaining - after.remaining == normal.duration - urgent.duration == timedelta(hours=26, minutes=30)
    assert after.remaining == timedelta(hours=5, minutes=30)  # 16 h less 7.5 Monday and 3 Tuesday
    assert after.deadline == at(3, 17, 30)
    assert after.started_at == at(2, 10)


# -- the next event ------------------------------------------------------------------------------------------


def drain(clocks: list[SlaClock], now: datetime) -> list[tuple[str, float | None, datetime]]:
    """Announce events one by one, as the workflow would."""
    seen: list[tuple[str, float | None, datetime]] = []
    while (event := next_due_event(clocks, CALENDARS, WARN, now)) is not None:
        seen.append((event.clock_kind.value, event.fraction, event.at))
        record_due_event(next(c for c in clocks if c.kind == event.clock_kind), event)
    return seen


def test_next_due_event_orders_warnings_and_breaches_across_clocks() -> None:
    acknowledgement = clock(H, kind=ClockKind.ACKNOWLEDGEMENT)
    investigation = clock()
    assert drain([acknowledgement, investigation], at(2, 10)) == [
        ("acknowledgement", 0.5, at(2, 10, 30)),
        ("acknowledgement", 0.75, at(2, 10, 45)),
        ("acknowledgement", None, at(2, 11)),
        ("investigation", 0.5, at(2, 14)),
        ("investigation", 0.75, at(2, 16)),
        ("investigation", None, at(3, 9, 30)),
    ]
    assert acknowledgement.breached and investigation.warned == [0.5, 0.75]


def test_paused_and_stopped_clocks_have_nothing_due() -> None:
    paused, stopped, running = clock(kind=ClockKind.RESOLUTION), clock(kind=ClockKind.APPROVAL), clock(2 * H)
    pause_clock(paused, at(2, 10, 5), "w", "r")
    stop_clock(stopped, at(2, 10, 5))
    assert next_due_event([paused, stopped, running], CALENDARS, WARN, at(2, 10, 5)) == DueEvent(
        at=at(2, 11), clock_kind=ClockKind.INVESTIGATION, fraction=0.5
    )
    assert next_due_event([paused, stopped], CALENDARS, WARN, at(2, 10, 5)) is None


def test_after_a_raise_past_the_deadline_the_breach_comes_before_stale_warnings() -> None:
    running = clock(17 * H)
    retarget(running, Target(duration=2 * H))
    event = next_due_event([running], CALENDARS, WARN, at(2, 15))
    assert event == DueEvent(at=at(2, 12), clock_kind=ClockKind.INVESTIGATION, fraction=None)


def test_an_unknown_calendar_and_a_mismatched_event_are_refused() -> None:
    lost = start_clock(ClockKind.APPROVAL, Target(duration=H), "mars", at(2, 10))
    with pytest.raises(ValueError, match="unknown calendar 'mars'"):
        next_due_event([lost], CALENDARS, WARN, at(2, 10))
    with pytest.raises(ValueError, match="given to the approval clock"):
        record_due_event(lost, DueEvent(at=at(2, 11), clock_kind=ClockKind.RESOLUTION, fraction=None))


def test_a_clock_survives_continue_as_new_as_json() -> None:
    running = clock()
    pause_clock(running, at(2, 12), by="workflow", reason="waiting on the customer")
    running.warned.append(0.5)
    assert SlaClock.model_validate_json(running.model_dump_json()) == running


# -- the [sla] config -------------------------------------------------------------------------------------------


def test_open_clock_uses_the_priority_target_and_the_default_calendar() -> None:
    opened = open_clock(RULES.sla, ClockKind.INVESTIGATION, Priority.URGENT, at(2, 10))
    assert opened is not None
    assert (opened.target, opened.calendar) == (Target(duration=16 * H, business=True), "uk")
    resolution = RULES.sla.target(Priority.NORMAL, ClockKind.RESOLUTION)
    assert resolution == Target(duration=timedelta(days=21), business=False)
    sparse = RULES.sla.model_copy(
        update={
            "policies": {
                **RULES.sla.policies,
                Priority.LOW: RULES.sla.policies[Priority.LOW].model_copy(update={"targets": {}}),
            }
        }
    )
    assert open_clock(sparse, ClockKind.ACKNOWLEDGEMENT, Priority.LOW, at(2, 10)) is None


@pytest.mark.parametrize(
    ("category", "severity", "priority"),
    [
        (Category.DELIVERY, 5, Priority.URGENT),
        (Category.BILLING, 4, Priority.HIGH),
        (Category.SERVICE, 4, Priority.HIGH),
        (Category.BILLING, 3, None),
        (Category.BILLING, None, None),
    ],
)
def test_priority_derived_from_category_and_severity(
    category: Category, severity: int | None, priority: Priority | None
) -> None:
    assert RULES.sla.priority_for(category, severity) == priority


def raw_sla() -> dict[str, Any]:
    with CONFIG.open("rb") as handle:
        return copy.deepcopy(tomllib.load(handle)["sla"])


def _drop_policy(data: dict[str, Any]) -> None:
    del data["policies"]["low"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_drop_policy, "policies: no policy for priority low"),
        (lambda d: d.update(warn_at=[0.75, 0.5]), "warn_at\n.*strictly increasing"),
        (lambda d: d.update(warn_at=[0.5, 1.0]), "warn_at\n.*between 0 and 1"),
        (lambda d: d.update(default_calendar="mars"), "default_calendar: unknown calendar 'mars'"),
        (lambda d: d.update(default_profile="eu"), "default_profile: unknown regulatory profile 'eu'"),
        (lambda d: d["regulatory_profiles"]["uk-fca-disp"].update(calendar="mars"), "uk-fca-disp.calendar: unknown"),
        (lambda d: d["calendars"]["uk"].update(name="gb"), "calendars.uk: name 'gb' differs from its key 'uk'"),
        (lambda d: d["policies"]["urgent"].update(approval="PT0S"), "approval.duration\n.*longer than zero"),
        (lambda d: d["calendars"]["uk"].update(timezone="Mars/Olympus"), "unknown IANA time zone 'Mars/Olympus'"),
    ],
)
def test_a_broken_sla_table_is_refused_naming_the_field(change: Any, message: str) -> None:
    data = raw_sla()
    change(data)
    with pytest.raises(ValidationError, match=message):
        SlaConfig.model_validate(data)


def test_a_bare_duration_is_a_business_target() -> None:
    data = raw_sla()
    data["policies"]["urgent"] = {"acknowledgement": "PT30M"}
    config = SlaConfig.model_validate(data)
    assert config.policies[Priority.URGENT].targets == {ClockKind.ACKNOWLEDGEMENT: Target(duration=0.5 * H)}


def test_rules_without_an_sla_table_get_the_default() -> None:
    with CONFIG.open("rb") as handle:
        data = tomllib.load(handle)
    del data["sla"]
    rules = CaseRules.model_validate(data)
    assert rules.sla == SlaConfig.default()
    assert (rules.sla.default_calendar, rules.sla.default_profile) == ("uk", "internal")
    assert set(rules.sla.policies) == set(Priority)
    assert CaseRules.model_validate_json(rules.model_dump_json()) == rules


def test_the_configured_table() -> None:
    sla = RULES.sla
    assert (sla.default_calendar, sla.default_profile, sla.warn_at) == ("uk", "uk-fca-disp", (0.5, 0.75))
    assert sorted(sla.regulatory_profiles) == ["internal", "uk-fca-disp", "us-cfpb"]
    assert sla.calendar().holidays[:2] == (date(2026, 1, 1), date(2026, 4, 3))
    assert sla.calendar().business_hours(date(2026, 12, 28)) is None
    assert (sla.pause_resolution_while_awaiting_customer, sla.pause_during_offer) == (True, False)
