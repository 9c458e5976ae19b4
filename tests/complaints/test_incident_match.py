"""A complaint naming no incident is matched to the open one it is about, by the incident's own terms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from complaints.incident_match import match_incident
from complaints.intake import ComplaintInput
from tests.incident_support import STARTED, declaration
from tests.support import make_complaint

WITHIN = timedelta(days=30)
ENDED = STARTED + timedelta(days=1)
DURING = STARTED + timedelta(hours=3)


def about(**overrides: Any) -> ComplaintInput:
    return make_complaint(**{"category": "service", "product": "broadband", **overrides})


def matched(complaint: ComplaintInput, received_at: datetime = DURING, **incident: Any) -> str | None:
    found = match_incident(
        complaint, [declaration(id="INC-1", ended_at=ENDED.isoformat(), **incident)], received_at, WITHIN
    )
    return None if found is None else found.incident_id


def test_a_complaint_about_a_hit_product_and_category_during_the_incident_matches_it() -> None:
    found = match_incident(about(), [declaration(id="INC-1", ended_at=ENDED.isoformat())], DURING, WITHIN)
    assert found is not None and found.incident_id == "INC-1"
    assert found.reason == (
        "matched to incident INC-1 (Broadband outage in the North West; ended 2026-11-03 06:00 UTC) "
        "by its category service and product broadband"
    )


def test_another_category_or_product_does_not_match() -> None:
    assert matched(about(category="billing")) is None
    assert matched(about(product="mobile")) is None
    assert matched(about(product=None)) is None  # the incident names products; this complaint names none


def test_an_incident_that_names_no_product_hits_every_product() -> None:
    assert matched(about(product="mobile"), products=[]) == "INC-1"
    assert matched(about(product=None), products=[]) == "INC-1"


def test_only_complaints_from_its_start_until_within_after_its_end_match() -> None:
    assert matched(about(), received_at=STARTED - timedelta(seconds=1)) is None
    assert matched(about(), received_at=STARTED) == "INC-1"
    assert matched(about(), received_at=ENDED + WITHIN) == "INC-1"
    assert matched(about(), received_at=ENDED + WITHIN + timedelta(seconds=1)) is None


def test_an_ongoing_incident_matches_whenever_after_its_start() -> None:
    ongoing = declaration(id="INC-1", ended_at=None)
    found = match_incident(about(), [ongoing], STARTED + timedelta(days=400), WITHIN)
    assert found is not None and "still ongoing" in found.reason


def test_the_incident_naming_the_product_wins_then_the_latest_started() -> None:
    general = declaration(id="INC-A", products=[], started_at=(STARTED + timedelta(hours=2)).isoformat())
    specific_early = declaration(id="INC-B")
    specific_late = declaration(id="INC-C", started_at=(STARTED + timedelta(hours=1)).isoformat())
    found = match_incident(about(), [general, specific_early, specific_late], DURING, WITHIN)
    assert found is not None and found.incident_id == "INC-C"
    found = match_incident(about(), [general, specific_early], DURING, WITHIN)
    assert found is not None and found.incident_id == "INC-B"


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["INC-A", "INC-B", "INC-C", "INC-D"]), st.integers(0, 5), st.booleans()),
        min_size=1,
        max_size=4,
        unique_by=lambda entry: entry[0],
    ),
    st.randoms(use_true_random=False),
)
def test_the_same_complaint_goes_to_the_same_incident_whatever_their_order(
    entries: list[tuple[str, int, bool]], shuffler: Any
) -> None:
    incidents = [
        declaration(
            id=incident_id,
            started_at=(STARTED + timedelta(hours=hours)).isoformat(),
            ended_at=None,
            products=["broadband"] if names_product else [],
        )
        for incident_id, hours, names_product in entries
    ]
    at = datetime(2026, 11, 2, 12, tzinfo=UTC)
    first = match_incident(about(), incidents, at, WITHIN)
    shuffler.shuffle(incidents)
    again = match_incident(about(), incidents, at, WITHIN)
    assert first is not None and again is not None and first.incident_id == again.incident_id
    chosen = next(incident for incident in incidents if incident.id == first.incident_id)
    assert chosen.products or not any(incident.products for incident in incidents)  # the product-specific first
