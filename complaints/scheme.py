"""An incident's compensation scheme: who is eligible, in which impact band, for what remedy.

Pure and versioned: the scheme is configuration (declared with the incident, amended by a
new version), and `assess` is the one function that turns an affected customer's impact
into an offer, or into a refusal that names the rule. The remedy is built from the same
items (`complaints.remedies`) and cut to the cap the same way (`complaints.policy`) as a
complaint's own proposal, and every item says why in plain words.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from complaints.fields import Money, SingleLine
from complaints.intake import ProductName
from complaints.policy import cut_to_limit
from complaints.remedies import Proposal, RemedyItem, RemedyKind

ZERO = Decimal("0")


class Measure(StrEnum):
    """What an impact band is measured by: one of an affected customer's impact fields."""

    HOURS_WITHOUT_SERVICE = "hours_without_service"
    PROVEN_LOSS = "proven_loss"


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BandRemedy(_Config):
    """What a band gives: the proven loss back, credit, a discount and goodwill, in any mix."""

    refund_proven_loss: bool = False
    credit: Money = ZERO
    discount: Money = ZERO
    goodwill: Money = ZERO


class Band(_Config):
    """Customers whose `measure` is at least `at_least` (and below `below`, when set)."""

    name: SingleLine
    measure: Measure
    at_least: Annotated[Decimal, Field(ge=0)] = ZERO
    below: Annotated[Decimal, Field(gt=0)] | None = None
    remedy: BandRemedy

    @model_validator(mode="after")
    def _a_real_range(self) -> Band:
        if self.below is not None and self.below <= self.at_least:
            raise ValueError(f"band {self.name!r}: below must be above at_least")
        return self

    def covers(self, value: Decimal) -> bool:
        return value >= self.at_least and (self.below is None or value < self.below)


class Eligibility(_Config):
    """The rules a customer must meet, each named in a refusal. `products` None: the incident's own."""

    products: tuple[ProductName, ...] | None = None
    within_window: bool = True  # affected between the incident's start and end, when a time is given


class Scheme(_Config):
    version: int = Field(default=1, ge=1)
    currency: str = Field(default="GBP", pattern=r"^[A-Z]{3}$")
    eligibility: Eligibility = Eligibility()
    bands: tuple[Band, ...] = Field(min_length=1)
    cap_per_customer: Money
    budget: Money

    @model_validator(mode="after")
    def _sensible(self) -> Scheme:
        names = [band.name for band in self.bands]
        if len(set(names)) != len(names):
            raise ValueError("bands: two bands have the same name")
        if self.cap_per_customer <= 0:
            raise ValueError("cap_per_customer: must be above 0")
        if self.budget <= 0:
            raise ValueError("budget: must be above 0")
        return self


class Impact(BaseModel):
    """How one customer was hit: the fields a scheme's rules and bands read."""

    product: str | None = None
    affected_at: datetime | None = None
    hours_without_service: Decimal | None = None
    proven_loss: Decimal | None = None

    def measured(self, measure: Measure) -> Decimal | None:
        value: Decimal | None = getattr(self, measure.value)
        return value


class IncidentFacts(BaseModel):
    """What the scheme needs to know of the incident: its window, products and what to call it."""

    title: str
    started_at: datetime
    ended_at: datetime | None
    products: tuple[str, ...]


class Assessment(BaseModel):
    """One customer under one scheme version: an offer (eligible) or the rule that refused them."""

    scheme_version: int
    eligible: bool
    band: str | None = None
    offer: Proposal | None = None
    refusal: str | None = None

    @property
    def amount(self) -> Decimal:
        return self.offer.total if self.offer is not None else ZERO


def assess(impact: Impact, scheme: Scheme, incident: IncidentFacts) -> Assessment:
    """Eligibility first (each rule named when it refuses), then the band, then the remedy."""
    refusal = _ineligible(impact, scheme, incident)
    if refusal is not None:
        return Assessment(scheme_version=scheme.version, eligible=False, refusal=refusal)
    band = _band_for(impact, scheme)
    if band is None:
        measures = sorted({band.measure.value for band in scheme.bands})
        shown = ", ".join(f"{m.replace('_', ' ')} {_shown(impact.measured(Measure(m)))}" for m in measures)
        return Assessment(
            scheme_version=scheme.version,
            eligible=False,
            refusal=f"rule bands: no impact band covers {shown}",
        )
    offer = _offer(impact, band, scheme, incident)
    if offer.total <= 0:
        return Assessment(
            scheme_version=scheme.version,
            eligible=False,
            band=band.name,
            refusal=f"rule bands: band {band.name!r} gives nothing for no proven loss",
        )
    return Assessment(scheme_version=scheme.version, eligible=True, band=band.name, offer=offer)


def _ineligible(impact: Impact, scheme: Scheme, incident: IncidentFacts) -> str | None:
    products = scheme.eligibility.products if scheme.eligibility.products is not None else incident.products
    if products and (impact.product is None or impact.product.lower() not in products):
        held = "no product" if impact.product is None else f"product {impact.product!r}"
        return f"rule products: {held} is not one of the products hit ({', '.join(products)})"
    at = impact.affected_at
    if scheme.eligibility.within_window and at is not None and not _within(at, incident):
        return (
            f"rule window: affected at {at.isoformat()}, outside the incident "
            f"({incident.started_at.isoformat()} to {_end(incident)})"
        )
    return None


def _within(at: datetime, incident: IncidentFacts) -> bool:
    return at >= incident.started_at and (incident.ended_at is None or at <= incident.ended_at)


def _band_for(impact: Impact, scheme: Scheme) -> Band | None:
    for band in scheme.bands:
        value = impact.measured(band.measure)
        if value is not None and band.covers(value):
            return band
    return None


def _offer(impact: Impact, band: Band, scheme: Scheme, incident: IncidentFacts) -> Proposal:
    """The band's remedy as proposal items, each with its reason, cut to the cap per customer."""
    remedy, currency, what = band.remedy, scheme.currency, incident.title
    items: list[RemedyItem] = []
    loss = impact.proven_loss or ZERO
    if remedy.refund_proven_loss and loss > 0:
        items.append(
            RemedyItem(
                kind=RemedyKind.REFUND,
                amount=loss,
                reason=f"A refund of the {loss:.2f} {currency} you lost through it ({what}).",
            )
        )
    if remedy.credit > 0:
        reason = f"{remedy.credit:.2f} {currency} credited to your account for {_for_what(impact, band)}."
        items.append(RemedyItem(kind=RemedyKind.ACCOUNT_CREDIT, amount=remedy.credit, reason=reason))
    if remedy.discount > 0:
        reason = f"{remedy.discount:.2f} {currency} off your next purchase with us, for {_for_what(impact, band)}."
        items.append(RemedyItem(kind=RemedyKind.DISCOUNT, amount=remedy.discount, reason=reason))
    if remedy.goodwill > 0:
        reason = f"A goodwill payment for {_for_what(impact, band)}."
        items.append(RemedyItem(kind=RemedyKind.GOODWILL, amount=remedy.goodwill, reason=reason))
    total = sum((item.amount for item in items), ZERO)
    note = ""
    if total > scheme.cap_per_customer:
        cap = f"the scheme's cap of {scheme.cap_per_customer:.2f} {currency} per customer"
        items = cut_to_limit(items, scheme.cap_per_customer, cap)
        note = f"Cut from {total:.2f} to {cap}."
    return Proposal(
        version=1,
        items=items,
        currency=currency,
        policy_version=f"scheme/v{scheme.version}/{band.name}",
        approval_level=None,  # approved with the scheme as a whole
        note=note,
    )


def _for_what(impact: Impact, band: Band) -> str:
    value = impact.measured(band.measure)
    if band.measure is Measure.HOURS_WITHOUT_SERVICE and value is not None:
        return f"the {_shown(value)} hours you were without service"
    return "the trouble this caused you"


def _shown(value: Decimal | None) -> str:
    if value is None:
        return "(not given)"
    return f"{value.normalize():f}"


def _end(incident: IncidentFacts) -> str:
    return incident.ended_at.isoformat() if incident.ended_at is not None else "now (still ongoing)"


class BandTotal(BaseModel):
    band: str
    customers: int
    amount: Decimal


class SchemeEstimate(BaseModel):
    """A dry run's or an assessment's totals: eligible per band, and the refusals by rule."""

    scheme_version: int
    currency: str
    affected: int
    eligible: int
    bands: list[BandTotal]
    refused_by_rule: dict[str, int]
    total: Decimal


def estimate(assessments: Iterable[Assessment], scheme: Scheme) -> SchemeEstimate:
    """Totals per band; a band of an earlier scheme version (a customer offered under it) is shown too."""
    per_band = {band.name: BandTotal(band=band.name, customers=0, amount=ZERO) for band in scheme.bands}
    refused: dict[str, int] = {}
    affected = 0
    for assessment in assessments:
        affected += 1
        if assessment.eligible and assessment.band is not None:
            row = per_band.setdefault(assessment.band, BandTotal(band=assessment.band, customers=0, amount=ZERO))
            row.customers += 1
            row.amount += assessment.amount
        else:
            rule = (assessment.refusal or "rule ?").split(":", 1)[0].removeprefix("rule ")
            refused[rule] = refused.get(rule, 0) + 1
    bands = list(per_band.values())
    return SchemeEstimate(
        scheme_version=scheme.version,
        currency=scheme.currency,
        affected=affected,
        eligible=sum(band.customers for band in bands),
        bands=bands,
        refused_by_rule=refused,
        total=sum((band.amount for band in bands), ZERO),
    )
