"""What a case waits for at each stage, and until when: shown in the Web UI, by `admin show`
and in progress updates. Pure functions of the state; the process table (complaint.py)
says which one applies to which stage.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from complaints.case import CaseState

Waiting = tuple[str, datetime | None]


def the_system(state: CaseState) -> Waiting:
    return "the system (working)", None


def findings(state: CaseState) -> Waiting:
    return f"findings from {state.rules.routing[state.complaint.category].department}", state.investigation_due


def approval(state: CaseState) -> Waiting:
    return f"approval by a {state.approval_level or 'staff member'}", state.approval_due


def offer_answer(state: CaseState) -> Waiting:
    return "the customer's answer to the offer", state.offer_due


def payout(state: CaseState) -> Waiting:
    if state.payout_refusal:
        return "a staff decision on the refused payout", None
    return the_system(state)


def reopen_window(state: CaseState) -> Waiting:
    standing = " (the offer still stands)" if state.offer_standing else ""
    return f"the reopen window to close{standing}", state.reopen_until


def survey_answer(state: CaseState) -> Waiting:
    started = state.survey_started_at
    return "the customer's survey answer", started + state.rules.timings.survey_expires_after if started else None


def nothing(state: CaseState) -> Waiting:
    return "nothing: the case is closed", None


def held_for_staff(state: CaseState) -> Waiting | None:
    """A problem retrying cannot fix holds the case until staff resume it (workflows/attention.py)."""
    if state.attention is None or not state.attention.holds or state.stage.is_final:
        return None
    return f"staff to resolve a problem ({state.attention.where}) and resume the case", None


def blocked_on_the_customer(state: CaseState) -> Waiting | None:
    """Whatever the stage, an open case can be held up by the customer's contact or answer."""
    if state.stage.is_final:
        return None
    if state.contact_problem is not None:
        return "staff to correct the customer's address (our mail was refused)", None
    if state.information_request is not None:
        return "the customer's answer to our question (the clock is paused)", None
    return None
