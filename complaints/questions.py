"""The questions a case asks and waits on, each with an identity within the case.

Each takes one answer. The update that answers records it at once (`CaseState.answers`), so
a second answer to the same question, however soon it arrives, is refused naming the first
(complaints.guards). A new investigation round or a new proposal version is a new question.
"""

from __future__ import annotations

from complaints.case import CaseState


def findings(state: CaseState) -> str:
    """What the department found, in this investigation round."""
    return f"findings-{state.investigation_round}"


def approval(state: CaseState) -> str:
    """Approve, amend or reject this version of the proposal (at whatever level it is asked)."""
    return f"approval-v{state.proposal.version if state.proposal else 0}"


def offer(state: CaseState) -> str:
    """The customer's answer to the offer of this version of the proposal."""
    return offer_of(state.proposal.version if state.proposal else 0)


def offer_of(proposal_version: int) -> str:
    return f"offer-v{proposal_version}"


def payout_decision(state: CaseState) -> str:
    """Staff's decision after this attempt at the payout was refused."""
    return f"payout-decision-{state.payout_attempt}"


def attention(state: CaseState) -> str:
    """Staff's go-ahead after the case's latest problem (it needed attention)."""
    return f"attention-{state.attention_count}"
