"""The first compensation policy: pure, versioned and explainable.

Refund what the customer provably lost; add goodwill scaled by severity (more when the
problem is recurring); say why for every item; name the approval level the total needs.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from complaints.actions import Findings
from complaints.rules import CaseRules


class RemedyItem(BaseModel):
    kind: str  # refund | goodwill | adjusted | counter
    amount: Decimal
    reason: str


class Proposal(BaseModel):
    version: int
    items: list[RemedyItem]
    currency: str
    policy_version: str
    approval_level: str | None  # None: auto-approved
    note: str = ""

    @property
    def total(self) -> Decimal:
        return sum((item.amount for item in self.items), Decimal("0"))


def propose_remedy(
    findings: Findings, rules: CaseRules, version: int, paid_to_customer: Decimal | None = None
) -> Proposal:
    """`paid_to_customer`: paid to this customer in the last 12 months on other cases (None: not checked)."""
    table = rules.compensation
    items: list[RemedyItem] = []
    if findings.upheld and findings.financial_loss > 0:
        items.append(
            RemedyItem(
                kind="refund",
                amount=findings.financial_loss,
                reason=f"Refund of the {findings.financial_loss:.2f} {table.currency} you lost because of our error.",
            )
        )
    goodwill = table.goodwill_by_severity[findings.severity - 1] if findings.upheld else Decimal("0")
    if findings.recurring:
        goodwill *= table.recurring_goodwill_multiplier
    if goodwill > 0:
        why = (
            "this has happened before, which it should not have"
            if findings.recurring
            else "the trouble this caused you"
        )
        items.append(RemedyItem(kind="goodwill", amount=goodwill, reason=f"A goodwill payment for {why}."))
    note = "" if findings.upheld else "Complaint not upheld."
    return _with_level(items, rules, version, note=note, paid_to_customer=paid_to_customer)


def amended_proposal(amount: Decimal, reason: str, rules: CaseRules, version: int, kind: str = "adjusted") -> Proposal:
    """A proposal replaced by a staff amendment or by the customer's counter-offer."""
    return _with_level([RemedyItem(kind=kind, amount=amount, reason=reason)], rules, version)


def _with_level(
    items: list[RemedyItem],
    rules: CaseRules,
    version: int,
    note: str = "",
    paid_to_customer: Decimal | None = None,
) -> Proposal:
    table = rules.compensation
    notes = [note]
    if table.cap_per_complaint is not None:
        limit = f"{table.cap_per_complaint:.2f} {table.currency} per complaint"
        items = _within_limit(items, table.cap_per_complaint, f"the limit of {limit}", f"the cap of {limit}", notes)
    if paid_to_customer is not None and table.cap_per_customer_12_months is not None:
        cap = table.cap_per_customer_12_months
        room = max(cap - paid_to_customer, Decimal("0"))
        limit = f"the limit of {cap:.2f} {table.currency} per customer in 12 months"
        remaining = f"the {room:.2f} remaining of {limit} ({paid_to_customer:.2f} already paid)"
        items = _within_limit(items, room, limit, remaining, notes)
    total = sum((item.amount for item in items), Decimal("0"))
    level = None if total <= table.auto_approve_up_to else rules.level_needed(total).name
    return Proposal(
        version=version,
        items=items,
        currency=table.currency,
        policy_version=f"{rules.version}/{table.version}",
        approval_level=level,
        note=" ".join(part for part in notes if part),
    )


def _within_limit(
    items: list[RemedyItem], limit: Decimal, reason_phrase: str, note_phrase: str, notes: list[str]
) -> list[RemedyItem]:
    """Cut items to a limit, keeping them in order (refunds first), and say so in `notes`."""
    total = sum((item.amount for item in items), Decimal("0"))
    if total <= limit:
        return items
    kept: list[RemedyItem] = []
    room = limit
    for item in items:
        if room <= 0:
            break
        if item.amount <= room:
            kept.append(item)
        else:
            reason = f"{item.reason} (Reduced to stay within {reason_phrase}.)"
            kept.append(item.model_copy(update={"amount": room, "reason": reason}))
        room -= kept[-1].amount
    notes.append(f"Cut from {total:.2f} to {note_phrase}.")
    return kept
