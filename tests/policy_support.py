"""Calling the pure policy the way the workflow does, with a plain billing complaint by default."""

from __future__ import annotations

from datetime import date

from complaints.actions import Findings
from complaints.intake import ComplaintInput
from complaints.policy import propose_remedy
from complaints.remedies import Proposal
from complaints.rules import CaseRules
from complaints.standing import CustomerStanding

CASE_DATE = date(2026, 11, 20)


def complaint(**overrides: object) -> ComplaintInput:
    customer: dict[str, object] = {"id": "cust-42", "name": "Ada Lovelace", "email": "ada@example.com"}
    customer.update(overrides.pop("customer", {}))  # type: ignore[call-overload]
    fields: dict[str, object] = {
        "id": "C-1",
        "customer": customer,
        "category": "billing",
        "description": "I was charged twice for my November invoice.",
    }
    fields.update(overrides)
    return ComplaintInput.model_validate(fields)


def propose(
    found: Findings,
    rules: CaseRules,
    case: ComplaintInput | None = None,
    standing: CustomerStanding | None = None,
    version: int = 1,
) -> Proposal:
    return propose_remedy(found, case or complaint(), rules, version, standing=standing, as_of=CASE_DATE)
