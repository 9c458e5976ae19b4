"""The compensation policy table, against the shipped rules file (policy v2): every remedy
type, each cap, the monthly budget, customer factors and the customer's desired remedy."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from complaints.actions import Findings
from complaints.compensation import OverLimit
from complaints.remedies import Proposal
from complaints.rules import CaseRules, load_rules
from complaints.standing import CustomerStanding
from tests.policy_support import complaint, propose

RULES: CaseRules = load_rules(Path(__file__).resolve().parents[2] / "config" / "complaints.toml")
D = Decimal


def findings(severity: int = 1, loss: str = "0", **more: Any) -> Findings:
    return Findings(
        submitted_by="sam",
        summary="The parcel arrived broken",
        root_cause="Poor packing",
        severity=severity,
        financial_loss=D(loss),
        **more,
    )


def with_rules(**compensation: Any) -> CaseRules:
    return RULES.model_copy(update={"compensation": RULES.compensation.model_copy(update=compensation)})


KETTLE = {"item": "kettle", "cost": D("45")}
GOLD_SINCE_2019 = {"tier": "gold", "since": "2019-03-14"}  # 7 whole years on 2026-11-20

# (id, findings, complaint fields, standing, expected (kind, amount) items, approval level)
TABLE: list[tuple[str, Findings, dict[str, Any], CustomerStanding | None, list[tuple[str, str]], str | None]] = [
    ("refund-of-the-loss", findings(1, "30"), {"desired_remedy": "refund"}, None, [("refund", "30")], None),
    ("goodwill-in-kind-when-cheaper", findings(3), {}, None, [("discount", "25")], None),
    ("goodwill-in-money-when-money-asked", findings(3, "89.90"), {"desired_remedy": "refund"}, None,
     [("refund", "89.90"), ("goodwill", "25")], "team_lead"),
    ("replacement-when-cheaper-than-refund", findings(2, "120", replacement=KETTLE), {"category": "product"}, None,
     [("replacement", "120"), ("discount", "10")], "team_lead"),
    ("refund-when-replacing-costs-more", findings(1, "40", replacement={"item": "kettle", "cost": "60"}),
     {"category": "product"}, None, [("refund", "40")], None),
    ("replacement-as-asked-even-if-dearer", findings(1, "40", replacement={"item": "kettle", "cost": "60"}),
     {"category": "product", "desired_remedy": "replacement"}, None, [("replacement", "40")], None),
    ("refund-as-asked-though-replacement-is-cheaper", findings(1, "120", replacement=KETTLE),
     {"category": "product", "desired_remedy": "refund"}, None, [("refund", "120")], "team_lead"),
    ("no-replacement-in-billing-refund-instead", findings(1, "30", replacement=KETTLE),
     {"desired_remedy": "replacement"}, None, [("refund", "30")], None),
    ("account-credit-as-asked", findings(2, "50"), {"desired_remedy": "account_credit"}, None,
     [("account_credit", "50"), ("account_credit", "10")], "agent"),
    ("discount-as-asked", findings(2), {"desired_remedy": "discount"}, None, [("discount", "10")], None),
    ("inconvenience-and-harm-add-goodwill", findings(3, inconvenience="moderate", harm=True),
     {"desired_remedy": "refund"}, None, [("goodwill", "115")], "team_lead"),
    ("recurring-doubles-goodwill", findings(4, recurring=True), {"desired_remedy": "refund"}, None,
     [("goodwill", "100")], "agent"),
    ("gold-tier-and-tenure-add-30-percent", findings(3), {"customer": GOLD_SINCE_2019, "desired_remedy": "refund"},
     None, [("goodwill", "32.50")], None),
    ("tenure-uplift-stops-at-its-max", findings(5), {"customer": {"since": "2000-01-01"}, "desired_remedy": "refund"},
     None, [("goodwill", "110")], "team_lead"),
    ("earlier-complaints-count-up-to-two", findings(3), {"desired_remedy": "refund"},
     CustomerStanding(earlier_complaints=3), [("goodwill", "37.50")], None),
    ("third-party-fault-changes-nothing-for-the-customer", findings(3, "89.90", fault="third_party"),
     {"desired_remedy": "refund"}, None, [("refund", "89.90"), ("goodwill", "25")], "team_lead"),
    ("cap-per-complaint-cuts-goodwill-first", findings(5, "4950"), {"desired_remedy": "refund"}, None,
     [("refund", "4950"), ("goodwill", "50")], "director"),
    ("customer-12-month-cap-cuts-to-what-remains", findings(3, "89.90"), {"desired_remedy": "refund"},
     CustomerStanding(paid_last_12_months=D("7450")), [("refund", "50")], None),
    ("monthly-category-budget-cuts-to-what-is-left", findings(3, "89.90"), {"desired_remedy": "refund"},
     CustomerStanding(category_spent_this_month=D("19930")), [("refund", "70")], "agent"),
    ("an-exhausted-budget-offers-nothing", findings(3, "89.90"), {},
     CustomerStanding(category_spent_this_month=D("20000")), [], None),
    ("not-upheld-nothing", findings(5, "500", upheld=False), {"desired_remedy": "refund"}, None, [], None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("found", "fields", "standing", "items", "level"), [row[1:] for row in TABLE], ids=[row[0] for row in TABLE]
)
def test_policy_table(
    found: Findings,
    fields: dict[str, Any],
    standing: CustomerStanding | None,
    items: list[tuple[str, str]],
    level: str | None,
) -> None:
    proposal = propose(found, RULES, complaint(**fields), standing=standing)

    assert [(item.kind.value, item.amount) for item in proposal.items] == [(kind, D(amount)) for kind, amount in items]
    assert proposal.approval_level == level
    assert proposal.policy_version == "2026-11-b/v2"
    assert all(item.reason.endswith((".", ".)")) and len(item.reason) > 20 for item in proposal.items)


def reasons(proposal: Proposal) -> list[str]:
    return [item.reason for item in proposal.items]


def test_in_kind_items_carry_what_they_cost_us() -> None:
    proposal = propose(findings(2, "120", replacement=KETTLE), RULES, complaint(category="product"))

    assert [(item.amount, item.cost) for item in proposal.items] == [(D("120"), D("45")), (D("10"), D("4.00"))]
    assert proposal.total == D("130") and proposal.cost == D("49.00")
    assert reasons(proposal) == [
        "A new kettle in place of the one that went wrong, at our expense.",
        "10.00 GBP off your next purchase with us, for the trouble this caused you.",
    ]


def test_every_reason_says_why_in_plain_words() -> None:
    found = findings(3, "89.90", inconvenience="moderate", harm=True, fault="third_party")
    proposal = propose(found, RULES, complaint(customer=GOLD_SINCE_2019, desired_remedy="refund"),
                       standing=CustomerStanding(earlier_complaints=1))  # fmt: skip

    assert reasons(proposal) == [
        "A refund of the 89.90 GBP you lost through a problem with a partner we chose, so it is ours to put right.",
        "A goodwill payment for the trouble this caused you, the time and inconvenience it cost you and the distress "
        "it caused; a little more because you are one of our gold customers, you have been with us for 7 years and "
        "you have had to complain to us once before this year.",
    ]
    assert proposal.items[1].amount == D("178.25")  # (25 + 15 + 75) x (1 + 0.2 gold + 0.1 tenure + 0.25 earlier)


def test_a_wish_the_policy_cannot_honour_is_explained() -> None:
    billing = propose(findings(1, "30", replacement=KETTLE), RULES, complaint(desired_remedy="replacement"))
    nothing_to_replace = propose(findings(1, "30"), RULES, complaint(category="product", desired_remedy="replacement"))

    assert billing.note == "The customer asked for a replacement, but our policy does not replace it: refunded instead."
    assert nothing_to_replace.note == (
        "The customer asked for a replacement, but it cannot be replaced: refunded instead."
    )


def test_no_discount_where_the_category_does_not_allow_one() -> None:
    rules = with_rules(allowed_remedies={"billing": ("refund", "goodwill")})

    assert [item.kind for item in propose(findings(3), rules).items] == ["goodwill"]


def test_the_cut_says_which_limit_and_how_much() -> None:
    proposal = propose(findings(3, "89.90"), RULES, complaint(desired_remedy="refund"),
                       standing=CustomerStanding(category_spent_this_month=D("19930")))  # fmt: skip

    assert proposal.note == "Cut from 114.90 to the 70.00 left of this month's billing budget of 20000.00 GBP."
    assert reasons(proposal) == [
        "A refund of the 89.90 GBP you lost through our mistake. (Reduced to stay within the 70.00 left of this "
        "month's billing budget of 20000.00 GBP.)"
    ]


@pytest.mark.parametrize(
    ("standing", "over"),
    [
        (CustomerStanding(category_spent_this_month=D("19930")), "the 70.00 left of this month's billing budget"),
        (CustomerStanding(paid_last_12_months=D("7450")), "the 50.00 remaining of the cap of 7500.00 GBP per customer"),
    ],
    ids=["budget", "customer-cap"],
)
def test_escalate_mode_keeps_the_amount_and_asks_the_top_role(standing: CustomerStanding, over: str) -> None:
    rules = with_rules(over_limit=OverLimit.ESCALATE)
    proposal = propose(findings(3, "89.90"), rules, complaint(desired_remedy="refund"), standing=standing)

    assert proposal.total == D("114.90")  # not cut
    assert proposal.approval_level == "director"  # not team_lead, as 114.90 alone would need
    assert over in proposal.note and proposal.note.endswith("it needs director approval.")


def test_escalate_mode_asks_the_configured_role_unless_the_amount_needs_a_higher_one() -> None:
    rules = with_rules(over_limit=OverLimit.ESCALATE, over_limit_approver="manager")
    small = propose(findings(3, "89.90"), rules, standing=CustomerStanding(paid_last_12_months=D("7450")))
    large = propose(findings(5, "4900"), rules, standing=CustomerStanding(paid_last_12_months=D("7450")))

    assert (small.total, small.approval_level) == (D("114.90"), "manager")
    assert (large.total, large.approval_level) == (D("5000"), "director")  # over manager's 2000


def test_escalate_mode_never_asks_for_more_than_anyone_may_approve() -> None:
    rules = with_rules(over_limit=OverLimit.ESCALATE, cap_per_complaint=D("20000"))
    proposal = propose(findings(5, "15000"), rules, complaint(desired_remedy="refund"), standing=CustomerStanding())

    assert proposal.total == D("10000") and proposal.approval_level == "director"
    assert "Cut from 15100.00 to 10000.00, the director's approval limit." in proposal.note


def test_an_unknown_over_limit_approver_is_refused_when_the_rules_load() -> None:
    with pytest.raises(ValueError, match=re.escape("compensation.over_limit_approver: unknown role 'ceo'")):
        CaseRules.model_validate({**RULES.model_dump(), "compensation": {"over_limit_approver": "ceo"}})
