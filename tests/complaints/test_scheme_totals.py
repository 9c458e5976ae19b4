"""The scheme's totals (the dry run and the approval's estimate) and its one property: no offer
exceeds the cap, and every eligible customer is offered something."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaints.scheme import (
    Assessment,
    Band,
    BandRemedy,
    Eligibility,
    Impact,
    Measure,
    Scheme,
    assess,
    estimate,
)
from tests.complaints.scheme_builders import END, INCIDENT, ONGOING, impact, scheme

# -- the estimate ----------------------------------------------------------------------------------


def test_the_estimate_totals_each_band_and_counts_refusals_by_rule() -> None:
    sch = scheme()
    impacts = [
        impact(hours="1"),  # short 5.00
        impact(hours="2"),  # short 5.00
        impact(hours="5"),  # long 20.00
        impact(hours="30", loss="200.00"),  # day, cut to 100.00
        impact(product="mobile"),  # products
        impact(product=None),  # products
        impact(affected_at=END + timedelta(hours=1)),  # window
        impact(hours=None),  # bands
    ]
    found = estimate((assess(one, sch, INCIDENT) for one in impacts), sch)
    assert found.scheme_version == 2 and found.currency == "GBP"
    assert (found.affected, found.eligible) == (8, 4)
    assert [(row.band, row.customers, row.amount) for row in found.bands] == [
        ("short", 2, Decimal("10.00")),
        ("long", 1, Decimal("20.00")),
        ("day", 1, Decimal("100.00")),
    ]
    assert found.refused_by_rule == {"products": 2, "window": 1, "bands": 1}
    assert found.total == Decimal("130.00")


def test_the_estimate_of_nobody_lists_every_band_at_zero() -> None:
    found = estimate([], scheme())
    assert (found.affected, found.eligible, found.total, found.refused_by_rule) == (0, 0, Decimal("0"), {})
    assert [(row.band, row.customers) for row in found.bands] == [("short", 0), ("long", 0), ("day", 0)]


def test_the_estimate_counts_a_refusal_without_a_rule_as_unknown() -> None:
    found = estimate([Assessment(scheme_version=2, eligible=False)], scheme())
    assert found.refused_by_rule == {"?": 1}


# -- the property ----------------------------------------------------------------------------------

money = st.decimals(min_value=0, max_value=5000, places=2, allow_nan=False, allow_infinity=False)
hours = st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False)
instants = st.datetimes(min_value=datetime(2026, 10, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC))


@st.composite
def schemes(draw: st.DrawFn) -> Scheme:
    bands = []
    for number in range(draw(st.integers(min_value=1, max_value=4))):
        at_least = draw(money)
        above = st.decimals(min_value=at_least + Decimal("0.01"), max_value=10_000, places=2)
        below = draw(st.none() | above)
        remedy = BandRemedy(
            refund_proven_loss=draw(st.booleans()),
            credit=draw(money),
            discount=draw(money),
            goodwill=draw(money),
        )
        bands.append(
            Band(
                name=f"b{number}", measure=draw(st.sampled_from(Measure)), at_least=at_least, below=below, remedy=remedy
            )
        )
    return Scheme(
        version=draw(st.integers(min_value=1, max_value=9)),
        eligibility=Eligibility(within_window=draw(st.booleans())),
        bands=tuple(bands),
        cap_per_customer=draw(money.filter(lambda cap: cap > 0)),
        budget=Decimal("1000000.00"),
    )


impacts = st.builds(
    Impact,
    product=st.none() | st.sampled_from(["broadband", "Broadband", "mobile"]),
    affected_at=st.none() | instants,
    hours_without_service=st.none() | hours,
    proven_loss=st.none() | money,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(impact=impacts, sch=schemes(), ongoing=st.booleans())
def test_no_offer_exceeds_the_cap_and_every_eligible_customer_is_offered_something(
    impact: Impact, sch: Scheme, ongoing: bool
) -> None:
    found = assess(impact, sch, ONGOING if ongoing else INCIDENT)
    assert found.amount <= sch.cap_per_customer
    assert found.scheme_version == sch.version
    if found.eligible:
        assert found.amount > 0 and found.offer is not None and found.band is not None and found.refusal is None
        assert all(item.amount > 0 and item.reason.strip() for item in found.offer.items)
        assert sum(item.amount for item in found.offer.items) == found.amount
    else:
        assert found.offer is None and found.amount == 0
        assert found.refusal is not None and found.refusal.split(":", 1)[0] in (
            "rule products",
            "rule window",
            "rule bands",
        )
