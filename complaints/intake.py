"""What a complaint looks like when it enters the system.

Validation lives here so that every entry point (CLI, HTTP intake, client library)
refuses the same bad input with the same message.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

from complaints.dates import as_utc
from complaints.fields import (
    Email,
    FreeText,
    IanaZone,
    Label,
    Money,
    NonEmptyText,
    SingleLine,
    single_line,
)
from complaints.remedies import RemedyKind

WORKFLOW_ID_PREFIX = "complaint-"


def _not_prefixed(value: str) -> str:
    """`C-1` and `complaint-C-1` would be one workflow: keep the prefix ours alone."""
    if value.lower().startswith(WORKFLOW_ID_PREFIX):
        raise ValueError(f"must not start with {WORKFLOW_ID_PREFIX!r} (the system adds it to the workflow id)")
    return value


ComplaintId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"),
    AfterValidator(_not_prefixed),
]


def _not_a_workflow_prefix(value: str) -> str:
    """`incident-1` and `1` would be one incident, and `complaint-…` would name its cases badly."""
    for prefix in (WORKFLOW_ID_PREFIX, "incident-"):
        if value.lower().startswith(prefix):
            raise ValueError(f"must not start with {prefix!r} (the system adds prefixes to workflow ids)")
    return value


# An incident's id (`INC-2026-11-outage`): no dots, so `<incident>.<customer>` names one case.
IncidentId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"),
    AfterValidator(_not_a_workflow_prefix),
]
# A regulatory profile's name (`uk-fca-disp`) and a product (`payment_services`, matched
# case-insensitively against a regulatory rule's products).
ProfileName = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
ProductName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=64),
    AfterValidator(single_line),
]


def _a_real_instant(value: datetime) -> datetime:
    """`9999-12-31T23:00-05:00` is past the end of the calendar in UTC, where every deadline is computed."""
    try:
        as_utc(value, "received_at")
    except OverflowError as exc:
        raise ValueError("is outside the calendar once converted to UTC") from exc
    return value


ReceivedAt = Annotated[AwareDatetime, AfterValidator(_a_real_instant)]


DESIRABLE_REMEDIES = (RemedyKind.REFUND, RemedyKind.REPLACEMENT, RemedyKind.ACCOUNT_CREDIT, RemedyKind.DISCOUNT)


def _desirable(value: RemedyKind) -> RemedyKind:
    if value not in DESIRABLE_REMEDIES:
        raise ValueError(f"must be one of {', '.join(kind.value for kind in DESIRABLE_REMEDIES)}")
    return value


DesiredRemedy = Annotated[RemedyKind, AfterValidator(_desirable)]


class Category(StrEnum):
    BILLING = "billing"
    DELIVERY = "delivery"
    PRODUCT = "product"
    SERVICE = "service"
    OTHER = "other"


class Priority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"

    @property
    def urgency(self) -> int:
        """Higher is more urgent: a priority may only be raised."""
        return ("low", "normal", "high", "urgent").index(self.value)


class CustomerTier(StrEnum):
    """The customer's value tier, as the CRM knows it; the policy may add goodwill for it."""

    STANDARD = "standard"
    SILVER = "silver"
    GOLD = "gold"
    PLATINUM = "platinum"


class ContactChannel(StrEnum):
    """How the customer wants to hear from us. Post and phone: the case owner delivers
    each message (they receive it by e-mail, marked with the channel)."""

    EMAIL = "email"
    POST = "post"
    PHONE = "phone"


class Customer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: SingleLine
    name: SingleLine
    email: Email
    language: Label = "en"
    timezone: IanaZone = Field(default="UTC", description="IANA time zone the customer reads times in.")
    since: date | None = Field(default=None, description="Customer since (for tenure).")
    tier: CustomerTier = CustomerTier.STANDARD
    preferred_channel: ContactChannel = Field(
        default=ContactChannel.EMAIL, description="How they want to hear from us."
    )


class ComplaintInput(BaseModel):
    """One complaint as submitted by operations or another system."""

    model_config = ConfigDict(extra="forbid")

    id: ComplaintId
    customer: Customer
    category: Category
    priority: Priority | None = Field(
        default=None,
        description="urgent, high, normal or low; when left out, the rules' [[sla.derive_priority]] decide "
        "(from the category, and the severity once the findings are in), else normal.",
    )
    description: NonEmptyText = Field(description="The complaint in the customer's own words.")
    desired_outcome: FreeText | None = Field(default=None, description="What the customer wants, in their words.")
    desired_remedy: DesiredRemedy | None = Field(
        default=None, description="The remedy the customer asked for, honoured where the policy allows."
    )
    claimed_amount: Money | None = None
    received_at: ReceivedAt | None = None
    channel: Label = "email"
    regulatory_profile: ProfileName | None = Field(
        default=None,
        description="The regulator's complaint-handling rules the case runs under (a profile of the rules' [sla] "
        "table, e.g. uk-fca-disp, us-cfpb, internal); by default the rules' default_profile.",
    )
    product: ProductName | None = Field(
        default=None,
        description="The product complained about, e.g. payment_services: some regulatory deadlines apply to "
        "certain products only.",
    )
    incident_id: IncidentId | None = Field(
        default=None,
        description="The incident this complaint is about, when the customer or the CRM names one: the case "
        "joins it (one case per customer and incident).",
    )

    @property
    def workflow_id(self) -> str:
        return workflow_id_for(self.id)


def workflow_id_for(complaint_id: str) -> str:
    """`complaint-<id>`: readable in the Web UI and the dedupe key for starts."""
    if complaint_id.startswith(WORKFLOW_ID_PREFIX):
        return complaint_id
    return f"{WORKFLOW_ID_PREFIX}{complaint_id}"


class InvalidInput(ValueError):
    """Input refused before anything started; the message names the field and reason.

    `errors` holds the same problems in pydantic's shape (`loc`, `msg`), for callers that list
    them field by field (the HTTP API's 422).
    """

    def __init__(self, message: str, errors: Iterable[Mapping[str, Any]] = ()) -> None:
        super().__init__(message)
        self.errors = [dict(error) for error in errors]


def describe_validation_error(error: ValidationError, prefix: str = "") -> str:
    return "\n".join(describe_problems(error.errors(), prefix))


def describe_problems(problems: Iterable[Mapping[str, Any]], prefix: str = "") -> list[str]:
    """`customer.email: value is not a valid email address: …`, one line per problem.

    Takes pydantic's error dicts (also what FastAPI reports), so every entry point words
    the same bad field the same way.
    """
    lines = []
    for problem in problems:
        location = ".".join(str(part) for part in problem["loc"]) or "(input)"
        lines.append(f"{prefix}{location}: {problem['msg']}")
    return lines


_complaint_list = TypeAdapter(list[ComplaintInput])


def parse_complaints(text: str) -> list[ComplaintInput]:
    """Parse one complaint (a JSON object) or many (a JSON list); all or nothing."""
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"input: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    if isinstance(data, dict):
        try:
            return [ComplaintInput.model_validate(data)]
        except ValidationError as exc:
            raise InvalidInput(describe_validation_error(exc), exc.errors()) from exc
    if isinstance(data, list):
        if not data:
            raise InvalidInput("input: the list of complaints is empty")
        try:
            complaints = _complaint_list.validate_python(data)
        except ValidationError as exc:
            raise InvalidInput(describe_validation_error(exc, prefix="complaint "), exc.errors()) from exc
        seen: set[str] = set()
        for complaint in complaints:
            if complaint.id in seen:
                raise InvalidInput(f"id: complaint {complaint.id!r} appears twice in the input")
            seen.add(complaint.id)
        return complaints
    raise InvalidInput("input: expected a JSON object (one complaint) or a list of them")
