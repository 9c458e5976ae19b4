"""Intake: parsing complaints from JSON, all or nothing, with messages that name the field."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from complaints.intake import Category, InvalidInput, Priority, parse_complaints, workflow_id_for

DELETE = object()


def complaint(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": "C-1",
        "customer": {"id": "cust-42", "name": "Ada Lovelace", "email": "ada@example.com"},
        "category": "billing",
        "priority": "high",
        "description": "I was charged twice for my November invoice.",
        "claimed_amount": "89.90",
    }
    fields.update(overrides)
    return fields


def refusal(text: str) -> str:
    with pytest.raises(InvalidInput) as error:
        parse_complaints(text)
    return str(error.value)


def test_one_object_is_one_complaint() -> None:
    (parsed,) = parse_complaints(json.dumps(complaint(received_at="2026-11-20T09:30:00+01:00")))

    assert parsed.id == "C-1"
    assert parsed.customer.email == "ada@example.com"
    assert parsed.customer.language == "en"
    assert parsed.category is Category.BILLING
    assert parsed.priority is Priority.HIGH
    assert parsed.claimed_amount == Decimal("89.90")
    assert parsed.received_at == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    assert parsed.received_at.utcoffset() == timedelta(hours=1)
    assert parsed.channel == "email"
    assert parsed.workflow_id == "complaint-C-1"


def test_defaults_when_optional_fields_are_left_out() -> None:
    data = complaint()
    del data["priority"], data["claimed_amount"]

    (parsed,) = parse_complaints(json.dumps(data))

    assert parsed.priority is None  # the rules derive it in the workflow (normal unless they say more)
    assert parsed.claimed_amount is None
    assert parsed.received_at is None
    assert parsed.desired_outcome is None
    assert (parsed.regulatory_profile, parsed.product) == (None, None)


def test_regulatory_profile_and_product_are_kept_and_the_product_normalised() -> None:
    (parsed,) = parse_complaints(
        json.dumps(complaint(regulatory_profile=" uk-fca-disp ", product=" Payment_Services "))
    )

    assert (parsed.regulatory_profile, parsed.product) == ("uk-fca-disp", "payment_services")


def test_a_list_keeps_its_order() -> None:
    parsed = parse_complaints(json.dumps([complaint(id="C-2"), complaint(id="C-1"), complaint(id="C-3")]))

    assert [item.id for item in parsed] == ["C-2", "C-1", "C-3"]


def test_id_whitespace_is_stripped() -> None:
    assert parse_complaints(json.dumps(complaint(id="  C-7 ")))[0].id == "C-7"


def test_an_empty_list_is_refused() -> None:
    assert refusal("[]") == "input: the list of complaints is empty"


@pytest.mark.parametrize("second_id", ["C-1", " C-1 "])
def test_duplicate_ids_are_refused(second_id: str) -> None:
    text = json.dumps([complaint(id="C-1"), complaint(id="C-2"), complaint(id=second_id)])

    assert refusal(text) == "id: complaint 'C-1' appears twice in the input"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{\n  "id": "C-1",\n  oops\n}', "input: malformed JSON at line 3 column 3: "),
        ('[{"id": "C-1"},\n {"id": 2,,}]', "input: malformed JSON at line 2 column 11: "),
        ("", "input: malformed JSON at line 1 column 1: Expecting value"),
        ("{'id': 'C-1'}", "input: malformed JSON at line 1 column 2: "),
    ],
    ids=["line-3", "line-2", "empty", "single-quotes"],
)
def test_malformed_json_names_line_and_column(text: str, message: str) -> None:
    assert refusal(text).startswith(message)


@pytest.mark.parametrize("text", ['"C-1"', "42", "null", "true", "3.5"])
def test_json_that_is_neither_object_nor_list_is_refused(text: str) -> None:
    assert refusal(text) == "input: expected a JSON object (one complaint) or a list of them"


def test_a_list_of_non_objects_names_the_position() -> None:
    assert refusal(json.dumps([complaint(), "C-2"])).startswith("complaint 1: Input should be a valid dictionary")


def _set(path: tuple[str, ...], value: object) -> dict[str, Any]:
    data = copy.deepcopy(complaint())
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


BAD_FIELDS: list[tuple[str, tuple[str, ...], object, str]] = [
    ("missing-email", ("customer", "email"), DELETE, "customer.email: Field required"),
    ("malformed-email", ("customer", "email"), "ada.example.com", "customer.email: value is not a valid email"),
    ("missing-customer", ("customer",), DELETE, "customer: Field required"),
    ("blank-customer-name", ("customer", "name"), "   ", "customer.name: String should have at least 1 character"),
    ("negative-amount", ("claimed_amount",), "-0.01", "claimed_amount: Input should be greater than or equal to 0"),
    (
        "three-decimals",
        ("claimed_amount",),
        "12.345",
        "claimed_amount: Decimal input should have no more than 2 decimal",
    ),
    ("float-three-decimals", ("claimed_amount",), 1.005, "claimed_amount: Decimal input should have no more than 2"),
    ("not-a-number", ("claimed_amount",), "lots", "claimed_amount: Input should be a valid decimal"),
    ("infinite-amount", ("claimed_amount",), "Infinity", "claimed_amount: Input should be a finite number"),
    ("unknown-priority", ("priority",), "asap", "priority: Input should be 'urgent', 'high', 'normal' or 'low'"),
    ("unknown-category", ("category",), "refunds", "category: Input should be 'billing', 'delivery'"),
    ("missing-category", ("category",), DELETE, "category: Field required"),
    ("blank-description", ("description",), "", "description: String should have at least 1 character"),
    ("unknown-field", ("urgency",), "high", "urgency: Extra inputs are not permitted"),
    ("unknown-customer-field", ("customer", "phone"), "123", "customer.phone: Extra inputs are not permitted"),
    ("naive-received-at", ("received_at",), "2026-11-20T09:30:00", "received_at: Input should have timezone info"),
    ("garbage-received-at", ("received_at",), "yesterday", "received_at: Input should be a valid datetime"),
    ("space-in-id", ("id",), "C 1", "id: String should match pattern"),
    ("slash-in-id", ("id",), "C/1", "id: String should match pattern"),
    ("leading-dash-id", ("id",), "-C1", "id: String should match pattern"),
    ("id-too-long", ("id",), "C" * 65, "id: String should match pattern"),
    ("empty-id", ("id",), "", "id: String should match pattern"),
    ("numeric-id", ("id",), 1001, "id: Input should be a valid string"),
    ("profile-with-spaces", ("regulatory_profile",), "UK FCA", "regulatory_profile: String should match pattern"),
    ("blank-product", ("product",), "  ", "product: String should have at least 1 character"),
]


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [case[1:] for case in BAD_FIELDS],
    ids=[case[0] for case in BAD_FIELDS],
)
def test_a_bad_field_is_named_in_the_message(path: tuple[str, ...], value: object, message: str) -> None:
    text = refusal(json.dumps(_set(path, value)))

    assert text.startswith(message)
    assert len(text.splitlines()) == 1  # only the field at fault is blamed


def test_in_a_list_the_message_names_the_complaint_and_field_and_nothing_starts() -> None:
    bad = _set(("customer", "email"), DELETE)

    text = refusal(json.dumps([complaint(id="C-1"), bad | {"id": "C-2"}]))

    assert text == "complaint 1.customer.email: Field required"


def test_every_problem_is_listed_one_per_line() -> None:
    data = complaint(id="C 1", priority="asap", claimed_amount="-1")

    lines = refusal(json.dumps(data)).splitlines()

    assert [line.split(":")[0] for line in lines] == ["id", "priority", "claimed_amount"]


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("0", Decimal("0")), ("0.5", Decimal("0.5")), ("89.90", Decimal("89.90")), (12, Decimal("12"))],
)
def test_valid_amounts(amount: object, expected: Decimal) -> None:
    assert parse_complaints(json.dumps(complaint(claimed_amount=amount)))[0].claimed_amount == expected


def test_aware_received_at_in_another_zone_is_kept() -> None:
    (parsed,) = parse_complaints(json.dumps(complaint(received_at="2026-11-20T23:15:00-05:00")))

    assert parsed.received_at == datetime(2026, 11, 20, 23, 15, tzinfo=timezone(timedelta(hours=-5)))


@pytest.mark.parametrize(
    ("complaint_id", "workflow_id"),
    [("C-1", "complaint-C-1"), ("complaint-C-1", "complaint-C-1"), ("2026.11_a", "complaint-2026.11_a")],
)
def test_workflow_id_for(complaint_id: str, workflow_id: str) -> None:
    assert workflow_id_for(complaint_id) == workflow_id
    assert workflow_id_for(workflow_id_for(complaint_id)) == workflow_id


def test_an_id_with_the_workflow_prefix_is_refused_so_two_ids_never_share_a_workflow() -> None:
    with pytest.raises(InvalidInput, match=r"^id: Value error, must not start with 'complaint-'"):
        parse_complaints(json.dumps({**_valid_complaint_for_prefix_test(), "id": "complaint-C-1"}))


def _valid_complaint_for_prefix_test() -> dict[str, object]:
    return {
        "id": "C-1",
        "customer": {"id": "cu-1", "name": "Ada Lovelace", "email": "ada@example.com"},
        "category": "billing",
        "description": "Charged twice",
    }
