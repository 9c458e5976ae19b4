"""`case_file_of`: a closing case's state, as its case file. Pure, so the workflow builds it.

The timeline already holds every decision with its actor, so decisions are read from it
(which also gives cases begun before the case file existed a complete list); limits are the
approver's under the case's pinned rules.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from complaints.case import CaseState, Stage
from complaints.case_file import (
    CaseFile,
    FileClock,
    FileDecision,
    FileEvent,
    FileFindings,
    FilePayout,
    FileProposal,
    FileRedress,
)
from complaints.incident import Origin
from complaints.regulatory import RegulatoryDeadline
from complaints.sla import SlaClock, clock_status

APPROVER_DECISIONS = {"approved": "approve", "rejected": "reject", "amended": "amend"}
"""Timeline kinds that are an approver's decision on a proposal: their limit is recorded."""

OTHER_DECISIONS = {
    "auto-approved": "auto-approve",
    "offer accept": "offer accepted",
    "offer decline": "offer declined",
    "offer counter": "offer countered",
    "reopened": "reopen",
    "withdrawn": "withdraw",
    "settled elsewhere": "settled elsewhere",
    "payout retry": "retry payout",
    "assigned": "assign",
    "priority raised": "raise priority",
    "resumed": "resume",
    "decision refused": "decision refused",
}
ESCALATIONS = {"escalated", "approval escalated"}


def case_file_of(state: CaseState, workflow_id: str, final: Stage, now: datetime) -> CaseFile:
    complaint, rules = state.complaint, state.rules
    findings = state.findings_by_round or ({state.investigation_round: state.findings} if state.findings else {})
    last = findings[max(findings)] if findings else None
    closed_at = state.closed_at or now
    profile_name = complaint.regulatory_profile
    profile = rules.sla.regulatory_profiles.get(profile_name or rules.sla.default_profile)
    route = rules.routing[complaint.category]
    outcome = "withdrawn" if final is Stage.WITHDRAWN else ("offer_lapsed" if state.offer_standing else "resolved")
    origin = Origin.PROACTIVE if state.incident and state.incident.origin is Origin.PROACTIVE else Origin.CUSTOMER
    marked = [f for f in findings.values() if f.recurring]
    return CaseFile(
        workflow_id=workflow_id,
        complaint_id=complaint.id,
        customer_id=complaint.customer.id,
        customer_name=complaint.customer.name,
        customer_email=state.contact_email or str(complaint.customer.email),
        language=complaint.customer.language,
        category=complaint.category.value,
        product=complaint.product,
        priority=state.current_priority.value,
        channel=complaint.channel,
        origin=origin.value,
        incident_id=state.incident.incident_id if state.incident else complaint.incident_id,
        rules_version=rules.version,
        regulatory_profile=profile_name or (profile.name if profile and profile.rules else None),
        owner_id=state.owner_id,
        team=route.department,
        outcome=outcome,
        upheld=last.upheld if last else None,
        fault=last.fault.value if last else None,
        root_cause_code=last.root_cause_code if last else None,
        root_cause=last.root_cause if last else None,
        recurring=bool(marked) or bool(state.same_cause_earlier),
        recurring_reason=marked[-1].recurring_reason or None if marked else None,
        severity=last.severity if last else None,
        received_at=state.received_at,
        acknowledged_at=_stopped(state.clocks, "acknowledgement"),
        resolved_at=state.resolved_at,
        closed_at=closed_at,
        reopened=any(event.kind == "reopened" for event in state.timeline),
        escalations=sum(event.kind in ESCALATIONS for event in state.timeline),
        survey_sent=state.survey_started_at is not None,
        csat=state.feedback.csat if state.feedback else None,
        csat_comment=(state.feedback.comment or None) if state.feedback else None,
        redress_paid=state.paid_total,
        currency=rules.compensation.currency,
        complaint=complaint.model_dump(mode="json"),
        retain_until=years_after(closed_at, profile.retain_records_years if profile else 3),
        events=_events(state, final, closed_at),
        findings=[
            FileFindings(
                round=number,
                submitted_by=f.submitted_by,
                summary=f.summary,
                root_cause_code=f.root_cause_code,
                root_cause=f.root_cause,
                severity=f.severity,
                upheld=f.upheld,
                fault=f.fault.value,
                financial_loss=f.financial_loss,
                inconvenience=f.inconvenience.value,
                harm=f.harm,
                recurring_marked=f.recurring,
                recurring_reason=f.recurring_reason or None,
            )
            for number, f in sorted(findings.items())
        ],
        proposals=[
            FileProposal(
                version=p.version,
                total=p.total,
                currency=p.currency,
                policy_version=p.policy_version,
                approval_level=p.approval_level,
                note=p.note,
                items=p.items,
            )
            for p in (state.proposals or ([state.proposal] if state.proposal else []))
        ],
        decisions=_decisions(state),
        payouts=[
            FilePayout(
                idempotency_key=p.idempotency_key,
                amount=p.amount,
                currency=p.currency,
                paid_at=p.paid_at,
                reference=p.reference,
            )
            for p in state.payouts
        ],
        redress=_redress(state),
        clocks=_clocks(state, closed_at),
    )


def years_after(moment: datetime, years: int) -> datetime:
    """The same day `years` later (28 February for a 29th in a year without one)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def _events(state: CaseState, final: Stage, closed_at: datetime) -> list[FileEvent]:
    """The timeline, ending with the move to the final stage (the case enters it once this file is written)."""
    events = [FileEvent(at=e.at, kind=e.kind, detail=e.detail, actor=e.actor) for e in state.timeline]
    if state.stage is not final:
        events.append(
            FileEvent(at=closed_at, kind="stage", detail=f"{state.stage.value} → {final.value}", actor="system")
        )
    return events


def _stopped(clocks: list[SlaClock], kind: str) -> datetime | None:
    return next((clock.stopped_at for clock in clocks if clock.kind.value == kind), None)


def _decisions(state: CaseState) -> list[FileDecision]:
    rules, decisions = state.rules, []
    for event in state.timeline:
        if event.kind in APPROVER_DECISIONS:
            member = rules.staff_member(event.actor)
            decisions.append(
                FileDecision(
                    at=event.at,
                    decided_by=event.actor,
                    decision=APPROVER_DECISIONS[event.kind],
                    role=member.role if member else None,
                    approval_limit=rules.approval_limit(event.actor) if member else None,
                    detail=event.detail,
                )
            )
        elif event.kind in OTHER_DECISIONS:
            decisions.append(
                FileDecision(
                    at=event.at, decided_by=event.actor, decision=OTHER_DECISIONS[event.kind], detail=event.detail
                )
            )
    return decisions


def _redress(state: CaseState) -> list[FileRedress]:
    """What was paid, item by item: the items of the proposal the payments settled."""
    if not state.payouts or state.proposal is None:
        return []
    paid_at = state.payouts[-1].paid_at
    category = state.complaint.category.value
    return [
        FileRedress(
            kind=item.kind.value,
            amount=item.amount,
            currency=state.proposal.currency,
            category=category,
            paid_at=paid_at,
        )
        for item in state.proposal.items
        if item.amount > 0
    ]


def _clocks(state: CaseState, closed_at: datetime) -> list[FileClock]:
    calendars = state.rules.sla.calendars
    clocks: list[FileClock] = []
    for clock in state.clocks:
        report = clock_status(clock, calendars[clock.calendar], closed_at)
        finished = clock.stopped_at  # a stopped clock is met or breached; a running one can only have breached
        met = None if finished is None and report.status != "breached" else report.status == "met"
        late = max(timedelta(0), -report.remaining) if report.status == "breached" else timedelta(0)
        business = " business" if report.business else ""
        clocks.append(
            FileClock(
                name=clock.kind.value,
                kind="sla",
                target=f"{_duration(report.target)}{business}",
                due_at=report.deadline,
                finished_at=finished,
                met=met,
                late_seconds=int(late.total_seconds()),
            )
        )
    for deadline in state.regulatory_deadlines:
        clocks.append(_regulatory(deadline, state.resolved_at))
    return clocks


def _regulatory(deadline: RegulatoryDeadline, finished: datetime | None) -> FileClock:
    """A regulator's deadline is met when the case was resolved (its final response sent) by then;
    a case never resolved (withdrawn first) did not finish it."""
    met = None if finished is None else finished <= deadline.due
    late = int(max(timedelta(0), finished - deadline.due).total_seconds()) if finished else 0
    return FileClock(
        name=f"regulatory:{deadline.name}",
        kind="regulatory",
        target=deadline.description or deadline.action.value,
        due_at=deadline.due,
        finished_at=finished,
        met=met,
        late_seconds=late,
        source=deadline.source,
    )


def _duration(span: timedelta) -> str:
    hours = int(span.total_seconds() // 3600)
    if hours and hours % 24 == 0:
        return f"{hours // 24} days"
    return f"{hours} hours" if hours else f"{int(span.total_seconds() // 60)} minutes"
