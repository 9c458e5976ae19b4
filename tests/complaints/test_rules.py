"""The rules file: look-ups used by the workflow and the validation that refuses a broken file."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from complaints.intake import Category
from complaints.rules import CaseRules, load_rules, root_cause_group

CONFIG = Path(__file__).resolve().parents[2] / "config" / "complaints.toml"
RULES: CaseRules = load_rules(CONFIG)

D = Decimal


def raw_config() -> dict[str, Any]:
    with CONFIG.open("rb") as handle:
        return tomllib.load(handle)


@pytest.mark.parametrize(
    ("amount", "role"),
    [
        (D("0"), "agent"),
        (D("100"), "agent"),
        (D("100.01"), "team_lead"),
        (D("500"), "team_lead"),
        (D("500.01"), "manager"),
        (D("2000"), "manager"),
        (D("2000.01"), "director"),
        (D("10000"), "director"),
        (D("10000.01"), "director"),
        (D("1000000"), "director"),
    ],
)
def test_level_needed(amount: Decimal, role: str) -> None:
    assert RULES.level_needed(amount).name == role


@pytest.mark.parametrize(
    ("role", "higher"),
    [("agent", "team_lead"), ("team_lead", "manager"), ("manager", "director"), ("director", None)],
)
def test_next_level(role: str, higher: str | None) -> None:
    found = RULES.next_level(role)
    assert (found.name if found else None) == higher


@pytest.mark.parametrize(
    ("staff_id", "limit"),
    [
        ("alex", D("100")),
        ("sam", D("100")),
        ("tl-jordan", D("500")),
        ("mgr-dana", D("2000")),
        ("dir-rowan", D("10000")),
        ("ghost", D("-1")),
        ("", D("-1")),
    ],
)
def test_approval_limit(staff_id: str, limit: Decimal) -> None:
    assert RULES.approval_limit(staff_id) == limit


@pytest.mark.parametrize(
    ("role", "ids"),
    [
        ("agent", ["alex", "sam", "tl-jordan", "mgr-dana", "dir-rowan"]),
        ("team_lead", ["tl-jordan", "mgr-dana", "dir-rowan"]),
        ("manager", ["mgr-dana", "dir-rowan"]),
        ("director", ["dir-rowan"]),
    ],
)
def test_approvers_at_includes_everyone_at_or_above_the_role(role: str, ids: list[str]) -> None:
    assert [member.id for member in RULES.approvers_at(role)] == ids


@pytest.mark.parametrize(
    ("role", "ids"),
    [
        ("agent", ["alex", "sam"]),
        ("team_lead", ["tl-jordan"]),
        ("manager", ["mgr-dana"]),
        ("director", ["dir-rowan"]),
    ],
)
def test_asked_to_approve_is_the_staff_of_that_role(role: str, ids: list[str]) -> None:
    assert [member.id for member in RULES.asked_to_approve(role)] == ids


def test_asked_to_approve_falls_back_to_anyone_above_when_the_role_has_no_staff() -> None:
    data = raw_config()
    data["staff"] = [member for member in data["staff"] if member["id"] != "mgr-dana"]
    data["routing"]["other"]["escalate_to"] = "tl-jordan"
    rules = CaseRules.model_validate(data)

    assert [member.id for member in rules.asked_to_approve("manager")] == ["dir-rowan"]


@pytest.mark.parametrize(
    ("staff_id", "name", "role"),
    [
        ("alex", "Alex Morgan", "agent"),
        ("tl-jordan", "Jordan Lee", "team_lead"),
        ("dir-rowan", "Rowan Okafor", "director"),
    ],
)
def test_staff_member_found(staff_id: str, name: str, role: str) -> None:
    member = RULES.staff_member(staff_id)
    assert member is not None
    assert (member.id, member.name, member.role) == (staff_id, name, role)


@pytest.mark.parametrize("staff_id", ["ghost", "", "ALEX", "Alex Morgan"])
def test_staff_member_unknown_is_none(staff_id: str) -> None:
    assert RULES.staff_member(staff_id) is None


def test_loaded_file_matches_its_parsed_dict() -> None:
    assert CaseRules.model_validate(raw_config()) == RULES
    assert RULES.version == "2026-11-b"
    assert set(RULES.routing) == set(Category)
    assert RULES.routing[Category.OTHER].escalate_to == "mgr-dana"
    assert RULES.compensation.goodwill_by_severity == (D("0"), D("10"), D("25"), D("50"), D("100"))


def _set_role(data: dict[str, Any]) -> None:
    data["staff"][0]["role"] = "wizard"


def _drop_route(data: dict[str, Any]) -> None:
    del data["routing"]["other"]


def _unknown_owner(data: dict[str, Any]) -> None:
    data["routing"]["billing"]["owner"] = "ghost"


def _unknown_escalation(data: dict[str, Any]) -> None:
    data["routing"]["delivery"]["escalate_to"] = "nobody"


def _negative_limit(data: dict[str, Any]) -> None:
    data["roles"][0]["approval_limit"] = -5


def _extra_key(data: dict[str, Any]) -> None:
    data["staff"][1]["nickname"] = "Sammy"


def _unknown_category(data: dict[str, Any]) -> None:
    data["routing"]["refunds"] = dict(data["routing"]["billing"])


def _bad_duration(data: dict[str, Any]) -> None:
    data["timings"]["investigation"] = "five days"


def _tiny_history(data: dict[str, Any]) -> None:
    data["continue_as_new_after_events"] = 10


def _ungrouped_cause(data: dict[str, Any]) -> None:
    data["root_causes"]["duplicate-charge"] = "No group before the dot"


def _undescribed_cause(data: dict[str, Any]) -> None:
    data["root_causes"]["billing.mystery"] = "  "


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (_ungrouped_cause, "root_causes: 'duplicate-charge' is not a code like billing.duplicate-charge"),
        (_undescribed_cause, "root_causes.billing.mystery: give it a description"),
        (_set_role, "staff alex: unknown role 'wizard'"),
        (_drop_route, "routing: no route for category 'other'"),
        (_unknown_owner, "routing.billing.owner: unknown staff id 'ghost'"),
        (_unknown_escalation, "routing.delivery.escalate_to: unknown staff id 'nobody'"),
        (_negative_limit, "greater than or equal to 0"),
        (_extra_key, "Extra inputs are not permitted"),
        (_unknown_category, "routing.refunds"),
        (_bad_duration, "timings.investigation"),
        (_tiny_history, "continue_as_new_after_events"),
    ],
    ids=lambda value: getattr(value, "__name__", "message"),
)
def test_invalid_rules_are_refused(mutate: Callable[[dict[str, Any]], None], message: str) -> None:
    data = copy.deepcopy(raw_config())
    mutate(data)

    with pytest.raises(ValidationError) as error:
        CaseRules.model_validate(data)

    assert message in str(error.value)


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("investigation", timedelta(days=5)),
        ("investigation_reminder_before", timedelta(days=1)),
        ("approval_reminder_before", timedelta(hours=12)),
        ("offer", timedelta(days=10)),
        ("reopen_window", timedelta(days=14)),
        ("progress_update_every", timedelta(days=3)),
    ],
)
def test_timings_from_the_file_parse_as_iso_8601(field: str, expected: timedelta) -> None:
    assert getattr(RULES.timings, field) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P5D", timedelta(days=5)),
        ("PT12H", timedelta(hours=12)),
        ("P1DT2H30M", timedelta(days=1, hours=2, minutes=30)),
        ("PT90S", timedelta(seconds=90)),
        ("P2W", timedelta(weeks=2)),
    ],
)
def test_timings_accept_iso_8601_durations(text: str, expected: timedelta) -> None:
    data = raw_config()
    data["timings"]["approval"] = text

    assert CaseRules.model_validate(data).timings.approval == expected


def test_missing_timings_fall_back_to_defaults() -> None:
    data = raw_config()
    del data["timings"]

    rules = CaseRules.model_validate(data)

    assert rules.timings.investigation == timedelta(days=5)
    assert rules.timings.approval_reminder_before == timedelta(hours=12)


def test_the_configured_vocabulary_names_every_category_as_a_group() -> None:
    """Each category's complaints can be coded: the vocabulary has a group per category, and `other.other`."""
    groups = {root_cause_group(code) for code in RULES.root_causes}
    assert groups == {"billing", "delivery", "product", "service", "other"}
    assert "other.other" in RULES.root_causes
    assert RULES.recurring_within == timedelta(days=90)
