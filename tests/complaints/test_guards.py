"""Guards: which actions a case refuses at which stage, and the exact reason the caller sees."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from complaints import guards
from complaints.actions import (
    Amendment,
    Approval,
    Feedback,
    Findings,
    Note,
    OfferAnswer,
    OfferResponse,
    Reassignment,
    Rejection,
    Reopen,
    Withdrawal,
)
from complaints.case import CaseState, Stage
from complaints.intake import ComplaintInput
from complaints.policy import amended_proposal
from complaints.remedies import Proposal, RemedyItem, RemedyKind
from complaints.rules import CaseRules, load_rules
from tests.policy_support import propose

CONFIGURED: CaseRules = load_rules(Path(__file__).resolve().parents[2] / "config" / "complaints.toml")
# The level boundaries above the per-complaint cap are still policy: test them uncapped.
RULES: CaseRules = CONFIGURED.model_copy(
    update={"compensation": CONFIGURED.compensation.model_copy(update={"cap_per_complaint": None})}
)
RECEIVED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
WINDOW_ENDS = datetime(2026, 12, 15, 10, 0, tzinfo=UTC)

FINDINGS = Findings(
    submitted_by="alex",
    summary="The November invoice was charged twice",
    root_cause="Payment retry bug in the billing system",
    root_cause_code="billing.duplicate-charge",
    severity=3,
    financial_loss=Decimal("89.90"),
)
PROPOSAL = propose(FINDINGS, RULES)  # 89.90 + 25.00 = 114.90, team_lead

COMPLAINT = ComplaintInput.model_validate(
    {
        "id": "C-1001",
        "customer": {"id": "cust-42", "name": "Ada Lovelace", "email": "ada@example.com"},
        "category": "billing",
        "priority": "high",
        "description": "I was charged twice for my November invoice.",
        "claimed_amount": "89.90",
        "received_at": RECEIVED.isoformat(),
    }
)


def case(stage: Stage, **changes: Any) -> CaseState:
    state = CaseState(
        complaint=COMPLAINT,
        rules=RULES,
        stage=stage,
        owner_id="alex",
        received_at=RECEIVED,
        last_customer_update_at=RECEIVED,
        findings=None if stage in (Stage.RECEIVED, Stage.INVESTIGATING) else FINDINGS,
        proposal=None if stage in (Stage.RECEIVED, Stage.INVESTIGATING) else PROPOSAL,
        proposal_versions=0 if stage in (Stage.RECEIVED, Stage.INVESTIGATING) else 1,
    )
    return state.model_copy(update=changes)


INVESTIGATING = case(Stage.INVESTIGATING)
APPROVING = case(Stage.AWAITING_APPROVAL, approval_level="team_lead")
APPROVING_100 = case(Stage.AWAITING_APPROVAL, proposal=amended_proposal(Decimal("100"), "r", RULES, 2))
# The policy never proposes more than the top limit now, but a case pinned to older code may hold one.
OVER_EVERY_LIMIT = Proposal(
    version=2,
    items=[RemedyItem(kind=RemedyKind.ADJUSTED, amount=Decimal("10000.01"), reason="r")],
    currency="GBP",
    policy_version="2026-11-a/v1",
    approval_level="director",
)
APPROVING_10001 = case(Stage.AWAITING_APPROVAL, proposal=OVER_EVERY_LIMIT)
OFFERED = case(Stage.AWAITING_CUSTOMER, approved_by="tl-jordan")
FULFILLING = case(Stage.FULFILLING)
FOLLOWING_UP = case(Stage.FOLLOWING_UP, resolved_at=WINDOW_ENDS - timedelta(days=14), reopen_until=WINDOW_ENDS)
STANDING = FOLLOWING_UP.model_copy(update={"offer_standing": True})
FEEDBACK = case(Stage.AWAITING_FEEDBACK, reopen_until=WINDOW_ENDS)
ANSWERED = FEEDBACK.model_copy(update={"feedback": Feedback(csat=4)})
CLOSING = case(Stage.CLOSING, reopen_until=WINDOW_ENDS)
CLOSED = case(Stage.CLOSED, reopen_until=WINDOW_ENDS)
WITHDRAWN = case(Stage.WITHDRAWN)
BEING_WITHDRAWN = INVESTIGATING.model_copy(update={"withdrawal": Withdrawal()})

ACCEPT = OfferResponse(answer=OfferAnswer.ACCEPT)
BY_NOBODY = FINDINGS.model_copy(update={"submitted_by": "nobody"})
UNCODED = FINDINGS.model_copy(update={"root_cause_code": None})
MISCODED = FINDINGS.model_copy(update={"root_cause_code": "billing.double-charge"})
RECURRING_UNEXPLAINED = FINDINGS.model_copy(update={"recurring": True, "recurring_reason": " "})
RECURRING_EXPLAINED = FINDINGS.model_copy(update={"recurring": True, "recurring_reason": "Third time since March"})
NO_VOCABULARY = INVESTIGATING.model_copy(update={"rules": RULES.model_copy(update={"root_causes": {}})})
REOPEN = Reopen(reason="The second charge is back")
LATE = WINDOW_ENDS + timedelta(seconds=1)
WINDOW_TEXT = "Tue 15 Dec 2026 10:00 UTC"

Check = Callable[[], None]


def amend(approver_id: str, amount: str) -> Amendment:
    return Amendment(approver_id=approver_id, amount=Decimal(amount), reason="A fairer amount")


def counter(amount: str | None) -> OfferResponse:
    return OfferResponse(answer=OfferAnswer.COUNTER, counter_amount=None if amount is None else Decimal(amount))


def decline(reason: str) -> OfferResponse:
    return OfferResponse(answer=OfferAnswer.DECLINE, reason=reason)


def reassign(to_staff_id: str) -> Reassignment:
    return Reassignment(to_staff_id=to_staff_id, brief="Please take this over")


REFUSED: list[tuple[str, Check, str]] = [
    ("findings-wrong-stage", lambda: guards.check_findings(APPROVING, FINDINGS),
     "cannot submit findings: the complaint is AwaitingApproval, not Investigating"),
    ("findings-unknown-staff", lambda: guards.check_findings(INVESTIGATING, BY_NOBODY),
     "submitted_by: unknown staff id 'nobody'"),
    ("findings-closed", lambda: guards.check_findings(CLOSED, FINDINGS),
     "cannot submit findings: the complaint is Closed, not Investigating"),
    ("findings-without-code", lambda: guards.check_findings(INVESTIGATING, UNCODED),
     "cannot submit findings: root_cause_code: required; one of " + ", ".join(sorted(RULES.root_causes))),
    ("findings-unknown-code", lambda: guards.check_findings(INVESTIGATING, MISCODED),
     "cannot submit findings: root_cause_code: unknown code 'billing.double-charge'; known: "
     + ", ".join(sorted(RULES.root_causes))),
    ("findings-recurring-unexplained", lambda: guards.check_findings(INVESTIGATING, RECURRING_UNEXPLAINED),
     "cannot submit findings: recurring_reason: say why it is recurring when marking it so"),
    ("approve-wrong-stage", lambda: guards.check_approval(INVESTIGATING, Approval(approver_id="tl-jordan")),
     "cannot approve: the complaint is Investigating, not AwaitingApproval"),
    ("approve-unknown-staff", lambda: guards.check_approval(APPROVING, Approval(approver_id="ghost")),
     "approver_id: unknown staff id 'ghost'"),
    ("approve-over-limit", lambda: guards.check_approval(APPROVING, Approval(approver_id="alex")),
     "cannot approve: 114.90 GBP is over the approval limit of Alex Morgan (agent, up to 100.00 GBP)"),
    ("approve-over-director", lambda: guards.check_approval(APPROVING_10001, Approval(approver_id="dir-rowan")),
     "cannot approve: 10000.01 GBP is over the approval limit of Rowan Okafor (director, up to 10000.00 GBP)"),
    ("reject-over-limit", lambda: guards.check_rejection(APPROVING, Rejection(approver_id="sam", reason="too much")),
     "cannot reject: 114.90 GBP is over the approval limit of Sam Patel (agent, up to 100.00 GBP)"),
    ("amend-over-limit", lambda: guards.check_amendment(APPROVING, amend("tl-jordan", "500.01")),
     "cannot amend: 500.01 GBP is over the approval limit of Jordan Lee (team_lead, up to 500.00 GBP)"),
    ("amend-closed", lambda: guards.check_amendment(CLOSED, amend("mgr-dana", "1")),
     "cannot amend: the complaint is Closed, not AwaitingApproval"),
    ("offer-none-open", lambda: guards.check_offer_response(INVESTIGATING, ACCEPT),
     "cannot record an offer response: no offer is open (the complaint is Investigating)"),
    ("offer-not-standing", lambda: guards.check_offer_response(FOLLOWING_UP, ACCEPT),
     "cannot record an offer response: no offer is open (the complaint is FollowingUp)"),
    ("offer-closed", lambda: guards.check_offer_response(CLOSED, ACCEPT),
     "cannot record an offer response: no offer is open (the complaint is Closed)"),
    ("decline-without-reason", lambda: guards.check_offer_response(OFFERED, decline("  ")),
     "reason: a decline needs the customer's reason"),
    ("counter-without-amount", lambda: guards.check_offer_response(OFFERED, counter(None)),
     "counter_amount: a counter-offer needs an amount above zero"),
    ("counter-of-zero", lambda: guards.check_offer_response(STANDING, counter("0.00")),
     "counter_amount: a counter-offer needs an amount above zero"),
    ("reopen-after-window", lambda: guards.check_reopen(FOLLOWING_UP, REOPEN, LATE),
     f"cannot reopen: the reopen window closed on {WINDOW_TEXT}"),
    ("reopen-awaiting-feedback", lambda: guards.check_reopen(FEEDBACK, REOPEN, WINDOW_ENDS),
     f"cannot reopen: the reopen window closed on {WINDOW_TEXT}"),
    ("reopen-closing", lambda: guards.check_reopen(CLOSING, REOPEN, WINDOW_ENDS),
     f"cannot reopen: the reopen window closed on {WINDOW_TEXT}"),
    ("reopen-before-resolution", lambda: guards.check_reopen(INVESTIGATING, REOPEN, RECEIVED),
     "cannot reopen: the complaint is Investigating, not FollowingUp"),
    ("reopen-while-offered", lambda: guards.check_reopen(OFFERED, REOPEN, RECEIVED),
     "cannot reopen: the complaint is AwaitingCustomer, not FollowingUp"),
    ("reopen-closed", lambda: guards.check_reopen(CLOSED, REOPEN, RECEIVED),
     "cannot reopen: the complaint is Closed, not FollowingUp"),
    ("feedback-wrong-stage", lambda: guards.check_feedback(FOLLOWING_UP, Feedback(csat=5)),
     "cannot record feedback: the complaint is FollowingUp, not AwaitingFeedback"),
    ("feedback-twice", lambda: guards.check_feedback(ANSWERED, Feedback(csat=5)),
     "cannot record feedback: the customer has already answered the survey"),
    ("reassign-to-owner", lambda: guards.check_reassignment(INVESTIGATING, reassign("alex")),
     "to_staff_id: the complaint is already assigned to alex"),
    ("reassign-unknown", lambda: guards.check_reassignment(INVESTIGATING, reassign("ghost")),
     "to_staff_id: unknown staff id 'ghost'"),
    ("reassign-closed", lambda: guards.check_reassignment(CLOSED, reassign("sam")),
     "cannot reassign: the complaint is already Closed"),
    ("note-unknown-author", lambda: guards.check_note(INVESTIGATING, Note(author="intruder", text="hello")),
     "author: unknown staff id 'intruder'"),
    ("note-withdrawn", lambda: guards.check_note(WITHDRAWN, Note(author="alex", text="hello")),
     "cannot add a note: the complaint is already Withdrawn"),
    ("withdraw-fulfilling", lambda: guards.check_withdrawal(FULFILLING, Withdrawal()),
     "cannot withdraw: the complaint is Fulfilling; it will be closed in a moment"),
    ("withdraw-closing", lambda: guards.check_withdrawal(CLOSING, Withdrawal()),
     "cannot withdraw: the complaint is Closing; it will be closed in a moment"),
    ("withdraw-twice", lambda: guards.check_withdrawal(BEING_WITHDRAWN, Withdrawal()),
     "cannot withdraw: the complaint is already being withdrawn"),
    ("withdraw-closed", lambda: guards.check_withdrawal(CLOSED, Withdrawal()),
     "cannot withdraw: the complaint is already Closed"),
]  # fmt: skip


@pytest.mark.parametrize(("check", "message"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_refused_with_the_reason(check: Check, message: str) -> None:
    with pytest.raises(guards.Refused) as refusal:
        check()

    assert str(refusal.value) == message


ALLOWED: list[tuple[str, Check]] = [
    ("findings-by-owner", lambda: guards.check_findings(INVESTIGATING, FINDINGS)),
    ("findings-recurring-with-reason", lambda: guards.check_findings(INVESTIGATING, RECURRING_EXPLAINED)),
    ("findings-uncoded-under-rules-without-vocabulary", lambda: guards.check_findings(NO_VOCABULARY, UNCODED)),
    ("approve-by-team-lead-114.90", lambda: guards.check_approval(APPROVING, Approval(approver_id="tl-jordan"))),
    ("approve-by-manager", lambda: guards.check_approval(APPROVING, Approval(approver_id="mgr-dana"))),
    ("approve-by-director", lambda: guards.check_approval(APPROVING, Approval(approver_id="dir-rowan"))),
    ("approve-exactly-at-agent-limit", lambda: guards.check_approval(APPROVING_100, Approval(approver_id="alex"))),
    ("reject-by-team-lead", lambda: guards.check_rejection(APPROVING, Rejection(approver_id="tl-jordan", reason="r"))),
    ("amend-at-limit", lambda: guards.check_amendment(APPROVING, amend("tl-jordan", "500"))),
    ("amend-down-to-agent-limit", lambda: guards.check_amendment(APPROVING, amend("alex", "100"))),
    ("accept-open-offer", lambda: guards.check_offer_response(OFFERED, ACCEPT)),
    ("decline-with-reason", lambda: guards.check_offer_response(OFFERED, decline("Too little"))),
    ("counter-with-amount", lambda: guards.check_offer_response(OFFERED, counter("150"))),
    ("accept-standing-offer", lambda: guards.check_offer_response(STANDING, ACCEPT)),
    ("reopen-within-window", lambda: guards.check_reopen(FOLLOWING_UP, REOPEN, WINDOW_ENDS - timedelta(minutes=1))),
    ("reopen-at-window-end", lambda: guards.check_reopen(FOLLOWING_UP, REOPEN, WINDOW_ENDS)),
    ("feedback-first-time", lambda: guards.check_feedback(FEEDBACK, Feedback(csat=5))),
    ("reassign-to-colleague", lambda: guards.check_reassignment(INVESTIGATING, reassign("sam"))),
    ("note-by-staff", lambda: guards.check_note(FOLLOWING_UP, Note(author="tl-jordan", text="Called the customer"))),
    ("withdraw-investigating", lambda: guards.check_withdrawal(INVESTIGATING, Withdrawal())),
    ("withdraw-offered", lambda: guards.check_withdrawal(OFFERED, Withdrawal())),
]  # fmt: skip


@pytest.mark.parametrize("check", [c[1] for c in ALLOWED], ids=[c[0] for c in ALLOWED])
def test_allowed_passes_silently(check: Check) -> None:
    check()  # must not raise Refused


def test_fixtures_are_what_the_tables_assume() -> None:
    assert PROPOSAL.total == Decimal("114.90")
    assert PROPOSAL.approval_level == "team_lead"
    assert APPROVING_100.proposal is not None and APPROVING_100.proposal.total == Decimal("100")
    assert RULES.staff_member("alex") is not None and INVESTIGATING.owner_id == "alex"
    assert COMPLAINT.received_at == RECEIVED
