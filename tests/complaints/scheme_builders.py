"""Builders the scheme's tests share: an incident's facts, bands, a scheme and an impact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from complaints.scheme import (
    Band,
    BandRemedy,
    Impact,
    IncidentFacts,
    Measure,
    Scheme,
)

START = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
END = datetime(2026, 11, 3, 18, 0, tzinfo=UTC)
INCIDENT = IncidentFacts(title="the broadband outage", started_at=START, ended_at=END, products=("broadband",))
ONGOING = INCIDENT.model_copy(update={"ended_at": None})
DURING = START + timedelta(hours=3)
H = Measure.HOURS_WITHOUT_SERVICE


def band(name: str, at_least: str = "0", below: str | None = None, measure: Measure = H, **remedy: Any) -> Band:
    return Band(
        name=name,
        measure=measure,
        at_least=Decimal(at_least),
        below=None if below is None else Decimal(below),
        remedy=BandRemedy(**remedy),
    )


# Under 4 hours: 5.00 credit; 4 to 24 hours: 20.00 credit; a day or more: the loss back and 30.00 goodwill.
BANDS = (
    band("short", "0", "4", credit=Decimal("5.00")),
    band("long", "4", "24", credit=Decimal("20.00")),
    band("day", "24", refund_proven_loss=True, goodwill=Decimal("30.00")),
)


def scheme(**changes: Any) -> Scheme:
    fields: dict[str, Any] = {
        "version": 2,
        "bands": BANDS,
        "cap_per_customer": Decimal("100.00"),
        "budget": Decimal("50000.00"),
        **changes,
    }
    return Scheme(**fields)


def impact(
    hours: str | None = "5", loss: str | None = None, product: str | None = "broadband", **changes: Any
) -> Impact:
    return Impact(
        product=product,
        affected_at=changes.pop("affected_at", DURING),
        hours_without_service=None if hours is None else Decimal(hours),
        proven_loss=None if loss is None else Decimal(loss),
    )
