"""Archived cases for the regulator's return: 24 case files around the edges of 2026H2.

FCA cases (uk-fca-disp) close at the edges of the time bands (close of business on the 3rd
business day across the August bank holiday, exactly 8 weeks, a second inside the period),
CFPB cases at 15/16 and 60/61 days, and cases of other profiles that must not be counted.
Times are UTC; close of business on the `uk` calendar is 16:30 UTC in summer, 17:30 in winter.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncEngine

from activities.archive import CaseArchive
from complaints.case_file import CaseFile, FileRedress
from complaints.regulator_return import CaseRecord


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@dataclass(frozen=True)
class Spec:
    id: str
    profile: str | None
    product: str | None
    code: str | None
    received: datetime
    resolved: datetime | None
    closed: datetime
    upheld: bool | None
    redress: tuple[tuple[str, str, datetime], ...] = ()  # (amount, currency, paid at)

    @property
    def closed_for_regulator(self) -> datetime:
        return self.resolved or self.closed


def _spec(
    id: str,
    profile: str | None,
    product: str | None,
    code: str | None,
    received: datetime,
    resolved: datetime | None,
    upheld: bool | None,
    redress: tuple[tuple[str, str, datetime], ...] = (),
    closed: datetime | None = None,
) -> Spec:
    """A case closed a day after its final response unless `closed` says otherwise."""
    closing = closed or (resolved + timedelta(days=1) if resolved else received + timedelta(days=1))
    return Spec(id, profile, product, code, received, resolved, closing, upheld, redress)


FCA, CFPB = "uk-fca-disp", "us-cfpb"
MONDAY_6_JULY = utc(2026, 7, 6, 9)
THURSDAY_27_AUGUST = utc(2026, 8, 27, 8)  # the bank holiday is Monday 31 August
CASES: list[Spec] = [
    _spec("F01", FCA, "broadband", "billing.duplicate-charge", MONDAY_6_JULY, utc(2026, 7, 8, 10), True,
          (("89.90", "GBP", utc(2026, 7, 8, 11)),)),
    # Monday's 3rd business day is Thursday: closed at its close of business
    _spec("F02", FCA, "broadband", "billing.late-fee", MONDAY_6_JULY, utc(2026, 7, 9, 16, 30), False),
    _spec("F03", FCA, "broadband", "billing.duplicate-charge", MONDAY_6_JULY, utc(2026, 7, 10, 9), True,
          (("20.00", "GBP", utc(2026, 7, 10, 10)), ("5.00", "GBP", utc(2026, 7, 10, 10)))),
    # Friday, (weekend, bank holiday), Tuesday, Wednesday: Wednesday's close of business, then Thursday
    _spec("F04", FCA, "mobile", "delivery.late", THURSDAY_27_AUGUST, utc(2026, 9, 2, 16, 30), True,
          (("15.00", "GBP", utc(2026, 9, 2, 17)),)),
    _spec("F05", FCA, "mobile", "delivery.late", THURSDAY_27_AUGUST, utc(2026, 9, 3, 8, 30), False),
    # exactly 8 weeks, and 8 weeks and a day
    _spec("F06", FCA, "payment_services", "service.outage", utc(2026, 7, 1, 10), utc(2026, 8, 26, 10), True,
          (("40.00", "GBP", utc(2026, 8, 26, 11)),)),
    _spec("F07", FCA, "payment_services", "service.outage", utc(2026, 7, 1, 10), utc(2026, 8, 27, 10), True),
    _spec("F08", FCA, "e_money", "service.staff-conduct", utc(2026, 10, 1, 12), utc(2026, 10, 20, 12), False),
    # withdrawn on Friday without findings or a final response: closed_at counts, not upheld
    _spec("F09", FCA, None, None, utc(2026, 7, 1, 12), None, None, closed=utc(2026, 7, 3, 12)),
    # received before the period, closed in it: outstanding at the start; only the redress paid in H2 counts
    _spec("F10", FCA, "broadband", "product.faulty", utc(2026, 6, 20, 10), utc(2026, 7, 2, 10), True,
          (("30.00", "GBP", utc(2026, 6, 30, 10)), ("10.00", "GBP", utc(2026, 7, 2, 11)))),
    _spec("F11", FCA, "broadband", "billing.duplicate-charge", utc(2026, 6, 25), utc(2026, 6, 30), True,
          (("7.00", "GBP", utc(2026, 6, 30, 1)),)),
    _spec("F12", FCA, "broadband", "other.other", utc(2026, 12, 30, 10), utc(2027, 1, 5), True,
          (("12.00", "GBP", utc(2027, 1, 5, 1)),)),
    # received the evening before the period, closed at its first instant (00:00 BST on 1 July is the day of receipt)
    _spec("F13", FCA, "broadband", "service.wait-time", utc(2026, 6, 30, 23), utc(2026, 7, 1), False),
    _spec("F14", FCA, "payment_services", "billing.duplicate-charge", utc(2026, 12, 31, 23, 59, 59),
          utc(2027, 1, 4), False),
    _spec("F15", FCA, "broadband", "billing.duplicate-charge", utc(2027, 1, 1), utc(2027, 1, 2), True),
    # resolved (final response sent) at Thursday's close of business in winter; the case closed weeks later
    _spec("F16", FCA, "broadband", "product.faulty", utc(2026, 11, 2, 10), utc(2026, 11, 5, 17, 30), True,
          (("25.00", "GBP", utc(2026, 11, 6, 10)),), closed=utc(2026, 11, 20)),
    # final response in the last second of the period, closed after it: closed in the period
    _spec("F17", FCA, "mobile", "delivery.late", utc(2026, 12, 1, 9), utc(2026, 12, 31, 23, 59, 59), False,
          closed=utc(2027, 1, 10)),
    # final response before the period, closed in it: neither closed in the period nor outstanding
    _spec("F18", FCA, "broadband", "billing.duplicate-charge", utc(2026, 6, 10), utc(2026, 6, 30, 23, 59, 59),
          True, closed=utc(2026, 7, 5)),
    # CFPB: 15, 16, 60 and 61 days
    _spec("C01", CFPB, "payment_services", "billing.duplicate-charge", utc(2026, 7, 1, 12), utc(2026, 7, 16, 12),
          True, (("10.00", "USD", utc(2026, 7, 16, 13)),)),
    _spec("C02", CFPB, "e_money", "service.outage", utc(2026, 7, 1, 12), utc(2026, 7, 17, 12), False),
    _spec("C03", CFPB, "broadband", "delivery.late", utc(2026, 7, 1, 12), utc(2026, 8, 30, 12), True),
    _spec("C04", CFPB, "mobile", "other.other", utc(2026, 7, 1, 12), utc(2026, 8, 31, 12), False,
          (("5.50", "USD", utc(2026, 9, 1)), ("3.00", "EUR", utc(2026, 9, 1)))),
    # other profiles: in no return of these two
    _spec("I01", "internal", "broadband", "billing.duplicate-charge", utc(2026, 7, 10), utc(2026, 7, 11), True,
          (("100.00", "GBP", utc(2026, 7, 11, 1)),)),
    _spec("N01", None, "broadband", "billing.duplicate-charge", utc(2026, 7, 10), utc(2026, 7, 11), True),
]  # fmt: skip


def case_file(spec: Spec) -> CaseFile:
    redress = [
        FileRedress(kind="refund", amount=Decimal(amount), currency=currency, category="billing", paid_at=paid_at)
        for amount, currency, paid_at in spec.redress
    ]
    return CaseFile(
        workflow_id=f"complaint-{spec.id}",
        complaint_id=spec.id,
        customer_id=f"CUST-{spec.id}",
        customer_name="Ada Lovelace",
        customer_email="ada@example.com",
        language="en",
        category="billing",
        product=spec.product,
        priority="normal",
        channel="email",
        origin="customer",
        incident_id=None,
        rules_version="2026-11-b",
        regulatory_profile=spec.profile,
        owner_id="alex",
        team="Billing",
        outcome="withdrawn" if spec.upheld is None else "resolved",
        upheld=spec.upheld,
        fault=None if spec.upheld is None else "ours",
        root_cause_code=spec.code,
        root_cause=spec.code,
        recurring=False,
        recurring_reason=None,
        severity=None if spec.upheld is None else 2,
        received_at=spec.received,
        acknowledged_at=None,
        resolved_at=spec.resolved,
        closed_at=spec.closed,
        reopened=False,
        escalations=0,
        survey_sent=False,
        csat=None,
        csat_comment=None,
        redress_paid=sum((item.amount for item in redress), Decimal("0.00")),
        currency=spec.redress[0][1] if spec.redress else "GBP",
        complaint={"id": spec.id},
        retain_until=spec.closed + timedelta(days=3 * 366),
        redress=redress,
    )


def record(spec: Spec) -> CaseRecord:
    """The same case as the pure computation's input."""
    return CaseRecord(
        product=spec.product,
        root_cause_code=spec.code,
        received_at=spec.received,
        closed_at=spec.closed_for_regulator,
        upheld=bool(spec.upheld),
        redress=tuple((paid_at, currency, Decimal(amount)) for amount, currency, paid_at in spec.redress),
    )


async def archive_cases(engine: AsyncEngine, specs: list[Spec] = CASES) -> None:
    archive = CaseArchive(engine, logging.getLogger("tests.regulator"))
    for spec in specs:
        await archive.write(case_file(spec))
