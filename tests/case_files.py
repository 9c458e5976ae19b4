"""A small factory of archived case files: a `CaseFile` as a closed case leaves it, from the few
facts a report test cares about (everything else gets a plain, valid default).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from complaints.case_file import CaseFile, FileClock, FileRedress

Redress = tuple[str, str, datetime]  # (kind, amount, paid at)


def at(month: int, day: int, hour: int = 12, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def case_file(
    number: int,
    *,
    received: datetime,
    closed: datetime,
    ack_hours: float | None = None,
    resolve_hours: float | None = None,
    category: str = "billing",
    product: str | None = "broadband",
    owner: str = "priya",
    team: str = "Billing",
    incident: str | None = None,
    outcome: str = "resolved",
    upheld: bool | None = None,
    code: str | None = None,
    reopened: bool = False,
    escalations: int = 0,
    survey_sent: bool = False,
    csat: int | None = None,
    comment: str | None = None,
    redress: tuple[Redress, ...] = (),
    clocks: Mapping[str, bool | None] | None = None,
    currency: str = "GBP",
) -> CaseFile:
    """Case `C-<number>` (workflow `complaint-C-<number>`); `clocks` maps a clock's name to met (None: unfinished)."""
    reference = f"C-{number:02d}"
    acknowledged = None if ack_hours is None else received + timedelta(hours=ack_hours)
    resolved = None if resolve_hours is None else received + timedelta(hours=resolve_hours)
    items = [
        FileRedress(kind=kind, amount=Decimal(amount), currency=currency, category=category, paid_at=paid_at)
        for kind, amount, paid_at in redress
    ]
    return CaseFile(
        workflow_id=f"complaint-{reference}",
        complaint_id=reference,
        customer_id=f"cust-{number}",
        customer_name=f"Customer {number}",
        customer_email=f"customer{number}@example.com",
        language="en",
        category=category,
        product=product,
        priority="normal",
        channel="email",
        origin="customer",
        incident_id=incident,
        rules_version="2026-test",
        regulatory_profile=None,
        owner_id=owner,
        team=team,
        outcome=outcome,
        upheld=upheld,
        fault=None if upheld is None else ("ours" if upheld else "none"),
        root_cause_code=code,
        root_cause=None if upheld is None else f"cause of {reference}",
        recurring=False,
        recurring_reason=None,
        severity=None if upheld is None else 2,
        received_at=received,
        acknowledged_at=acknowledged,
        resolved_at=resolved,
        closed_at=closed,
        reopened=reopened,
        escalations=escalations,
        survey_sent=survey_sent,
        csat=csat,
        csat_comment=comment,
        redress_paid=sum((item.amount for item in items), Decimal("0.00")),
        currency=currency,
        complaint={"id": reference, "category": category},
        retain_until=closed + timedelta(days=3 * 365),
        redress=items,
        clocks=[_clock(name, met, received, closed) for name, met in (clocks or {}).items()],
    )


def _clock(name: str, met: bool | None, received: datetime, closed: datetime) -> FileClock:
    return FileClock(
        name=name,
        kind="regulatory" if name.startswith("regulatory:") else "sla",
        target="8 business hours",
        due_at=received + timedelta(days=1),
        finished_at=None if met is None else closed,
        met=met,
        late_seconds=0 if met in (None, True) else 3600,
    )
