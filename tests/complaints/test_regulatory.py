"""Regulatory profiles from config/complaints.toml: FCA DISP, CFPB and internal, at concrete dates."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from complaints.regulatory import RegulatoryAction, RegulatoryDeadline, RegulatoryRule, regulatory_deadlines
from complaints.rules import load_rules
from complaints.sla import SlaConfig

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
SLA = load_rules(CONFIG_DIR / "complaints.toml").sla
UK = SLA.calendar("uk")
FCA = SLA.profile("uk-fca-disp")
CFPB = SLA.profile("us-cfpb")
LONDON = ZoneInfo("Europe/London")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def due(deadlines: list[RegulatoryDeadline]) -> list[tuple[str, datetime, str]]:
    return [(deadline.name, deadline.due, deadline.action.value) for deadline in deadlines]


def test_fca_three_business_days_and_eight_weeks() -> None:
    received = datetime(2026, 11, 2, 10, tzinfo=LONDON)  # Monday
    deadlines = regulatory_deadlines(FCA, received, UK, product=None)
    assert due(deadlines) == [
        ("summary_resolution", utc(2026, 11, 5, 17, 30), "summary_resolution_due"),  # Thursday close of business
        ("final_response", utc(2026, 12, 28, 10), "holding_response"),  # 8 weeks to the minute
    ]
    summary, final = deadlines
    assert summary.source == "FCA DISP 1.5.1R"
    assert final.source == "FCA DISP 1.6.2R"
    assert final.referral_right == "Financial Ombudsman Service within 6 months of the final response (DISP 2.8.2R)"
    assert "8 weeks" in final.description


@pytest.mark.parametrize(
    ("received", "summary_due", "final_due"),
    [
        # Thursday 15:00 BST: Friday, Monday, Tuesday; close of business is 16:30 UTC in summer.
        (datetime(2026, 6, 4, 15, tzinfo=LONDON), utc(2026, 6, 9, 16, 30), utc(2026, 7, 30, 14)),
        # Christmas Eve: Christmas Day and the Boxing Day substitute do not count.
        (datetime(2026, 12, 24, 11, tzinfo=LONDON), utc(2026, 12, 31, 17, 30), utc(2027, 2, 18, 11)),
        # Saturday: the day of receipt is Saturday, counting starts on Monday.
        (datetime(2026, 11, 7, 9, tzinfo=LONDON), utc(2026, 11, 11, 17, 30), utc(2027, 1, 2, 9)),
        # 00:30 on a Tuesday in London is still Monday in UTC: London's date is the day of receipt.
        (utc(2026, 6, 1, 23, 30), utc(2026, 6, 5, 16, 30), utc(2026, 7, 27, 23, 30)),
    ],
)
def test_fca_deadlines_across_summer_time_holidays_and_weekends(
    received: datetime, summary_due: datetime, final_due: datetime
) -> None:
    assert [deadline.due for deadline in regulatory_deadlines(FCA, received, UK, None)] == [summary_due, final_due]


def test_fca_payment_services_15_and_exceptionally_35_business_days() -> None:
    received = datetime(2026, 11, 2, 10, tzinfo=LONDON)
    deadlines = regulatory_deadlines(FCA, received, UK, product="payment_services")
    assert due(deadlines) == [
        ("summary_resolution", utc(2026, 11, 5, 17, 30), "summary_resolution_due"),
        ("final_response", utc(2026, 11, 23, 17, 30), "holding_response"),
        ("final_response (exceptional)", utc(2026, 12, 21, 17, 30), "final_response_due"),
    ]  # no 8-week deadline: DISP 1.6.2AR replaces it for payment services
    assert {deadline.source for deadline in deadlines[1:]} == {"FCA DISP 1.6.2AR"}
    assert "35 business days" in deadlines[2].description


def test_fca_payment_services_over_christmas_and_new_year() -> None:
    received = datetime(2026, 12, 10, 14, tzinfo=LONDON)  # Thursday
    deadlines = regulatory_deadlines(FCA, received, UK, product="E_Money ")
    assert [deadline.due for deadline in deadlines] == [
        utc(2026, 12, 15, 17, 30),
        utc(2027, 1, 5, 17, 30),  # 25 and 28 December and 1 January skipped
        utc(2027, 2, 2, 17, 30),
    ]


def test_cfpb_15_and_60_calendar_days() -> None:
    received = utc(2026, 11, 2, 15)
    deadlines = regulatory_deadlines(CFPB, received, UK, product="payment_services")
    assert due(deadlines) == [
        ("initial_response", utc(2026, 11, 17, 15), "response_due"),
        ("final_response", utc(2027, 1, 1, 15), "final_response_due"),  # a holiday is still a calendar day
    ]
    assert all("CFPB" in deadline.source for deadline in deadlines)
    assert CFPB.jurisdiction == "US"


def test_internal_has_no_regulatory_deadlines() -> None:
    assert regulatory_deadlines(SLA.profile("internal"), utc(2026, 11, 2, 15), UK) == []


def test_deadlines_for_uses_the_default_profile_and_the_profiles_own_calendar() -> None:
    received = datetime(2026, 11, 24, 11, tzinfo=LONDON)
    data: dict[str, Any] = SLA.model_dump(mode="json")
    data["calendars"]["ny"] = {
        "timezone": "America/New_York",
        "working_hours": {"mon": ["09:00", "17:00"]},
    }
    config = SlaConfig.model_validate(data)
    # The case runs on New York's Monday-only calendar, but FCA business days are London's.
    assert config.deadlines_for(received, calendar="ny")[0].due == utc(2026, 11, 27, 17, 30)
    assert config.deadlines_for(received, profile="us-cfpb")[0].due == utc(2026, 12, 9, 11)
    with pytest.raises(ValueError, match="unknown regulatory profile 'eu-ombudsman'; known: internal, uk-fca-disp"):
        config.deadlines_for(received, profile="eu-ombudsman")


def test_a_naive_receipt_time_is_refused() -> None:
    with pytest.raises(ValueError, match="received_at: must be timezone-aware"):
        regulatory_deadlines(CFPB, datetime(2026, 11, 2, 15), UK)


def test_a_rule_without_a_description_describes_itself() -> None:
    rule = RegulatoryRule(kind="final_response", period=1, unit="weeks", action=RegulatoryAction.FINAL_RESPONSE_DUE)
    profile = FCA.model_copy(update={"rules": (rule,)})
    (deadline,) = regulatory_deadlines(profile, utc(2026, 11, 2), UK)
    assert (deadline.description, deadline.due, deadline.source) == (
        "final response within 1 week",
        utc(2026, 11, 9),
        FCA.source,
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"exceptional_period": 10}, r"exceptional_period \(10\) must be longer than period \(15\)"),
        ({"applies_to_products": []}, "applies_to_products: give at least one product"),
        ({"unit": "fortnights"}, "unit"),
        ({"period": 0}, "period"),
    ],
)
def test_a_broken_rule_is_refused(change: dict[str, Any], message: str) -> None:
    rule = {"kind": "final_response", "period": 15, "unit": "business_days", "action": "holding_response"}
    with pytest.raises(ValidationError, match=message):
        RegulatoryRule.model_validate({**rule, **change})


def test_the_demo_rules_repeat_the_same_profiles_and_calendars() -> None:
    demo = load_rules(CONFIG_DIR / "demo.toml").sla
    assert demo.regulatory_profiles == SLA.regulatory_profiles
    assert demo.calendars == SLA.calendars
    assert (demo.default_profile, demo.default_calendar) == (SLA.default_profile, SLA.default_calendar)
    assert all(not target.business for policy in demo.policies.values() for target in policy.targets.values())
