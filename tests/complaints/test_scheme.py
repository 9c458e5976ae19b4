"""An incident's scheme: eligibility (each refusal names its rule), the first band that covers the
impact, the remedy items with their reasons, the cap per customer, and a dry run's totals."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from complaints.remedies import RemedyKind
from complaints.scheme import (
    BandRemedy,
    Eligibility,
    Measure,
    Scheme,
    assess,
)
from tests.complaints.scheme_builders import END, INCIDENT, ONGOING, START, band, impact, scheme

# -- eligibility -----------------------------------------------------------------------------------


def test_a_customer_of_the_incidents_product_is_eligible() -> None:
    found = assess(impact(), scheme(), INCIDENT)
    assert found.eligible and found.refusal is None and found.scheme_version == 2
    assert found.band == "long" and found.amount == Decimal("20.00")


@pytest.mark.parametrize("product", ["mobile", None])
def test_another_product_or_none_is_refused_by_the_products_rule(product: str | None) -> None:
    found = assess(impact(product=product), scheme(), INCIDENT)
    assert not found.eligible and found.offer is None and found.amount == 0
    assert found.refusal is not None and found.refusal.startswith("rule products:")
    assert ("'mobile'" if product else "no product") in found.refusal
    assert "broadband" in found.refusal  # the products that were hit


def test_the_product_is_matched_without_regard_to_case() -> None:
    assert assess(impact(product="BroadBand"), scheme(), INCIDENT).eligible


def test_the_schemes_own_products_replace_the_incidents() -> None:
    only_mobile = scheme(eligibility=Eligibility(products=("mobile",)))
    assert assess(impact(product="mobile"), only_mobile, INCIDENT).eligible
    refused = assess(impact(product="broadband"), only_mobile, INCIDENT)
    assert not refused.eligible and refused.refusal is not None
    assert (
        refused.refusal.startswith("rule products:")
        and "'broadband'" in refused.refusal
        and "mobile" in refused.refusal
    )


def test_an_incident_without_products_takes_any_product() -> None:
    no_products = INCIDENT.model_copy(update={"products": ()})
    assert assess(impact(product=None), scheme(), no_products).eligible
    assert assess(impact(product="anything"), scheme(), no_products).eligible


@pytest.mark.parametrize("at", [START - timedelta(seconds=1), END + timedelta(seconds=1)])
def test_affected_outside_the_window_is_refused_by_the_window_rule(at: datetime) -> None:
    found = assess(impact(affected_at=at), scheme(), INCIDENT)
    assert not found.eligible and found.refusal is not None
    assert found.refusal.startswith("rule window:")
    assert at.isoformat() in found.refusal and START.isoformat() in found.refusal and END.isoformat() in found.refusal


@pytest.mark.parametrize("at", [START, END])
def test_the_window_includes_its_start_and_end(at: datetime) -> None:
    assert assess(impact(affected_at=at), scheme(), INCIDENT).eligible


def test_an_ongoing_incident_has_no_end_to_its_window() -> None:
    late = END + timedelta(days=30)
    assert assess(impact(affected_at=late), scheme(), ONGOING).eligible
    early = assess(impact(affected_at=START - timedelta(minutes=1)), scheme(), ONGOING)
    assert early.refusal is not None and early.refusal.startswith("rule window:")
    assert "still ongoing" in early.refusal


def test_without_a_time_or_with_the_window_rule_off_the_window_does_not_refuse() -> None:
    assert assess(impact(affected_at=None), scheme(), INCIDENT).eligible
    off = scheme(eligibility=Eligibility(within_window=False))
    assert assess(impact(affected_at=END + timedelta(days=1)), off, INCIDENT).eligible


def test_the_products_rule_is_named_before_the_window_rule() -> None:
    found = assess(impact(product="mobile", affected_at=END + timedelta(days=1)), scheme(), INCIDENT)
    assert found.refusal is not None and found.refusal.startswith("rule products:")


# -- bands -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "expected"),
    [("0", "short"), ("3.99", "short"), ("4", "long"), ("23.99", "long"), ("24", "day"), ("1000", "day")],
)
def test_at_least_is_inclusive_and_below_exclusive(hours: str, expected: str) -> None:
    assert assess(impact(hours=hours, loss="1.00"), scheme(), INCIDENT).band == expected


def test_the_first_band_that_covers_the_impact_wins() -> None:
    overlapping = (band("first", "0", "10", credit=Decimal("1.00")), band("second", "5", credit=Decimal("2.00")))
    found = assess(impact(hours="7"), scheme(bands=overlapping), INCIDENT)
    assert found.band == "first" and found.amount == Decimal("1.00")
    assert assess(impact(hours="10"), scheme(bands=overlapping), INCIDENT).band == "second"


def test_bands_by_proven_loss_read_the_proven_loss() -> None:
    by_loss = (
        band("small", "0", "50", measure=Measure.PROVEN_LOSS, refund_proven_loss=True),
        band("large", "50", measure=Measure.PROVEN_LOSS, refund_proven_loss=True, goodwill=Decimal("10.00")),
    )
    small = assess(impact(hours=None, loss="49.99"), scheme(bands=by_loss), INCIDENT)
    large = assess(impact(hours=None, loss="50.00"), scheme(bands=by_loss), INCIDENT)
    assert (small.band, small.amount) == ("small", Decimal("49.99"))
    assert (large.band, large.amount) == ("large", Decimal("60.00"))


def test_a_band_is_skipped_when_its_measure_is_not_given() -> None:
    mixed = (
        band("by-loss", "0", measure=Measure.PROVEN_LOSS, refund_proven_loss=True),
        band("by-hours", "0", credit=Decimal("3.00")),
    )
    found = assess(impact(hours="2", loss=None), scheme(bands=mixed), INCIDENT)
    assert found.band == "by-hours" and found.amount == Decimal("3.00")


def test_no_band_covering_the_impact_is_refused_by_the_bands_rule() -> None:
    gap = (band("short", "0", "4", credit=Decimal("5.00")), band("day", "24", credit=Decimal("30.00")))
    found = assess(impact(hours="10"), scheme(bands=gap), INCIDENT)
    assert not found.eligible and found.band is None and found.offer is None
    assert found.refusal == "rule bands: no impact band covers hours without service 10"


def test_no_measure_given_is_refused_by_the_bands_rule_saying_so() -> None:
    found = assess(impact(hours=None), scheme(), INCIDENT)
    assert found.refusal == "rule bands: no impact band covers hours without service (not given)"


def test_a_band_that_gives_only_the_loss_back_refuses_a_customer_with_no_loss() -> None:
    refund_only = (band("refund", "0", refund_proven_loss=True),)
    found = assess(impact(loss=None), scheme(bands=refund_only), INCIDENT)
    assert not found.eligible and found.band == "refund" and found.amount == 0
    assert found.refusal is not None and found.refusal.startswith("rule bands:")


# -- the remedy ------------------------------------------------------------------------------------


def test_every_remedy_item_is_given_with_a_plain_words_reason() -> None:
    everything = (
        band(
            "all",
            "0",
            refund_proven_loss=True,
            credit=Decimal("10.00"),
            discount=Decimal("15.00"),
            goodwill=Decimal("20.00"),
        ),
    )
    found = assess(impact(hours="6", loss="12.50"), scheme(bands=everything, cap_per_customer=Decimal("500")), INCIDENT)
    assert found.eligible and found.offer is not None
    offer = found.offer
    assert [(item.kind, item.amount) for item in offer.items] == [
        (RemedyKind.REFUND, Decimal("12.50")),
        (RemedyKind.ACCOUNT_CREDIT, Decimal("10.00")),
        (RemedyKind.DISCOUNT, Decimal("15.00")),
        (RemedyKind.GOODWILL, Decimal("20.00")),
    ]
    for item in offer.items:
        assert item.reason.strip() and item.reason.endswith(".") and "\n" not in item.reason
    refund, credit, discount, goodwill = (item.reason for item in offer.items)
    assert "12.50 GBP you lost" in refund and "the broadband outage" in refund
    assert "10.00 GBP credited" in credit and "6 hours you were without service" in credit
    assert "15.00 GBP off your next purchase" in discount
    assert goodwill.startswith("A goodwill payment") and "6 hours" in goodwill
    assert found.amount == offer.total == Decimal("57.50")
    assert offer.currency == "GBP" and offer.policy_version == "scheme/v2/all" and offer.approval_level is None
    assert offer.note == ""


def test_a_band_by_proven_loss_gives_reasons_without_hours() -> None:
    by_loss = (band("loss", "0", measure=Measure.PROVEN_LOSS, credit=Decimal("5.00")),)
    found = assess(impact(hours="3", loss="1.00"), scheme(bands=by_loss), INCIDENT)
    assert found.offer is not None
    assert found.offer.items[0].reason.endswith("for the trouble this caused you.")


def test_the_refund_item_is_left_out_when_there_is_no_proven_loss() -> None:
    found = assess(impact(hours="30", loss="0"), scheme(), INCIDENT)
    assert found.offer is not None
    assert [item.kind for item in found.offer.items] == [RemedyKind.GOODWILL]
    assert found.amount == Decimal("30.00")


def test_the_cap_per_customer_cuts_the_total_and_says_so() -> None:
    found = assess(impact(hours="48", loss="250.00"), scheme(cap_per_customer=Decimal("100.00")), INCIDENT)
    assert found.eligible and found.offer is not None
    assert found.amount == Decimal("100.00")
    # The loss comes first: it takes the whole cap, the goodwill after it is cut away.
    assert [(item.kind, item.amount) for item in found.offer.items] == [(RemedyKind.REFUND, Decimal("100.00"))]
    assert "Reduced to stay within the scheme's cap" in found.offer.items[0].reason
    assert found.offer.note == "Cut from 280.00 to the scheme's cap of 100.00 GBP per customer."


def test_a_total_at_the_cap_is_not_cut() -> None:
    found = assess(impact(hours="48", loss="70.00"), scheme(cap_per_customer=Decimal("100.00")), INCIDENT)
    assert found.amount == Decimal("100.00") and found.offer is not None and found.offer.note == ""
    assert len(found.offer.items) == 2


def test_the_currency_is_the_schemes() -> None:
    found = assess(impact(), scheme(currency="EUR"), INCIDENT)
    assert found.offer is not None and found.offer.currency == "EUR"
    assert "20.00 EUR credited" in found.offer.items[0].reason


# -- validation ------------------------------------------------------------------------------------


def test_two_bands_with_one_name_are_refused() -> None:
    with pytest.raises(ValidationError, match="two bands have the same name"):
        scheme(bands=(band("a", "0", "4", credit=Decimal("1")), band("a", "4", credit=Decimal("2"))))


@pytest.mark.parametrize(("field", "message"), [("budget", "budget: must be above 0"), ("cap_per_customer", "cap")])
def test_a_zero_budget_or_cap_is_refused(field: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        scheme(**{field: Decimal("0")})


@pytest.mark.parametrize("below", ["4", "3"])
def test_a_band_ending_at_or_before_its_start_is_refused(below: str) -> None:
    with pytest.raises(ValidationError, match="band 'x': below must be above at_least"):
        band("x", "4", below, credit=Decimal("1"))


@pytest.mark.parametrize(
    "changes",
    [
        {"bands": ()},
        {"currency": "gbp"},
        {"version": 0},
        {"budget": Decimal("-1")},
        {"cap_per_customer": Decimal("1.001")},
        {"surprise": True},
    ],
)
def test_a_malformed_scheme_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        scheme(**changes)


def test_a_band_remedy_takes_no_negative_amount_or_unknown_field() -> None:
    with pytest.raises(ValidationError):
        BandRemedy(credit=Decimal("-1.00"))
    with pytest.raises(ValidationError):
        BandRemedy.model_validate({"voucher": "10"})


def test_a_scheme_round_trips_through_json() -> None:
    sch = scheme()
    assert Scheme.model_validate_json(sch.model_dump_json()) == sch
