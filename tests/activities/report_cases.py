"""Forty archived cases whose March 2026 report is known by hand (tests/activities/test_reports.py).

Cases C-01..C-30 close in March (C-01 at midnight on 1 March, the others at noon on the
day of their number); C-28..C-30 are withdrawn. A resolved case closes two days after its
resolution, so it was received `resolve hours + 48 h` before it closed: C-01..C-13 were
received before March, C-14..C-30 in it. C-31..C-34 are received in March and close in
April (C-34 at midnight on 1 April: outside), C-35..C-37 live and die in February (C-37 a
minute before March), C-38..C-40 close in April; C-38 is paid redress in March, C-40 is
received at midnight on 1 April (outside).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypedDict

from complaints.case_file import CaseFile
from tests.case_files import Redress, at, case_file

MARCH = (at(3, 1, 0), at(4, 1, 0))
DUP, LATE, DEFECT = "billing.duplicate-charge", "delivery.late", "product.defect"
TARIFF, RUDE = "billing.wrong-tariff", "service.rude"
TEAMS = {"billing": "Billing", "delivery": "Logistics", "product": "Products", "service": "Care"}
BUDGETS = {"billing": Decimal(1000), "delivery": Decimal(500), "product": Decimal(100), "service": Decimal(50)}
BUDGETS["other"] = Decimal(25)

# n: (category, resolve hours, acknowledge hours, upheld, root cause code): C-26 had no findings.
RESOLVED: dict[int, tuple[str, int, int | None, bool | None, str | None]] = {
    1: ("billing", 12, 1, True, DUP),
    2: ("billing", 24, 2, False, DUP),
    3: ("billing", 48, 3, True, DUP),
    4: ("billing", 72, 4, True, DUP),
    5: ("billing", 120, 5, False, DUP),
    6: ("billing", 168, 6, True, DUP),
    7: ("billing", 240, 7, True, DUP),
    8: ("billing", 336, 8, False, DUP),
    9: ("billing", 480, 1, True, DUP),
    10: ("delivery", 672, 2, True, LATE),
    11: ("delivery", 960, 3, False, LATE),
    12: ("delivery", 1344, 4, True, LATE),
    13: ("delivery", 1680, 5, True, LATE),
    14: ("delivery", 6, 6, False, LATE),
    15: ("delivery", 30, 7, True, LATE),
    16: ("delivery", 30, 8, True, LATE),
    17: ("product", 50, 1, False, DEFECT),
    18: ("product", 80, 2, True, DEFECT),
    19: ("product", 100, 3, True, DEFECT),
    20: ("product", 150, 4, False, DEFECT),
    21: ("billing", 200, 5, True, TARIFF),
    22: ("billing", 20, 6, True, TARIFF),
    23: ("service", 40, 7, False, RUDE),
    24: ("service", 60, 8, True, RUDE),
    25: ("service", 90, 1, True, None),
    26: ("service", 2, None, None, None),
    27: ("delivery", 300, 2, True, None),  # the offer lapsed
}
MOBILE = {10, 12, 13, 21, 22, 33}
INCIDENT = {10, 12, 13, 33}  # INC-7
ESCALATIONS = {10: 1, 11: 2, 12: 1, 20: 3, 29: 1, 31: 4}
REOPENED = {3, 15, 24}
CSAT = {1: 5, 2: 1, 3: 4, 4: 5, 5: 2, 6: 3, 7: 5, 8: 4, 9: 4, 10: 5, 26: 3}  # 1..20 were surveyed; 26 was not
COMMENTS = {2: "Took far too long", 7: "Quick and fair", 26: "Fine"}
# Paid when the case was resolved (two days before it closed): C-01's before March, C-25's in euros.
REDRESS: dict[int, tuple[tuple[str, str], ...]] = {
    1: (("refund", "10.00"),),
    3: (("refund", "25.50"), ("goodwill", "10.00")),
    4: (("goodwill", "15.00"),),
    10: (("refund", "100.00"), ("goodwill", "20.00")),
    12: (("replacement", "49.99"),),
    18: (("refund", "0.10"), ("goodwill", "0.20")),
    21: (("account_credit", "30.00"),),
    24: (("goodwill", "5.00"),),
    25: (("goodwill", "7.00"),),
}


def _owner(number: int) -> str:
    return "priya" if number <= 10 or number > 30 else "omar" if number <= 20 else "lena"


class _Common(TypedDict):
    category: str
    product: str | None
    owner: str
    team: str
    incident: str | None
    escalations: int
    reopened: bool


def _common(number: int, category: str) -> _Common:
    return _Common(
        category=category,
        product="mobile" if number in MOBILE else None if number in (26, 30) else "broadband",
        owner=_owner(number),
        team="Care" if number == 22 else TEAMS[category],
        incident="INC-7" if number in INCIDENT else None,
        escalations=ESCALATIONS.get(number, 0),
        reopened=number in REOPENED,
    )


def _feedback(number: int) -> dict[str, Any]:
    return {"survey_sent": number <= 20, "csat": CSAT.get(number), "comment": COMMENTS.get(number)}


def _resolved(number: int) -> CaseFile:
    category, hours, ack, upheld, code = RESOLVED[number]
    closed = at(3, 1, 0) if number == 1 else at(3, number)
    resolved = closed - timedelta(hours=48)
    redress: tuple[Redress, ...] = tuple((kind, amount, resolved) for kind, amount in REDRESS.get(number, ()))
    clocks = {"acknowledgement": number != 16, "resolution": hours <= 336}
    if number <= 13:
        clocks["regulatory:final_response"] = hours <= 1344
    return case_file(
        number,
        received=resolved - timedelta(hours=hours),
        closed=closed,
        ack_hours=ack,
        resolve_hours=hours,
        outcome="offer_lapsed" if number == 27 else "resolved",
        upheld=upheld,
        code=code,
        redress=redress,
        clocks=clocks,
        currency="EUR" if number == 25 else "GBP",
        **_feedback(number),
        **_common(number, category),
    )


def _withdrawn(number: int, category: str, received: datetime, ack: int | None) -> CaseFile:
    clocks: dict[str, bool | None] = {"acknowledgement": None if ack is None else number != 29, "resolution": None}
    if number == 28:
        clocks["regulatory:final_response"] = None
    return case_file(
        number,
        received=received,
        closed=at(3, number),
        ack_hours=ack,
        outcome="withdrawn",
        clocks=clocks,
        **_feedback(number),
        **_common(number, category),
    )


def _elsewhere(number: int, category: str, received: datetime, closed: datetime, hours: int, **extra: Any) -> CaseFile:
    """A case outside March's closed cases: not surveyed unless `extra` says so."""
    fields = {"survey_sent": False, "clocks": {"acknowledgement": True, "resolution": True}, **extra}
    return case_file(
        number,
        received=received,
        closed=closed,
        ack_hours=1,
        resolve_hours=hours,
        **_common(number, category),
        **fields,
    )


def march_cases() -> list[CaseFile]:
    """The forty cases, C-01..C-40."""
    return [
        *(_resolved(number) for number in RESOLVED),
        _withdrawn(28, "billing", at(3, 20), 3),
        _withdrawn(29, "delivery", at(3, 25), 30),
        _withdrawn(30, "service", at(3, 29), None),
        _elsewhere(31, "billing", at(3, 2, 9), at(4, 2), 480),
        _elsewhere(32, "delivery", at(3, 9, 9), at(4, 3), 400),
        _elsewhere(33, "delivery", at(3, 31, 23, 30), at(4, 6), 100),
        _elsewhere(34, "billing", at(3, 16, 9), at(4, 1, 0), 300),
        _elsewhere(
            35,
            "billing",
            at(2, 2, 9),
            at(2, 10),
            100,
            survey_sent=True,
            csat=2,
            comment="Old news",
            redress=(("goodwill", "50.00", at(2, 5)),),
        ),
        _elsewhere(36, "billing", at(2, 3, 9), at(2, 12), 50, upheld=True, code=DUP),
        _elsewhere(37, "billing", at(2, 20), at(2, 28, 23, 59), 100),
        _elsewhere(38, "billing", at(2, 10, 9), at(4, 8), 800, redress=(("refund", "214.50", at(3, 15)),)),
        _elsewhere(
            39, "delivery", at(2, 14, 9), at(4, 9), 800, currency="EUR", redress=(("refund", "80.00", at(3, 20)),)
        ),
        _elsewhere(40, "service", at(4, 1, 0), at(4, 5), 24),
    ]
