"""The keys of a case's one-shot steps, built here and nowhere else.

A key is carried in the case state (`CaseState.done`) across continue-as-new, so a running
case finds the steps it already took by these exact strings: never change one, only add.
"""

from __future__ import annotations

from typing import Final

ACKNOWLEDGED: Final = "acknowledged"
SURVEY_REMINDER: Final = "survey-reminder"
SURVEY_SUPPRESSED: Final = "survey-suppressed"  # a marker: no survey for this case
THANK_YOU: Final = "thank-you"
WITHDRAWAL_CONFIRMATION: Final = "withdrawal-confirmation"
OUTCOME_RECORDED: Final = "outcome-recorded"


def investigation_request(round_: int) -> str:
    return f"investigation-request-{round_}"


def investigation_reminder(round_: int) -> str:
    return f"investigation-reminder-{round_}"


def investigation_escalation(round_: int) -> str:
    return f"investigation-escalation-{round_}"


def approval_request(proposal_version: int, level: str) -> str:
    return f"approval-{proposal_version}-{level}-request"


def approval_reminder(proposal_version: int, level: str) -> str:
    return f"approval-{proposal_version}-{level}-reminder"


def offer(proposal_version: int) -> str:
    return f"offer-{proposal_version}"


def offer_reminder(proposal_version: int) -> str:
    return f"offer-reminder-{proposal_version}"


def paid(proposal_version: int) -> str:
    return f"paid-{proposal_version}"


def resolution(proposal_version: int) -> str:
    return f"resolution-{proposal_version}"


def follow_up(round_: int) -> str:
    return f"follow-up-{round_}"


def delay_notice(clock_kind: str) -> str:
    return f"delay-{clock_kind}"


def regulatory_deadline_met(name: str) -> str:
    """A marker: the regulator's deadline was reached and acted on."""
    return f"regulatory-{name}"


def attention_alert(number: int) -> str:
    """Staff were alerted of the case's problem `number` (workflows/attention.py)."""
    return f"attention-{number}-alert"
