"""The approval matrix: delegates while away, four-eyes, and decisions sent as signals' rules."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from complaints import guards
from complaints.actions import Amendment, Approval, DecisionKind, Rejection, StaffDecision
from complaints.case import Stage
from complaints.rules import CaseRules, StaffMember, load_rules
from tests.complaints.test_guards import APPROVING, case

CONFIGURED: CaseRules = load_rules(Path(__file__).resolve().parents[2] / "config" / "complaints.toml")


def with_staff(rules: CaseRules, staff_id: str, **changes: object) -> CaseRules:
    staff = tuple(m.model_copy(update=changes) if m.id == staff_id else m for m in rules.staff)
    return rules.model_copy(update={"staff": staff})


JORDAN_AWAY = with_staff(CONFIGURED, "tl-jordan", away=True, delegate="sam")


def test_a_delegate_acts_with_the_authority_of_whoever_is_away() -> None:
    assert CONFIGURED.approval_limit("sam") == Decimal("100")
    assert JORDAN_AWAY.approval_limit("sam") == Decimal("500")
    assert [m.id for m in JORDAN_AWAY.asked_to_approve("team_lead")] == ["sam"]
    assert "sam" in [m.id for m in JORDAN_AWAY.approvers_at("team_lead")]


def test_a_delegation_is_not_used_while_the_member_is_present() -> None:
    present = with_staff(CONFIGURED, "tl-jordan", delegate="sam")
    assert present.approval_limit("sam") == Decimal("100")
    assert [m.id for m in present.asked_to_approve("team_lead")] == ["tl-jordan"]


@pytest.mark.parametrize("delegate", ["nobody", "tl-jordan"])
def test_a_delegate_must_be_another_staff_member(delegate: str) -> None:
    document = CONFIGURED.model_dump()
    document["staff"] = [
        {**member, "delegate": delegate} if member["id"] == "tl-jordan" else member for member in document["staff"]
    ]
    with pytest.raises(ValueError, match="staff tl-jordan: delegate"):
        CaseRules.model_validate(document)


def test_the_delegate_may_approve_what_the_absent_team_lead_could() -> None:
    state = APPROVING.model_copy(update={"rules": JORDAN_AWAY})
    guards.check_approval(state, Approval(approver_id="sam"))  # 114.90 within the team lead's 500
    with pytest.raises(guards.Refused, match="over the approval limit of Sam Patel"):
        guards.check_approval(APPROVING, Approval(approver_id="sam"))  # without the delegation


def test_four_eyes_stops_the_owner_approving_their_own_case_above_the_threshold() -> None:
    owned_by_jordan = case(Stage.AWAITING_APPROVAL, approval_level="team_lead", owner_id="tl-jordan")
    with pytest.raises(guards.Refused, match=r"tl-jordan owns this complaint, and above 100\.00 GBP"):
        guards.check_approval(owned_by_jordan, Approval(approver_id="tl-jordan"))
    with pytest.raises(guards.Refused, match="four-eyes"):
        guards.check_amendment(owned_by_jordan, Amendment(approver_id="tl-jordan", amount=Decimal("101"), reason="x"))
    guards.check_amendment(owned_by_jordan, Amendment(approver_id="tl-jordan", amount=Decimal("100"), reason="x"))
    guards.check_approval(owned_by_jordan, Approval(approver_id="mgr-dana"))  # another person: fine


def test_a_signalled_decision_becomes_the_same_action_as_the_update() -> None:
    approve = StaffDecision(decision=DecisionKind.APPROVE, approver_id="tl-jordan", comment="ok").as_action()
    assert approve == Approval(approver_id="tl-jordan", comment="ok")
    reject = StaffDecision(decision=DecisionKind.REJECT, approver_id="tl-jordan", reason="no").as_action()
    assert reject == Rejection(approver_id="tl-jordan", reason="no")
    amend = StaffDecision(decision=DecisionKind.AMEND, approver_id="mgr-dana", amount=Decimal("80"), reason="less")
    assert amend.as_action() == Amendment(approver_id="mgr-dana", amount=Decimal("80"), reason="less")


@pytest.mark.parametrize(
    ("decision", "field"),
    [
        (StaffDecision(decision=DecisionKind.REJECT, approver_id="tl-jordan"), "reason"),
        (StaffDecision(decision=DecisionKind.AMEND, approver_id="tl-jordan", reason="x"), "amount"),
    ],
)
def test_an_incomplete_signalled_decision_names_the_missing_field(decision: StaffDecision, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        decision.as_action()


def test_staff_member_defaults_are_present_and_not_delegating() -> None:
    member = StaffMember(id="x", name="X", email="x@example.com", role="agent")
    assert (member.away, member.delegate) == (False, None)
