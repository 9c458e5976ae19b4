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


def propose_remedy(findings: Findings, rules: CaseRules, version: int) -> Proposal:
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
    return _with_level(items, rules, version, note="" if findings.upheld else "Complaint not upheld.")


def amended_proposal(amount: Decimal, reason: str, rules: CaseRules, version: int, kind: str = "adjusted") -> Proposal:
    """A proposal replaced by a staff amendment or by the customer's counter-offer."""
    return _with_level([RemedyItem(kind=kind, amount=amount, reason=reason)], rules, version)


def _with_level(items: list[RemedyItem], rules: CaseRules, version: int, note: str = "") -> Proposal:
    table = rules.compensation
    items, cut_note = _within_cap(items, table.cap_per_complaint, table.currency)
    total = sum((item.amount for item in items), Decimal("0"))
    level = None if total <= table.auto_approve_up_to else rules.level_needed(total).name
    return Proposal(
        version=version,
        items=items,
        currency=table.currency,
        policy_version=f"{rules.version}/{table.version}",
        approval_level=level,
        note=" ".join(part for part in (note, cut_note) if part),
    )


def _within_cap(items: list[RemedyItem], cap: Decimal | None, currency: str) -> tuple[list[RemedyItem], str]:
    """Cut a proposal to the per-complaint cap, keeping items in order (refunds first)."""
    total = sum((item.amount for item in items), Decimal("0"))
    if cap is None or total <= cap:
        return items, ""
    kept: list[RemedyItem] = []
    room = cap
    for item in items:
        if room <= 0:
            break
        if item.amount <= room:
            kept.append(item)
        else:
            reason = f"{item.reason} (Reduced to stay within the limit of {cap:.2f} {currency} per complaint.)"
            kept.append(item.model_copy(update={"amount": room, "reason": reason}))
        room -= kept[-1].amount
    return kept, f"Cut from {total:.2f} to the cap of {cap:.2f} {currency} per complaint."
