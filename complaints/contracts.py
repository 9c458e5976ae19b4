"""The activities the workflow calls, each declared once: name, argument and result types.

The workflow calls `execute_activity(contract.name, arg, result_type=contract.result)` and
the activities register under `contract.name`; `tests/workflows/test_activity_contracts.py` checks that each
registered activity takes and returns exactly the declared types. No I/O module is imported
here, so the workflow sandbox stays free of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Generic, TypeVar

from complaints.case import ClosingRecord
from complaints.emerging import EmergingAlertResult, EmergingIssue, ReviewWindows, RootCauseCounts
from complaints.incident import IncidentDeclaration
from complaints.incident_records import (
    AssessRequest,
    AssessResult,
    BudgetChange,
    BudgetMove,
    BudgetMoveResult,
    IncidentClosing,
    IncidentOpening,
    JoinRequest,
    JoinResult,
    OfferPageRequest,
    OfferPageResult,
)
from complaints.messages import MessageReceipt, MessageRequest, SurveyHistory, SurveyQuery
from complaints.monthly_report import MonthlyReportRequest, MonthlyReportResult
from complaints.payout import CustomerPaid, CustomerPaidQuery, PayoutReceipt, PayoutRequest
from complaints.rules import CaseRules
from complaints.standing import CustomerStanding, StandingQuery
from complaints.stuck import DoctorReport, Examination

Arg = TypeVar("Arg")
Result = TypeVar("Result")


@dataclass(frozen=True)
class ActivityContract(Generic[Arg, Result]):
    """One activity as both sides see it. `arg` is None for an activity without an argument."""

    name: str
    arg: type[Arg] | None
    result: type[Result] | None


LOAD_CASE_RULES: Final = ActivityContract[None, CaseRules]("load_case_rules", None, CaseRules)
SEND_MESSAGE: Final = ActivityContract("send_message", MessageRequest, MessageReceipt)
PAY_COMPENSATION: Final = ActivityContract("pay_compensation", PayoutRequest, PayoutReceipt)
CUSTOMER_PAID_SINCE: Final = ActivityContract("customer_paid_since", CustomerPaidQuery, CustomerPaid)
READ_CUSTOMER_STANDING: Final = ActivityContract("read_customer_standing", StandingQuery, CustomerStanding)
CUSTOMER_SURVEYED_SINCE: Final = ActivityContract("customer_surveyed_since", SurveyQuery, SurveyHistory)
RECORD_OUTCOME: Final = ActivityContract[ClosingRecord, None]("record_outcome", ClosingRecord, None)
SET_CASE_PRIORITY: Final = ActivityContract[int, None]("set_case_priority", int, None)

# Task queue priority keys (1 is handed to a worker first, 5 last; 3 when none is given).
# A case starts at FIRST_CONTACT, so the work up to its acknowledgement goes ahead of every
# case's later stages; once acknowledged it drops to ROUTINE (workflows/outward.py).
FIRST_CONTACT_PRIORITY: Final = 1
ROUTINE_PRIORITY: Final = 3

ALL: Final = (
    LOAD_CASE_RULES,
    SEND_MESSAGE,
    PAY_COMPENSATION,
    CUSTOMER_PAID_SINCE,
    READ_CUSTOMER_STANDING,
    CUSTOMER_SURVEYED_SINCE,
    RECORD_OUTCOME,
)
CASE_PRIORITY: Final = (SET_CASE_PRIORITY,)  # activities/case_priority.py: it needs the Temporal client

# The scheduled check (workflows/doctor.py): which cases are not moving, and telling operators of new ones.
EXAMINE_CASES: Final = ActivityContract[None, Examination]("examine_cases", None, Examination)
ALERT_OPERATORS: Final = ActivityContract("alert_operators", Examination, DoctorReport)

DOCTOR: Final = (EXAMINE_CASES, ALERT_OPERATORS)

# The scheduled reviews of the case file archive (workflows/emerging_review.py, workflows/monthly_report.py):
# counting root causes and alerting managers of emerging issues (activities/emerging_activities.py), and the
# monthly report mailed to them (activities/monthly_report.py).
COUNT_ROOT_CAUSES: Final = ActivityContract("count_root_causes", ReviewWindows, RootCauseCounts)
RAISE_EMERGING_ALERT: Final = ActivityContract("raise_emerging_alert", EmergingIssue, EmergingAlertResult)
SEND_MONTHLY_REPORT: Final = ActivityContract("send_monthly_report", MonthlyReportRequest, MonthlyReportResult)

REVIEWS: Final = (COUNT_ROOT_CAUSES, RAISE_EMERGING_ALERT, SEND_MONTHLY_REPORT)

# An incident (workflows/incident.py) and its proactive cases: the app database's incident tables,
# and starting the cases (activities/incident_activities.py: it needs the Temporal client).
MOVE_INCIDENT_BUDGET: Final = ActivityContract("move_incident_budget", BudgetMove, BudgetMoveResult)
OPEN_INCIDENT: Final = ActivityContract[IncidentOpening, None]("open_incident", IncidentOpening, None)
AMEND_INCIDENT: Final = ActivityContract[IncidentDeclaration, None]("amend_incident", IncidentDeclaration, None)
ASSESS_INCIDENT: Final = ActivityContract("assess_incident", AssessRequest, AssessResult)
SET_INCIDENT_BUDGET: Final = ActivityContract[BudgetChange, None]("set_incident_budget", BudgetChange, None)
OFFER_PAGE: Final = ActivityContract("offer_page", OfferPageRequest, OfferPageResult)
JOIN_INCIDENT: Final = ActivityContract("join_incident", JoinRequest, JoinResult)
CLOSE_INCIDENT: Final = ActivityContract[IncidentClosing, None]("close_incident", IncidentClosing, None)

INCIDENT: Final = (
    MOVE_INCIDENT_BUDGET,
    OPEN_INCIDENT,
    AMEND_INCIDENT,
    ASSESS_INCIDENT,
    SET_INCIDENT_BUDGET,
    OFFER_PAGE,
    JOIN_INCIDENT,
    CLOSE_INCIDENT,
)
