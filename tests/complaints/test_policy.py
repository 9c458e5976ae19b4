"""The compensation policy against the real rules file: items, totals, reasons and approval levels."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from complaints.actions import Findings
from complaints.compensation import CompensationTable
from complaints.policy import amended_proposal
from complaints.remedies import RemedyKind
from complaints.rules import CaseRules, load_rules
from complaints.standing import CustomerStanding
from tests.policy_support import propose

# The first policy: money only, no customer factors, no budget; the richer table is
# tested in test_policy_remedies.py. Cases pinned to a v1 rules file still propose this.
FIRST_POLICY = CompensationTable(
    version="v1", cap_per_complaint=Decimal("5000"), cap_per_customer_12_months=Decimal("7500")
)
CONFIGURED: CaseRules = load_rules(Path(__file__).resolve().parents[2] / "config" / "complaints.toml").model_copy(
    update={"compensation": FIRST_POLICY}
)
# The level boundaries above the per-complaint cap are still policy: test them uncapped.
RULES: CaseRules = CONFIGURED.model_copy(
    update={"compensation": CONFIGURED.compensation.model_copy(update={"cap_per_complaint": None})}
)

D = Decimal


def findings(severity: int, loss: str = "0", *, recurring: bool = False, upheld: bool = True) -> Findings:
    return Findings(
        submitted_by="alex",
        summary="The November invoice was charged twice",
        root_cause="Payment retry bug",
        severity=severity,
        financial_loss=D(loss),
        recurring=recurring,
        upheld=upheld,
    )


# (findings, expected items as (kind, amount), expected total, expected approval level)
PROPOSALS: list[tuple[str, Findings, list[tuple[str, Decimal]], Decimal, str | None]] = [
    ("refund-only-severity-1", findings(1, "30"), [("refund", D("30"))], D("30"), None),
    ("nothing-lost-severity-1", findings(1), [], D("0"), None),
    ("goodwill-severity-2", findings(2), [("goodwill", D("10"))], D("10"), None),
    ("goodwill-severity-3", findings(3), [("goodwill", D("25"))], D("25"), None),
    ("goodwill-severity-4-at-auto-threshold", findings(4), [("goodwill", D("50"))], D("50"), None),
    ("goodwill-severity-5-at-agent-limit", findings(5), [("goodwill", D("100"))], D("100"), "agent"),
    ("recurring-doubles-severity-2", findings(2, recurring=True), [("goodwill", D("20"))], D("20"), None),
    ("recurring-doubles-severity-5", findings(5, recurring=True), [("goodwill", D("200"))], D("200"), "team_lead"),
    ("recurring-severity-1-stays-zero", findings(1, recurring=True), [], D("0"), None),
    (
        "refund-plus-goodwill-114.90",
        findings(3, "89.90"),
        [("refund", D("89.90")), ("goodwill", D("25"))],
        D("114.90"),
        "team_lead",
    ),
    ("not-upheld", findings(5, "500", recurring=True, upheld=False), [], D("0"), None),
    ("exactly-auto-approve-50", findings(3, "25"), [("refund", D("25")), ("goodwill", D("25"))], D("50"), None),
    (
        "just-above-auto-approve-50.01",
        findings(3, "25.01"),
        [("refund", D("25.01")), ("goodwill", D("25"))],
        D("50.01"),
        "agent",
    ),
    ("exactly-agent-100", findings(2, "90"), [("refund", D("90")), ("goodwill", D("10"))], D("100"), "agent"),
    (
        "just-above-agent-100.01",
        findings(2, "90.01"),
        [("refund", D("90.01")), ("goodwill", D("10"))],
        D("100.01"),
        "team_lead",
    ),
    ("exactly-team-lead-500", findings(3, "475"), [("refund", D("475")), ("goodwill", D("25"))], D("500"), "team_lead"),
    (
        "just-above-team-lead-500.01",
        findings(3, "475.01"),
        [("refund", D("475.01")), ("goodwill", D("25"))],
        D("500.01"),
        "manager",
    ),
    (
        "exactly-manager-2000",
        findings(5, "1900"),
        [("refund", D("1900")), ("goodwill", D("100"))],
        D("2000"),
        "manager",
    ),
    (
        "just-above-manager-2000.01",
        findings(5, "1900.01"),
        [("refund", D("1900.01")), ("goodwill", D("100"))],
        D("2000.01"),
        "director",
    ),
    (
        "exactly-director-10000",
        findings(5, "9900"),
        [("refund", D("9900")), ("goodwill", D("100"))],
        D("10000"),
        "director",
    ),
]


@pytest.mark.parametrize(
    ("found", "items", "total", "level"),
    [case[1:] for case in PROPOSALS],
    ids=[case[0] for case in PROPOSALS],
)
def test_propose_remedy(found: Findings, items: list[tuple[str, Decimal]], total: Decimal, level: str | None) -> None:
    proposal = propose(found, RULES)

    assert [(item.kind, item.amount) for item in proposal.items] == items
    assert proposal.total == total
    assert proposal.approval_level == level
    assert proposal.currency == "GBP"
    assert proposal.policy_version == "2026-11-b/v1"
    assert proposal.version == 1
    assert proposal.note == ("" if found.upheld else "Complaint not upheld.")


@pytest.mark.parametrize(
    ("found", "expected_reasons"),
    [
        (findings(1, "30"), ["A refund of the 30.00 GBP you lost through our mistake."]),
        (
            findings(3, "89.9"),
            [
                "A refund of the 89.90 GBP you lost through our mistake.",
                "A goodwill payment for the trouble this caused you.",
            ],
        ),
        (
            findings(4, recurring=True),
            ["A goodwill payment for this having happened before, which it should not have."],
        ),
    ],
    ids=["refund", "refund-and-goodwill", "recurring-goodwill"],
)
def test_every_item_has_one_plain_words_reason(found: Findings, expected_reasons: list[str]) -> None:
    proposal = propose(found, RULES)

    assert [item.reason for item in proposal.items] == expected_reasons


@pytest.mark.parametrize("version", [1, 2, 7, 42])
def test_version_numbers_are_passed_through(version: int) -> None:
    assert propose(findings(3, "10"), RULES, version=version).version == version
    assert amended_proposal(D("10"), "why", RULES, version).version == version


@pytest.mark.parametrize(
    ("amount", "level"),
    [
        (D("0"), None),
        (D("50"), None),
        (D("50.01"), "agent"),
        (D("100"), "agent"),
        (D("100.01"), "team_lead"),
        (D("500"), "team_lead"),
        (D("500.01"), "manager"),
        (D("2000"), "manager"),
        (D("2000.01"), "director"),
        (D("10000"), "director"),
    ],
)
def test_amended_counter_proposal_levels(amount: Decimal, level: str | None) -> None:
    proposal = amended_proposal(amount, "The amount you asked for.", RULES, 3, kind=RemedyKind.COUNTER)

    assert [(item.kind, item.amount, item.reason) for item in proposal.items] == [
        ("counter", amount, "The amount you asked for.")
    ]
    assert proposal.total == amount
    assert proposal.approval_level == level
    assert proposal.version == 3
    assert proposal.currency == "GBP"
    assert proposal.policy_version == "2026-11-b/v1"
    assert proposal.note == ""


def test_a_counter_offer_over_every_limit_is_cut_and_becomes_an_offer_again() -> None:
    proposal = amended_proposal(D("10000.01"), "The amount you asked for.", RULES, 3, kind=RemedyKind.COUNTER)

    assert [(item.kind, item.amount) for item in proposal.items] == [("adjusted", D("10000"))]
    assert not proposal.is_counter_offer  # so it goes back to the customer once approved
    assert proposal.approval_level == "director"


def test_amended_proposal_defaults_to_kind_adjusted() -> None:
    proposal = amended_proposal(D("75"), "Approved a different amount.", RULES, 2)

    assert [item.kind for item in proposal.items] == ["adjusted"]
    assert proposal.approval_level == "agent"


def test_a_proposal_over_the_cap_is_cut_to_it_and_says_so() -> None:
    cap = CONFIGURED.compensation.cap_per_complaint
    assert cap == D("5000")
    proposal = propose(findings(5, "9000"), CONFIGURED)
    assert proposal.total == cap
    assert [(item.kind, item.amount) for item in proposal.items] == [("refund", D("5000"))]
    assert "Reduced to stay within the cap of 5000.00 GBP per complaint" in proposal.items[0].reason
    assert proposal.note == "Cut from 9100.00 to the cap of 5000.00 GBP per complaint."
    assert proposal.approval_level == "director"


def test_the_cap_trims_goodwill_before_the_refund() -> None:
    proposal = propose(findings(5, "4950"), CONFIGURED)  # 4950 + 100 goodwill
    assert [(item.kind, item.amount) for item in proposal.items] == [("refund", D("4950")), ("goodwill", D("50"))]
    assert proposal.total == D("5000")


def test_under_the_cap_nothing_is_cut() -> None:
    proposal = propose(findings(3, "89.90"), CONFIGURED)
    assert proposal.total == D("114.90") and proposal.note == ""


def test_the_rolling_customer_cap_cuts_to_what_remains_of_it() -> None:
    assert CONFIGURED.compensation.cap_per_customer_12_months == D("7500")
    proposal = propose(findings(3, "89.90"), CONFIGURED, standing=CustomerStanding(paid_last_12_months=D("7450")))
    assert proposal.total == D("50") and proposal.approval_level is None  # what is left is auto-approvable
    assert [(item.kind, item.amount) for item in proposal.items] == [("refund", D("50"))]
    assert proposal.note == (
        "Cut from 114.90 to the 50.00 remaining of the cap of 7500.00 GBP per customer in 12 months "
        "(7450.00 already paid)."
    )
    assert "per customer in 12 months" in proposal.items[0].reason


def test_a_customer_at_the_cap_is_offered_nothing_and_told_why() -> None:
    proposal = propose(findings(3, "89.90"), CONFIGURED, standing=CustomerStanding(paid_last_12_months=D("9000")))
    assert proposal.items == [] and proposal.total == 0
    assert "Cut from 114.90 to the 0.00 remaining" in proposal.note


def test_the_customer_cap_is_not_applied_when_nothing_was_read() -> None:
    assert propose(findings(3, "89.90"), CONFIGURED).total == D("114.90")
    assert propose(findings(3, "89.90"), CONFIGURED, standing=CustomerStanding()).total == D("114.90")


def test_above_every_approval_limit_is_cut_to_the_top_one_so_someone_can_approve_it() -> None:
    proposal = propose(findings(5, "50000", recurring=True), RULES)

    assert [(item.kind, item.amount) for item in proposal.items] == [("refund", D("10000"))]
    assert proposal.approval_level == "director"
    assert proposal.note == "Cut from 50200.00 to 10000.00, the director's approval limit."
    assert "(Reduced to stay within the most anyone here may approve (10000.00).)" in proposal.items[0].reason


@pytest.mark.parametrize(("earlier", "goodwill"), [(0, Decimal("50")), (1, Decimal("100")), (3, Decimal("100"))])
def test_the_rules_find_a_recurring_cause_that_staff_did_not_mark(earlier: int, goodwill: Decimal) -> None:
    """Earlier archived cases with the same code for the same product double the goodwill, as a mark does."""
    standing = CustomerStanding(same_cause_earlier=earlier)
    proposal = propose(findings(4), RULES, standing=standing)
    assert [(item.kind.value, item.amount) for item in proposal.items] == [("goodwill", goodwill)]
    assert ("happened before" in proposal.items[0].reason) is (earlier > 0)
