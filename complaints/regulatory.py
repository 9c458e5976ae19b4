"""Regulatory profiles: the complaint-handling deadlines a regulator sets, as data.

A profile names its source (e.g. FCA Handbook DISP 1.6) so that anyone reading a deadline
can check it against the rule. `regulatory_deadlines` is pure: the workflow computes the
deadlines of a case from its receipt time and pinned rules, inside the sandbox.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from complaints.calendar import BusinessCalendar
from complaints.dates import as_utc
from complaints.intake import ProfileName
from complaints.return_forms import ReturnMapping


class RuleKind(StrEnum):
    SUMMARY_RESOLUTION = "summary_resolution"  # resolved quickly: a lighter written response is enough
    INITIAL_RESPONSE = "initial_response"  # a first substantive response (CFPB: 15 days)
    HOLDING_RESPONSE = "holding_response"  # not resolved yet: say why, when, and the referral rights
    FINAL_RESPONSE = "final_response"


class PeriodUnit(StrEnum):
    BUSINESS_DAYS = "business_days"  # to close of business on the Nth business day after receipt
    CALENDAR_DAYS = "calendar_days"  # the exact instant N x 24 h after receipt
    WEEKS = "weeks"  # the exact instant N weeks after receipt


class RegulatoryAction(StrEnum):
    """What the workflow does when the deadline arrives."""

    SUMMARY_RESOLUTION_DUE = "summary_resolution_due"  # past it, the full procedure applies
    RESPONSE_DUE = "response_due"  # the customer must have had a response
    HOLDING_RESPONSE = "holding_response"  # send a holding response with the referral rights
    FINAL_RESPONSE_DUE = "final_response_due"  # the final response must have been sent


def _products(value: tuple[str, ...] | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(product.strip().lower() for product in value)


class RegulatoryRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: RuleKind
    period: int = Field(gt=0)
    unit: PeriodUnit
    action: RegulatoryAction
    # The products the rule is for (None: all), and products it does not cover (they have a
    # rule of their own, e.g. payment services under DISP 1.6.2AR instead of the 8 weeks).
    applies_to_products: tuple[str, ...] | None = None
    except_products: tuple[str, ...] = ()
    # Exceptionally, a longer period, reached by sending a holding reply at `period`.
    exceptional_period: int | None = Field(default=None, gt=0)
    exceptional_action: RegulatoryAction = RegulatoryAction.FINAL_RESPONSE_DUE
    referral_right: str | None = None  # e.g. "Financial Ombudsman Service within 6 months"
    source: str | None = None  # the paragraph, when more precise than the profile's source
    description: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> RegulatoryRule:
        if self.exceptional_period is not None and self.exceptional_period <= self.period:
            longer = self.exceptional_period
            raise ValueError(f"exceptional_period ({longer}) must be longer than period ({self.period})")
        if self.applies_to_products is not None and not self.applies_to_products:
            raise ValueError("applies_to_products: give at least one product, or leave it out for all products")
        return self

    def covers(self, product: str | None) -> bool:
        """Does the rule apply to a complaint about this product (None: not known)?"""
        wanted = None if product is None else product.strip().lower()
        if wanted is not None and wanted in (_products(self.except_products) or ()):
            return False
        allowed = _products(self.applies_to_products)
        return allowed is None or (wanted is not None and wanted in allowed)

    def due(self, received_at: datetime, calendar: BusinessCalendar, period: int | None = None) -> datetime:
        """When the period (or another length in the same unit) ends, in UTC."""
        length = self.period if period is None else period
        match self.unit:
            case PeriodUnit.BUSINESS_DAYS:
                return calendar.add_business_days(received_at, length)
            case PeriodUnit.CALENDAR_DAYS:
                return as_utc(received_at, "received_at") + timedelta(days=length)
            case PeriodUnit.WEEKS:
                return as_utc(received_at, "received_at") + timedelta(weeks=length)


class RegulatoryProfile(BaseModel):
    """A regulator's deadlines for one jurisdiction; `internal` has none (only the SLA policy)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: ProfileName
    source: str
    jurisdiction: str
    calendar: str | None = None  # whose business days count (None: the case's calendar)
    rules: tuple[RegulatoryRule, ...] = ()
    # How long a closed case's file is kept (FCA DISP 1.9.2R: at least three years for most complaints)
    retain_records_years: int = Field(default=3, ge=1, le=100)
    # The complaints return the regulator asks for, and how our products and root causes map onto
    # it (`complaints report regulator`); None: the profile files no return.
    regulator_return: ReturnMapping | None = None


class RegulatoryDeadline(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str  # e.g. "final_response" or "final_response (exceptional)"
    kind: RuleKind
    due: datetime
    action: RegulatoryAction
    description: str
    referral_right: str | None = None
    source: str


def _period_text(period: int, unit: PeriodUnit) -> str:
    return f"{period} {unit.value.replace('_', ' ')}" if period != 1 else f"1 {unit.value.replace('_', ' ')[:-1]}"


def regulatory_deadlines(
    profile: RegulatoryProfile, received_at: datetime, calendar: BusinessCalendar, product: str | None = None
) -> list[RegulatoryDeadline]:
    """The deadlines of a complaint received at `received_at`, soonest first.

    `calendar` counts business days; pass the profile's own calendar when it names one.
    """
    deadlines: list[RegulatoryDeadline] = []
    for rule in profile.rules:
        if not rule.covers(product):
            continue
        source = rule.source or profile.source
        what = rule.kind.value.replace("_", " ")
        description = rule.description or f"{what} within {_period_text(rule.period, rule.unit)}"
        deadlines.append(
            RegulatoryDeadline(
                name=rule.kind.value,
                kind=rule.kind,
                due=rule.due(received_at, calendar),
                action=rule.action,
                description=description,
                referral_right=rule.referral_right,
                source=source,
            )
        )
        if rule.exceptional_period is not None:
            deadlines.append(
                RegulatoryDeadline(
                    name=f"{rule.kind.value} (exceptional)",
                    kind=rule.kind,
                    due=rule.due(received_at, calendar, rule.exceptional_period),
                    action=rule.exceptional_action,
                    description=(
                        f"exceptionally, after a holding reply at {_period_text(rule.period, rule.unit)}: "
                        f"{rule.kind.value.replace('_', ' ')} within {_period_text(rule.exceptional_period, rule.unit)}"
                    ),
                    referral_right=rule.referral_right,
                    source=source,
                )
            )
    return sorted(deadlines, key=lambda deadline: (deadline.due, deadline.name))
