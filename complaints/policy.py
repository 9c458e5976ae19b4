"""The compensation policy: pure, versioned (by the rules file) and explainable.

Make good what the customer lost (refund, replacement or account credit), add goodwill for
the trouble (more for loyal customers and repeat trouble; in kind where that is cheaper for
us), honour the remedy the customer asked for where the policy allows, keep within the
caps and the budget, and name the approval level. Every item carries one plain reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from complaints.actions import Fault, Findings, Inconvenience
from complaints.compensation import CompensationTable, OverLimit
from complaints.intake import Category, ComplaintInput
from complaints.remedies import Proposal, RemedyItem, RemedyKind
from complaints.rules import CaseRules
from complaints.standing import CustomerStanding

CENT = Decimal("0.01")
_INCONVENIENCE_ORDER = list(Inconvenience)


def propose_remedy(
    findings: Findings,
    complaint: ComplaintInput,
    rules: CaseRules,
    version: int,
    standing: CustomerStanding | None = None,
    as_of: date | None = None,
) -> Proposal:
    """`standing` None: not read (cases from before it was): no customer cap, budget or
    earlier-complaint uplift. `as_of`: the day tenure is counted to (None: not counted)."""
    if not findings.upheld:
        return _finalise([], rules, version, ["Complaint not upheld."])
    notes: list[str] = []
    items = _make_good(findings, complaint, rules.compensation, notes)
    items += _goodwill(findings, complaint, rules.compensation, standing, as_of)
    return _finalise(items, rules, version, notes, complaint.category, standing)


def amended_proposal(
    amount: Decimal, reason: str, rules: CaseRules, version: int, kind: RemedyKind = RemedyKind.ADJUSTED
) -> Proposal:
    """A proposal replaced by a staff amendment or by the customer's counter-offer.

    A counter-offer cut to a limit is no longer what the customer agreed to, so it becomes
    an adjusted proposal: once approved it is offered to them, not paid straight away.
    """
    proposal = _finalise([RemedyItem(kind=kind, amount=amount, reason=reason)], rules, version, [])
    if kind is RemedyKind.COUNTER and proposal.total < amount:
        items = [item.model_copy(update={"kind": RemedyKind.ADJUSTED}) for item in proposal.items]
        proposal = proposal.model_copy(update={"items": items})
    return proposal


# -- making good the loss ---------------------------------------------------------------------------


def _make_good(
    findings: Findings, complaint: ComplaintInput, table: CompensationTable, notes: list[str]
) -> list[RemedyItem]:
    """Refund, replacement or account credit for what the customer lost."""
    loss, wanted, category = findings.financial_loss, complaint.desired_remedy, complaint.category
    replacement = findings.replacement if table.allows(category, RemedyKind.REPLACEMENT) else None
    cause = (
        "our mistake"
        if findings.fault is Fault.OURS
        else "a problem with a partner we chose, so it is ours to put right"
    )
    if replacement is not None and _replace_rather_than_pay(loss, replacement.cost, wanted):
        asked = ", as you asked" if wanted is RemedyKind.REPLACEMENT else ""
        return [
            RemedyItem(
                kind=RemedyKind.REPLACEMENT,
                amount=loss if loss > 0 else replacement.cost,
                cost=replacement.cost,
                reason=f"A new {replacement.item} in place of the one that went wrong, at our expense{asked}.",
            )
        ]
    if wanted is RemedyKind.REPLACEMENT:
        why = "it cannot be replaced" if findings.replacement is None else "our policy does not replace it"
        notes.append(f"The customer asked for a replacement, but {why}: refunded instead.")
    if loss == 0:
        return []
    if wanted is RemedyKind.ACCOUNT_CREDIT:
        if table.allows(category, RemedyKind.ACCOUNT_CREDIT):
            reason = f"The {loss:.2f} {table.currency} you lost through {cause}, credited to your account as you asked."
            return [RemedyItem(kind=RemedyKind.ACCOUNT_CREDIT, amount=loss, reason=reason)]
        notes.append("The customer asked for account credit, which this category does not give: refunded instead.")
    reason = f"A refund of the {loss:.2f} {table.currency} you lost through {cause}."
    return [RemedyItem(kind=RemedyKind.REFUND, amount=loss, reason=reason)]


def _replace_rather_than_pay(loss: Decimal, cost: Decimal, wanted: RemedyKind | None) -> bool:
    """As the customer asked; else in kind when that is cheaper for us (or nothing was paid)."""
    if wanted is RemedyKind.REPLACEMENT or loss == 0:
        return True
    money_wanted = wanted in (RemedyKind.REFUND, RemedyKind.ACCOUNT_CREDIT)
    return not money_wanted and cost < loss


# -- goodwill -----------------------------------------------------------------------------------------


def _goodwill(
    findings: Findings,
    complaint: ComplaintInput,
    table: CompensationTable,
    standing: CustomerStanding | None,
    as_of: date | None,
) -> list[RemedyItem]:
    base = table.goodwill_by_severity[findings.severity - 1]
    recurring = findings.recurring or (standing is not None and standing.same_cause_earlier > 0)
    if recurring:
        base *= table.recurring_goodwill_multiplier
    inconvenience = table.goodwill_by_inconvenience[_INCONVENIENCE_ORDER.index(findings.inconvenience)]
    harm = table.goodwill_for_harm if findings.harm else Decimal("0")
    amount = base + inconvenience + harm
    if amount <= 0:
        return []
    uplift, because = _uplift(complaint, table, standing, as_of)
    if uplift > 0:
        amount = (amount * (1 + uplift)).quantize(CENT)
    what_for = ["this having happened before, which it should not have" if recurring else "the trouble this caused you"]
    if inconvenience > 0:
        what_for.append("the time and inconvenience it cost you")
    if harm > 0:
        what_for.append("the distress it caused")
    more = f"; a little more because {_and(because)}" if because else ""
    return [_goodwill_item(amount, f"for {_and(what_for)}{more}", complaint, table)]


def _goodwill_item(amount: Decimal, for_what: str, complaint: ComplaintInput, table: CompensationTable) -> RemedyItem:
    """Money, account credit or a discount: what the customer asked for, else the cheaper for us."""
    wanted, category = complaint.desired_remedy, complaint.category
    if wanted is RemedyKind.ACCOUNT_CREDIT and table.allows(category, RemedyKind.ACCOUNT_CREDIT):
        reason = f"{amount:.2f} {table.currency} of goodwill credited to your account {for_what}."
        return RemedyItem(kind=RemedyKind.ACCOUNT_CREDIT, amount=amount, reason=reason)
    discount_fits = wanted is RemedyKind.DISCOUNT or (table.prefers_discount and wanted is not RemedyKind.REFUND)
    if discount_fits and table.allows(category, RemedyKind.DISCOUNT):
        ratio = table.discount_cost_ratio
        reason = f"{amount:.2f} {table.currency} off your next purchase with us, {for_what}."
        cost = (amount * ratio).quantize(CENT) if ratio is not None else None
        return RemedyItem(kind=RemedyKind.DISCOUNT, amount=amount, cost=cost, reason=reason)
    return RemedyItem(kind=RemedyKind.GOODWILL, amount=amount, reason=f"A goodwill payment {for_what}.")


def _uplift(
    complaint: ComplaintInput, table: CompensationTable, standing: CustomerStanding | None, as_of: date | None
) -> tuple[Decimal, list[str]]:
    """The fraction added to goodwill for who the customer is, and why in words."""
    uplift, because = Decimal("0"), []
    customer = complaint.customer
    tier = table.tier_uplift.get(customer.tier, Decimal("0"))
    if tier > 0:
        uplift += tier
        because.append(f"you are one of our {customer.tier.value} customers")
    if customer.since is not None and as_of is not None and table.tenure_uplift_per_year > 0:
        years = _whole_years(customer.since, as_of)
        if years >= 1:
            uplift += min(table.tenure_uplift_per_year * years, table.tenure_uplift_max)
            because.append(f"you have been with us for {years} year{'s' if years > 1 else ''}")
    if standing is not None and standing.earlier_complaints > 0 and table.earlier_complaint_uplift > 0:
        counted = min(standing.earlier_complaints, table.earlier_complaints_counted)
        if counted > 0:
            uplift += table.earlier_complaint_uplift * counted
            times = "once" if standing.earlier_complaints == 1 else f"{standing.earlier_complaints} times"
            because.append(f"you have had to complain to us {times} before this year")
    return uplift, because


def _whole_years(since: date, as_of: date) -> int:
    return as_of.year - since.year - ((as_of.month, as_of.day) < (since.month, since.day))


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


# -- limits and the approval level ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Limit:
    room: Decimal  # the most this proposal may total under the limit
    name: str  # "the cap of 5000.00 GBP per complaint"


def _limits(table: CompensationTable, category: Category | None, standing: CustomerStanding | None) -> list[_Limit]:
    currency, limits = table.currency, []
    if table.cap_per_complaint is not None:
        limits.append(
            _Limit(table.cap_per_complaint, f"the cap of {table.cap_per_complaint:.2f} {currency} per complaint")
        )
    if standing is not None and table.cap_per_customer_12_months is not None:
        cap, paid = table.cap_per_customer_12_months, standing.paid_last_12_months
        room = max(cap - paid, Decimal("0"))
        name = (
            f"the {room:.2f} remaining of the cap of {cap:.2f} {currency} per customer in 12 months "
            f"({paid:.2f} already paid)"
        )
        limits.append(_Limit(room, name))
    if standing is not None and category is not None and category in table.monthly_budget:
        budget, spent = table.monthly_budget[category], standing.category_spent_this_month
        room = max(budget - spent, Decimal("0"))
        name = f"the {room:.2f} left of this month's {category.value} budget of {budget:.2f} {currency}"
        limits.append(_Limit(room, name))
    return limits


def _finalise(
    items: list[RemedyItem],
    rules: CaseRules,
    version: int,
    notes: list[str],
    category: Category | None = None,
    standing: CustomerStanding | None = None,
) -> Proposal:
    """Apply the limits (cut or escalate, as configured) and name the approval level."""
    table = rules.compensation
    escalate_to = table.over_limit_approver or rules.top_role().name
    escalated = False
    for limit in _limits(table, category, standing):
        total = _total(items)
        if total <= limit.room:
            continue
        if table.over_limit is OverLimit.CUT:
            items = cut_to_limit(items, limit.room, limit.name)
            notes.append(f"Cut from {total:.2f} to {limit.name}.")
        else:
            escalated = True
            notes.append(f"{total:.2f} is over {limit.room:.2f}, {limit.name}: it needs {escalate_to} approval.")
    top = rules.top_role()
    if _total(items) > top.approval_limit:  # nobody could approve more: never ask them to
        total = _total(items)
        items = cut_to_limit(items, top.approval_limit, f"the most anyone here may approve ({top.approval_limit:.2f})")
        notes.append(f"Cut from {total:.2f} to {top.approval_limit:.2f}, the {top.name}'s approval limit.")
    total = _total(items)
    level: str | None = None
    if escalated:
        needed, override = rules.level_needed(total), rules.role(escalate_to)
        level = max(needed, override, key=lambda role: role.approval_limit).name
    elif total > table.auto_approve_up_to:
        level = rules.level_needed(total).name
    return Proposal(
        version=version,
        items=items,
        currency=table.currency,
        policy_version=f"{rules.version}/{table.version}",
        approval_level=level,
        note=" ".join(notes),
    )


def _total(items: list[RemedyItem]) -> Decimal:
    return sum((item.amount for item in items), Decimal("0"))


def cut_to_limit(items: list[RemedyItem], limit: Decimal, limit_name: str) -> list[RemedyItem]:
    """Cut items to a limit, keeping them in order (making good the loss first, goodwill last)."""
    kept: list[RemedyItem] = []
    room = limit
    for item in items:
        if room <= 0:
            break
        if item.amount <= room:
            kept.append(item)
        else:
            reason = f"{item.reason} (Reduced to stay within {limit_name}.)"
            cost = None if item.cost is None else (item.cost * room / item.amount).quantize(CENT)
            kept.append(item.model_copy(update={"amount": room, "reason": reason, "cost": cost}))
        room -= kept[-1].amount
    return kept
