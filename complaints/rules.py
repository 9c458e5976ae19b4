"""The business rules a case runs under: staff, approval limits, routing, timings.

Read from a TOML file by an activity when a case starts and then pinned in the case's
state, so editing the file never changes the rules of a case already running.
"""

from __future__ import annotations

import re
import tomllib
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from complaints.compensation import CompensationTable
from complaints.intake import Category
from complaints.sla import SlaConfig


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Role(_Config):
    name: str
    approval_limit: Decimal = Field(ge=0)


class StaffMember(_Config):
    id: str
    name: str
    email: EmailStr
    role: str
    phone: str = ""
    away: bool = False
    delegate: str | None = None  # acts with this member's authority while they are away


class Route(_Config):
    """Who owns complaints of a category and which department investigates them."""

    owner: str
    department: str
    department_email: EmailStr
    escalate_to: str


class Timings(_Config):
    investigation: timedelta = timedelta(days=5)
    investigation_reminder_before: timedelta = timedelta(days=1)
    approval: timedelta = timedelta(days=2)
    approval_reminder_before: timedelta = timedelta(hours=12)
    offer: timedelta = timedelta(days=10)
    offer_reminder_before: timedelta = timedelta(days=3)
    follow_up_after: timedelta = timedelta(days=7)
    reopen_window: timedelta = timedelta(days=14)
    survey_reminder_after: timedelta = timedelta(days=3)
    survey_expires_after: timedelta = timedelta(days=7)
    progress_update_every: timedelta = timedelta(days=3)
    # survey fatigue: no survey invitation if another case invited the customer this recently
    survey_fatigue_window: timedelta = timedelta(days=90)


ROOT_CAUSE_CODE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*$")
"""`group.cause`, e.g. `billing.duplicate-charge`: reports group by the part before the dot."""


def root_cause_group(code: str) -> str:
    return code.split(".", 1)[0]


class CaseRules(_Config):
    version: str
    roles: tuple[Role, ...]
    staff: tuple[StaffMember, ...]
    routing: dict[Category, Route]
    timings: Timings = Timings()
    compensation: CompensationTable = CompensationTable()
    # SLA clocks, business calendars and regulatory profiles; rules (and histories) from
    # before them get the default: UK office hours, no regulator.
    sla: SlaConfig = SlaConfig.default()
    continue_as_new_after_events: int = Field(default=5000, ge=50)
    # The controlled vocabulary findings name their root cause from: code -> description. Empty (rules
    # from before it): findings need no code. `recurring_within`: a case is recurring when another case
    # with the same code for the same product came in this long before it.
    root_causes: dict[str, str] = {}
    recurring_within: timedelta = timedelta(days=90)

    @model_validator(mode="after")
    def _references_resolve(self) -> CaseRules:
        role_names = {role.name for role in self.roles}
        staff_ids = {member.id for member in self.staff}
        for member in self.staff:
            if member.role not in role_names:
                raise ValueError(f"staff {member.id}: unknown role {member.role!r}")
            if member.delegate is not None and (member.delegate not in staff_ids or member.delegate == member.id):
                raise ValueError(f"staff {member.id}: delegate {member.delegate!r} is not another staff member")
        for category in Category:
            if category not in self.routing:
                raise ValueError(f"routing: no route for category {category.value!r}")
        for code, description in self.root_causes.items():
            if not ROOT_CAUSE_CODE.match(code):
                raise ValueError(f"root_causes: {code!r} is not a code like billing.duplicate-charge (group.cause)")
            if not description.strip():
                raise ValueError(f"root_causes.{code}: give it a description")
        approver = self.compensation.over_limit_approver
        if approver is not None and approver not in role_names:
            raise ValueError(f"compensation.over_limit_approver: unknown role {approver!r}")
        for category, route in self.routing.items():
            for field in ("owner", "escalate_to"):
                if getattr(route, field) not in staff_ids:
                    raise ValueError(f"routing.{category.value}.{field}: unknown staff id {getattr(route, field)!r}")
        return self

    # -- pure look-ups used by the workflow and its validators --------------------------

    def staff_member(self, staff_id: str) -> StaffMember | None:
        return next((member for member in self.staff if member.id == staff_id), None)

    def role(self, name: str) -> Role:
        return next(role for role in self.roles if role.name == name)

    def approval_limit(self, staff_id: str) -> Decimal:
        """Own role's limit, or that of anyone away who delegated to this member, if higher."""
        member = self.staff_member(staff_id)
        if member is None:
            return Decimal("-1")
        covering = [m for m in self.staff if m.away and m.delegate == staff_id]
        return max(self.role(m.role).approval_limit for m in [member, *covering])

    def level_needed(self, amount: Decimal) -> Role:
        """The lowest role whose limit covers the amount (the top role if none does)."""
        for role in sorted(self.roles, key=lambda r: r.approval_limit):
            if role.approval_limit >= amount:
                return role
        return self.top_role()

    def top_role(self) -> Role:
        return max(self.roles, key=lambda r: r.approval_limit)

    def next_level(self, role_name: str) -> Role | None:
        ordered = sorted(self.roles, key=lambda r: r.approval_limit)
        names = [role.name for role in ordered]
        index = names.index(role_name)
        return ordered[index + 1] if index + 1 < len(ordered) else None

    def approvers_at(self, role_name: str) -> list[StaffMember]:
        """Everyone whose limit is at least that of the role (they may all approve)."""
        floor = self.role(role_name).approval_limit
        return [member for member in self.staff if self.approval_limit(member.id) >= floor]

    def asked_to_approve(self, role_name: str) -> list[StaffMember]:
        """Whom an approval request goes to: the staff of that role (their delegate while
        they are away), else anyone above it."""
        asked: list[StaffMember] = []
        for member in self.staff:
            if member.role != role_name:
                continue
            stand_in = self.staff_member(member.delegate) if member.away and member.delegate else None
            chosen = stand_in or member
            if chosen not in asked:
                asked.append(chosen)
        return asked or self.approvers_at(role_name)


def read_rules_document(path: Path, files: list[Path] | None = None) -> dict[str, Any]:
    """The TOML document, with `extends = "other.toml"` resolved: this file's tables win whole.
    Each file read is appended to `files`, if given."""
    with path.open("rb") as handle:
        document = tomllib.load(handle)
    if files is not None:
        files.append(path)
    base_name = document.pop("extends", None)
    if base_name is None:
        return document
    return {**read_rules_document(path.parent / str(base_name), files), **document}


def load_rules(path: Path, files: list[Path] | None = None) -> CaseRules:
    return CaseRules.model_validate(read_rules_document(path, files))
