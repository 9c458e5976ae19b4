"""Intake against the rules and the clock: the regulatory profile must exist in the rules the
worker loads, and `received_at` must fall in the window around now. Each refusal names its field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from complaints.intake import ComplaintInput, InvalidInput, parse_complaints
from complaints.intake_checks import (
    DEFAULT_CLOCK_SKEW,
    DEFAULT_MAX_AGE,
    IntakeWindow,
    Problem,
    as_started,
    check_against,
    refuse_unless_acceptable,
    span,
)
from complaints.rules import load_rules
from tests.complaints.test_intake import complaint

RULES = load_rules(Path(__file__).resolve().parents[2] / "config" / "complaints.toml")
NOW = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
WINDOW = IntakeWindow()


def parsed(**overrides: Any) -> ComplaintInput:
    (one,) = parse_complaints(json.dumps(complaint(**overrides)))
    return one


def problems(**overrides: Any) -> list[Problem]:
    return check_against(parsed(**overrides), RULES, NOW, WINDOW)


def test_the_defaults_are_a_year_and_a_day_back_and_five_minutes_ahead() -> None:
    assert (WINDOW.max_age, WINDOW.clock_skew) == (DEFAULT_MAX_AGE, DEFAULT_CLOCK_SKEW)
    assert (timedelta(days=366), timedelta(minutes=5)) == (DEFAULT_MAX_AGE, DEFAULT_CLOCK_SKEW)


def test_a_plain_complaint_has_no_problem() -> None:
    assert problems() == []
    assert problems(received_at=(NOW - timedelta(days=2)).isoformat()) == []


# -- regulatory_profile -----------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["uk-fca-disp", "us-cfpb", "internal"])
def test_a_profile_the_rules_have_is_taken(profile: str) -> None:
    assert problems(regulatory_profile=profile) == []


@pytest.mark.parametrize("profile", ["eu-psd2", "uk-fca", "us_cfpb", "fca"])
def test_an_unknown_profile_is_refused_naming_the_field_and_the_known_ones(profile: str) -> None:
    assert problems(regulatory_profile=profile) == [
        Problem("regulatory_profile", f"unknown regulatory profile {profile!r}; known: internal, uk-fca-disp, us-cfpb")
    ]


def test_the_profiles_are_those_of_the_rules_given() -> None:
    """Demo and production rules repeat the same profiles; a file with fewer refuses the others."""
    internal_only = RULES.model_copy(
        update={
            "sla": RULES.sla.model_copy(update={"regulatory_profiles": {"internal": RULES.sla.profile("internal")}})
        }
    )
    (problem,) = check_against(parsed(regulatory_profile="us-cfpb"), internal_only, NOW, WINDOW)
    assert problem == Problem("regulatory_profile", "unknown regulatory profile 'us-cfpb'; known: internal")


def test_no_profile_means_the_rules_default_and_is_taken() -> None:
    assert parsed().regulatory_profile is None
    assert problems() == []


# -- received_at ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received_at", "start"),
    [
        ("9999-12-31T23:59:59+00:00", "is 2912106 days 14 hours in the future"),
        ("2126-12-03T09:30:00Z", "is 36524 days in the future"),
        ((NOW + timedelta(minutes=5, seconds=1)).isoformat(), "is 5 minutes 1 second in the future"),
        ("0001-01-01T00:00:00-01:00", "is 739952 days 8 hours ago"),
        ("1900-01-01T00:00:00Z", "is 46357 days 9 hours ago"),
        (0, "is 20790 days 9 hours ago"),  # the epoch, as a number
        (-1, "is 20790 days 9 hours ago"),
        ((NOW - timedelta(days=366, seconds=1)).isoformat(), "is 366 days 1 second ago"),
    ],
    ids=["year-9999", "a-century-ahead", "just-past-the-skew", "year-1", "1900", "epoch-0", "epoch-minus-1", "too-old"],
)
def test_a_received_at_outside_the_window_is_refused_naming_the_field(received_at: object, start: str) -> None:
    (problem,) = problems(received_at=received_at)

    assert problem.field == "received_at"
    assert problem.message.startswith(start)


def test_the_refusal_says_what_the_window_is() -> None:
    (ahead,) = problems(received_at=(NOW + timedelta(hours=1)).isoformat())
    (behind,) = problems(received_at=(NOW - timedelta(days=400)).isoformat())

    assert ahead.message.endswith("; clocks may differ by 5 minutes at most")
    assert behind.message.endswith("; complaints received in the last 366 days are taken")


@pytest.mark.parametrize(
    "offset",
    [DEFAULT_CLOCK_SKEW, timedelta(seconds=1), timedelta(0), -timedelta(hours=1), -DEFAULT_MAX_AGE],
    ids=["skew-ahead", "a-second-ahead", "now", "an-hour-ago", "max-age-ago"],
)
def test_the_window_includes_its_edges(offset: timedelta) -> None:
    assert problems(received_at=(NOW + offset).isoformat()) == []


def test_the_window_is_the_callers() -> None:
    month = IntakeWindow(max_age=timedelta(days=30), clock_skew=timedelta(0))

    old = parsed(received_at=(NOW - timedelta(days=31)).isoformat())
    ahead = parsed(received_at=(NOW + timedelta(seconds=1)).isoformat())

    assert [p.field for p in check_against(old, RULES, NOW, month)] == ["received_at"]
    assert [p.field for p in check_against(ahead, RULES, NOW, month)] == ["received_at"]
    assert check_against(old, RULES, NOW, WINDOW) == []


def test_a_received_at_in_another_zone_is_compared_as_an_instant() -> None:
    """23:00 at UTC-05:00 is 04:00 UTC the next day: 'now' in New York can be 'tomorrow' in UTC."""
    assert problems(received_at="2026-12-03T04:30:00-05:00") == []  # 09:30 UTC, exactly now
    assert [p.field for p in problems(received_at="2026-12-03T09:30:00-05:00")] == ["received_at"]


@pytest.mark.parametrize(
    ("max_age", "skew", "message"),
    [
        (timedelta(0), timedelta(0), "max_age: must be longer than zero"),
        (timedelta(days=1), -timedelta(seconds=1), "clock_skew: must not be negative"),
    ],
)
def test_a_window_that_makes_no_sense_is_refused(max_age: timedelta, skew: timedelta, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}"):
        IntakeWindow(max_age=max_age, clock_skew=skew)


# -- all problems, all or nothing ------------------------------------------------------------------


def test_every_problem_is_named_and_nothing_is_taken() -> None:
    bad = parsed(regulatory_profile="eu-psd2", received_at="1900-01-01T00:00:00Z")

    with pytest.raises(InvalidInput) as error:
        refuse_unless_acceptable([bad], RULES, NOW, WINDOW)

    lines = str(error.value).splitlines()
    assert [line.split(":")[0] for line in lines] == ["regulatory_profile", "received_at"]
    assert [e["loc"] for e in error.value.errors] == [("regulatory_profile",), ("received_at",)]


def test_in_a_list_the_message_names_the_complaint_and_the_field() -> None:
    good, bad = parsed(id="C-1"), parsed(id="C-2", regulatory_profile="eu-psd2")

    with pytest.raises(InvalidInput) as error:
        refuse_unless_acceptable([good, bad], RULES, NOW, WINDOW)

    assert str(error.value) == (
        "complaint 1.regulatory_profile: unknown regulatory profile 'eu-psd2'; known: internal, uk-fca-disp, us-cfpb"
    )
    assert error.value.errors[0]["loc"] == (1, "regulatory_profile")


def test_acceptable_complaints_pass() -> None:
    refuse_unless_acceptable([parsed(id="C-1"), parsed(id="C-2", regulatory_profile="us-cfpb")], RULES, NOW, WINDOW)


# -- as_started: what the workflow gets ---------------------------------------------------------------


@pytest.mark.parametrize(
    "offset",
    [DEFAULT_CLOCK_SKEW, timedelta(seconds=1), timedelta(0), -timedelta(minutes=4, seconds=59), -DEFAULT_CLOCK_SKEW],
)
def test_a_receipt_within_the_skew_of_now_is_left_to_the_case_clock(offset: timedelta) -> None:
    """A clock started after the workflow's own now could never be stopped: the case counts from its start."""
    sent = parsed(received_at=(NOW + offset).isoformat())

    started = as_started(sent, NOW, WINDOW)

    assert started.received_at is None
    assert started.model_dump(exclude={"received_at"}) == sent.model_dump(exclude={"received_at"})
    assert sent.received_at is not None  # what was sent is unchanged (its digest identifies it)


@pytest.mark.parametrize("received_at", [None, (NOW - timedelta(minutes=5, seconds=1)).isoformat()])
def test_an_earlier_receipt_or_none_is_kept(received_at: str | None) -> None:
    sent = parsed(received_at=received_at)

    assert as_started(sent, NOW, WINDOW) is sent


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (timedelta(days=366), "366 days"),
        (timedelta(minutes=5), "5 minutes"),
        (timedelta(days=1, hours=2, seconds=3), "1 day 2 hours"),
        (timedelta(seconds=1), "1 second"),
        (timedelta(0), "0 seconds"),
        (-timedelta(hours=3), "3 hours"),
    ],
)
def test_span_says_a_duration_as_a_person_does(amount: timedelta, words: str) -> None:
    assert span(amount) == words
