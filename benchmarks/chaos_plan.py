"""What the chaos benchmark asks of each complaint: its journey, the staff and customer actions that
take it there, and what it must end with (what is paid, in how many ledger rows, how many answers).

Every complaint has its own customer, claims a refund and gets findings of severity 1 with no
inconvenience, so the policy proposes exactly the loss (no goodwill, no uplift): the amount each
journey must pay is known here without running the policy.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from complaints.actions import Amendment, Approval, Feedback, Findings, OfferAnswer, OfferResponse, Reopen
from complaints.case import Stage
from complaints.intake import ComplaintInput
from complaints.rules import read_rules_document

ROOT = Path(__file__).resolve().parent.parent
DEMO_RULES = ROOT / "config" / "demo.toml"

# Short enough that a silent customer's offer lapses, the reopen window closes and an unanswered
# survey expires within minutes; long enough that the benchmark's staff and customers answer in time.
TIMINGS = {
    "investigation": "PT30M",
    "investigation_reminder_before": "PT10M",
    "approval": "PT90S",  # the two-level journey waits for this deadline: escalation to the manager
    "approval_reminder_before": "PT30S",
    "offer": "PT2M",  # the silent customer's offer lapses after this
    "offer_reminder_before": "PT1M",
    "follow_up_after": "PT20S",
    "reopen_window": "PT90S",
    "survey_reminder_after": "PT1M",
    "survey_expires_after": "PT2M",
    "progress_update_every": "PT6H",
    "survey_fatigue_window": "P90D",
}
AUTO_APPROVE_UP_TO = Decimal("50")  # demo rules: compensation.auto_approve_up_to


def _toml(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {_toml(item)}" for key, item in value.items()) + " }"
    raise TypeError(f"cannot write {value!r} as TOML")


def write_rules(
    data_dir: Path,
    timings: dict[str, str] = TIMINGS,
    version: str = "chaos-bench",
    name: str = "chaos-rules.toml",
    sla: dict[str, Any] | None = None,
) -> Path:
    """The demo rules with `timings` (and `sla`, a whole table, if given) and monthly budgets no run
    can exhaust (a budget cut would change the amounts); written into the data directory for the
    worker to load."""
    compensation = dict(read_rules_document(DEMO_RULES)["compensation"])
    compensation["monthly_budget"] = {category: 100_000_000 for category in compensation["monthly_budget"]}
    lines = [f"extends = {json.dumps(str(DEMO_RULES))}", f"version = {json.dumps(version)}"]
    if sla is not None:
        lines += [f"sla = {_toml(sla)}"]
    lines += ["", "[timings]"]
    lines += [f"{key} = {_toml(value)}" for key, value in timings.items()]
    lines += ["", "[compensation]"]
    lines += [f"{key} = {_toml(value)}" for key, value in compensation.items()]
    path = data_dir / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class Journey(StrEnum):
    AUTO = "auto-approved"
    TWO_LEVELS = "approved by two levels"
    DECLINED = "declined"
    COUNTERED = "countered"
    SILENT = "silent customer"
    REOPENED = "reopened"


ESCALATED = frozenset({"manager", "director"})  # past the team lead: escalated at least once
OFFER_OPEN = frozenset({Stage.AWAITING_CUSTOMER.value, Stage.FOLLOWING_UP.value})  # FollowingUp: a lapsed offer


@dataclass(frozen=True)
class Step:
    """Actions sent when the case shows one of `stages` (and one of the approval `levels`); several are sent at
    once, each a different answer to the same question: exactly one may be taken."""

    name: str
    stages: frozenset[str]
    actions: tuple[BaseModel, ...]
    levels: frozenset[str] | None = None  # the approval levels the case may be asking at
    optional: bool = False  # refused for good (a window closed): the journey carries on without it


@dataclass
class Plan:
    number: int
    complaint_id: str
    journey: Journey
    loss: Decimal
    second_loss: Decimal = Decimal("0")
    counter: Decimal = Decimal("0")
    amend: Decimal = Decimal("0")
    conflict: bool = False
    # filled in by the driver
    taken: dict[str, str] = field(default_factory=dict)  # step -> the update name the case took
    skipped: list[str] = field(default_factory=list)  # optional steps refused for good

    @property
    def email(self) -> str:
        return f"{self.complaint_id.lower()}@customers.example"

    def complaint(self) -> ComplaintInput:
        return ComplaintInput.model_validate(
            {
                "id": self.complaint_id,
                "customer": {"id": f"cust-{self.complaint_id}", "name": f"Customer {self.number}", "email": self.email},
                "category": ("billing", "delivery", "service")[self.number % 3],
                "priority": "low",
                "description": f"Chaos benchmark complaint {self.number}: {self.journey.value}.",
                "desired_remedy": "refund",
                "claimed_amount": str(self.loss),
            }
        )

    def findings(self, loss: Decimal, round_: int) -> Findings:
        return Findings(
            submitted_by="sam",
            summary=f"round {round_}: charged {loss} too much",
            root_cause="benchmark",
            root_cause_code="billing.duplicate-charge",
            severity=1,
            financial_loss=loss,
        )

    def steps(self) -> list[Step]:
        investigating = frozenset({Stage.INVESTIGATING.value})
        approval = frozenset({Stage.AWAITING_APPROVAL.value})
        feedback = Step("feedback", frozenset({Stage.AWAITING_FEEDBACK.value}), (Feedback(csat=4),), optional=True)
        first = Step("findings-1", investigating, (self.findings(self.loss, 1),))
        accept = OfferResponse(answer=OfferAnswer.ACCEPT)
        match self.journey:
            case Journey.AUTO:
                answers: tuple[BaseModel, ...] = (accept,)
                if self.conflict:
                    answers += (OfferResponse(answer=OfferAnswer.COUNTER, counter_amount=self.counter),)
                return [first, Step("offer-1", OFFER_OPEN, answers), feedback]
            case Journey.TWO_LEVELS:
                decisions: tuple[BaseModel, ...] = (Approval(approver_id="mgr-dana", comment="after escalation"),)
                if self.conflict:
                    decisions += (Amendment(approver_id="dir-rowan", amount=self.amend, reason="conflicting"),)
                return [
                    first,
                    Step("approval", approval, decisions, levels=ESCALATED),
                    Step("offer-1", OFFER_OPEN, (accept,)),
                    feedback,
                ]
            case Journey.DECLINED:
                decline = OfferResponse(answer=OfferAnswer.DECLINE, reason="not enough")
                second = Step("findings-2", investigating, (self.findings(self.second_loss, 2),))
                return [
                    first,
                    Step("offer-1", OFFER_OPEN, (decline,)),
                    second,
                    Step("offer-2", OFFER_OPEN, (accept,)),
                    feedback,
                ]
            case Journey.COUNTERED:
                counter = OfferResponse(answer=OfferAnswer.COUNTER, counter_amount=self.counter, reason="I want more")
                steps = [first, Step("offer-1", OFFER_OPEN, (counter,))]
                if self.counter > AUTO_APPROVE_UP_TO:
                    steps.append(Step("approval", approval, (Approval(approver_id="tl-jordan"),)))
                return [*steps, feedback]
            case Journey.SILENT:
                return [first]
            case Journey.REOPENED:
                reopen = Step(
                    "reopen", frozenset({Stage.FOLLOWING_UP.value}), (Reopen(reason="still wrong"),), optional=True
                )
                second = Step("findings-2", investigating, (self.findings(self.second_loss, 2),))
                return [
                    first,
                    Step("offer-1", OFFER_OPEN, (accept,)),
                    reopen,
                    second,
                    Step("offer-2", OFFER_OPEN, (accept,)),
                    feedback,
                ]

    # -- what the case must end with -----------------------------------------------------------------

    @property
    def reopened(self) -> bool:
        """False when the reopen came too late (the window had closed): the case ends as an auto one."""
        return self.journey is Journey.REOPENED and "reopen" not in self.skipped

    def expected_total(self) -> Decimal:
        """What the ledger must hold for this case, given which conflicting answer was taken."""
        if self.journey is Journey.REOPENED and not self.reopened:
            return self.loss
        match self.journey:
            case Journey.AUTO:
                return self.counter if self.taken.get("offer-1") == "counter" else self.loss
            case Journey.TWO_LEVELS:
                return self.amend if self.taken.get("approval") == "amend" else self.loss
            case Journey.DECLINED | Journey.REOPENED:
                return self.second_loss
            case Journey.COUNTERED:
                return self.counter
            case Journey.SILENT:
                return Decimal("0")

    def expected_rows(self) -> int:
        return {Journey.SILENT: 0, Journey.REOPENED: 2 if self.reopened else 1}.get(self.journey, 1)

    def questions(self) -> dict[str, int]:
        """How many questions of each kind the case asks, so how many answers its history may take."""
        rounds = 2 if self.journey is Journey.DECLINED or self.reopened else 1
        approvals = (
            1
            if self.journey is Journey.TWO_LEVELS
            or (self.journey is Journey.COUNTERED and self.counter > AUTO_APPROVE_UP_TO)
            else 0
        )
        offers = 0 if self.journey is Journey.SILENT else rounds
        return {"findings": rounds, "approval": approvals, "offer": offers, "feedback": 1}


JOURNEYS = list(Journey)


def make_plans(count: int, run_tag: str, conflict_fraction: float, seed: int) -> list[Plan]:
    """`count` complaints spread evenly over the journeys, amounts drawn from a seeded generator."""
    rng = random.Random(seed)

    def money(low: int, high: int) -> Decimal:
        return Decimal(rng.randint(low * 100, high * 100)) / 100

    plans = []
    for number in range(count):
        journey = JOURNEYS[number % len(JOURNEYS)]
        plan = Plan(number, f"CH-{run_tag}-{number:04d}", journey, loss=money(20, 45))
        if journey is Journey.AUTO:
            plan.conflict = rng.random() < conflict_fraction
            plan.counter = plan.loss - Decimal("5")
        elif journey is Journey.TWO_LEVELS:
            plan.loss = money(150, 450)  # team lead's level, not the owner's: asked, unanswered, escalated
            plan.conflict = rng.random() < conflict_fraction
            plan.amend = plan.loss + Decimal("25")
        elif journey in (Journey.DECLINED, Journey.REOPENED):
            plan.second_loss = plan.loss + money(1, 5)
        elif journey is Journey.COUNTERED:  # half within auto-approval, half needing a team lead
            plan.counter = plan.loss + Decimal("4") if number % 2 else money(120, 300)
        plans.append(plan)
    return plans
