"""The field rules that keep a case from failing for ever on its own input: time zones, amounts,
control characters. Each refusal names the exact field; the values just inside each rule pass."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from complaints.actions import (
    Amendment,
    Approval,
    ContactCorrection,
    CustomerMessage,
    Findings,
    Note,
    OfferResponse,
    Reassignment,
    StaffDecision,
)
from complaints.intake import InvalidInput, describe_validation_error, parse_complaints
from tests.complaints.test_intake import complaint


def refusal(**overrides: Any) -> str:
    with pytest.raises(InvalidInput) as error:
        parse_complaints(json.dumps(complaint(**overrides)))
    return str(error.value)


def customer(**changes: Any) -> dict[str, Any]:
    return {"id": "cust-42", "name": "Ada Lovelace", "email": "ada@example.com", **changes}


# -- customer.timezone: a zone the worker can load ------------------------------------------------


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "Europe/Londres", "GMT+25", "../../etc/passwd", "/UTC"])
def test_an_unknown_time_zone_is_refused_naming_it(zone: str) -> None:
    message = refusal(customer=customer(timezone=zone))

    assert message == f"customer.timezone: Value error, unknown IANA time zone {zone!r}"


@pytest.mark.parametrize("zone", ["UTC\n", "Europe/London\x00", "Europe/\u202eLondon"])
def test_a_time_zone_with_control_characters_is_refused(zone: str) -> None:
    message = refusal(customer=customer(timezone=zone))

    assert message.startswith("customer.timezone: Value error, must not contain control or format characters")


@pytest.mark.parametrize("zone", ["UTC", "Europe/London", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"])
def test_real_time_zones_are_taken(zone: str) -> None:
    (parsed,) = parse_complaints(json.dumps(complaint(customer=customer(timezone=zone))))

    assert parsed.customer.timezone == zone


# -- amounts: plain ASCII decimals, two places, never negative, within the ledger's column -------------

BAD_AMOUNTS: list[tuple[str, object, str]] = [
    ("arabic-indic-digits", "\u0661\u0662\u0663", "Input should be a decimal written with the digits 0-9"),
    ("arabic-indic-with-point", "\u0661\u0662.\u0665\u0660", "Input should be a decimal written with the digits 0-9"),
    ("fullwidth-digits", "\uff11\uff12", "Input should be a decimal written with the digits 0-9"),
    ("devanagari-digits", "\u096a\u096b", "Input should be a decimal written with the digits 0-9"),
    ("exponent-string", "1e3", "Input should be a plain decimal, without an exponent"),
    ("negative-exponent-string", "5E-1", "Input should be a plain decimal, without an exponent"),
    ("underscores", "1_000", "Input should be a valid decimal"),
    ("nan-string", "NaN", "Input should be a finite number"),
    ("signalling-nan", "sNaN", "Input should be a finite number"),
    ("minus-infinity", "-Infinity", "Input should be a finite number"),
    ("three-places-string", "12.345", "Decimal input should have no more than 2 decimal places"),
    ("three-places-number", 12.345, "Decimal input should have no more than 2 decimal places"),
    ("negative", "-0.01", "Input should be greater than or equal to 0"),
    ("negative-number", -5, "Input should be greater than or equal to 0"),
    ("past-the-ledger", "10000000000", "Decimal input should have no more than 10 digits before the decimal point"),
    ("huge-number", 1e20, "Decimal input should have no more than 12 digits in total"),
    ("boolean", True, "Decimal input should be an integer, float, string or Decimal object"),
    ("empty", "", "Input should be a valid decimal"),
]


@pytest.mark.parametrize(("value", "reason"), [case[1:] for case in BAD_AMOUNTS], ids=[case[0] for case in BAD_AMOUNTS])
def test_a_bad_claimed_amount_is_refused_naming_the_field(value: object, reason: str) -> None:
    assert refusal(claimed_amount=value) == f"claimed_amount: {reason}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (89.9, Decimal("89.9")),  # a JSON number, as senders write it
        (1e3, Decimal("1000.0")),  # a JSON number with an exponent is still a number
        ("89.90", Decimal("89.90")),
        (" 12.5 ", Decimal("12.5")),
        ("+5", Decimal("5")),
        (".5", Decimal("0.5")),
        ("-0", Decimal("0")),
        ("9999999999.99", Decimal("9999999999.99")),
        ("89.900", Decimal("89.90")),  # zeros past the second place are not places
        ("0.10000", Decimal("0.10")),
    ],
)
def test_plain_amounts_are_taken(value: object, expected: Decimal) -> None:
    (parsed,) = parse_complaints(json.dumps(complaint(claimed_amount=value)))

    assert parsed.claimed_amount == expected
    assert parsed.claimed_amount is not None and parsed.claimed_amount.is_finite()
    assert str(parsed.claimed_amount) == str(expected)  # as stored: never more than two places


def test_a_third_place_that_is_not_zero_is_refused_even_with_zeros_after_it() -> None:
    assert (
        refusal(claimed_amount="12.3450") == "claimed_amount: Decimal input should have no more than 2 decimal places"
    )


def test_an_amount_is_stored_as_written_out_in_full() -> None:
    """What the workflow receives is the model's JSON: `1E+3` must never reach it (it is refused there)."""
    (parsed,) = parse_complaints(json.dumps(complaint(claimed_amount=1e3)))

    assert json.loads(parsed.model_dump_json())["claimed_amount"] == "1000.0"
    findings = Findings.model_validate({**FINDINGS, "financial_loss": Decimal("1E+3")})
    assert json.loads(findings.model_dump_json())["financial_loss"] == "1000"


FINDINGS: dict[str, Any] = {"submitted_by": "alex", "summary": "s", "root_cause": "r", "severity": 3}


def first_problem(model: type[BaseModel], data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as error:
        model.model_validate(data)
    return describe_validation_error(error.value).splitlines()[0]


@pytest.mark.parametrize(
    ("model", "data", "expected"),
    [
        (
            Findings,
            {**FINDINGS, "financial_loss": "\u0661\u0662"},
            "financial_loss: Input should be a decimal written with",
        ),
        (Findings, {**FINDINGS, "financial_loss": "1e2"}, "financial_loss: Input should be a plain decimal"),
        (
            Findings,
            {**FINDINGS, "replacement": {"item": "Kettle", "cost": "-1"}},
            "replacement.cost: Input should be greater than or equal to 0",
        ),
        (
            Amendment,
            {"approver_id": "tl-jordan", "amount": "NaN", "reason": "r"},
            "amount: Input should be a finite number",
        ),
        (OfferResponse, {"answer": "counter", "counter_amount": "50.001"}, "counter_amount: Decimal input should have"),
        (
            StaffDecision,
            {"decision": "amend", "approver_id": "x", "amount": "\u0665\u0660"},
            "amount: Input should be a decimal",
        ),
    ],
    ids=["loss-arabic", "loss-exponent", "replacement-negative", "amend-nan", "counter-3-places", "decision-digits"],
)
def test_every_amount_staff_and_customers_send_follows_the_same_rule(
    model: type[BaseModel], data: dict[str, Any], expected: str
) -> None:
    assert first_problem(model, data).startswith(expected)


# -- control characters: none in what reaches a mail header; free text keeps its lines -------------

LINE_BREAKERS = [
    ("crlf", "Ada\r\nBcc: all@example.com", "U+000D"),
    ("lf", "Ada\nLovelace", "U+000A"),
    ("nul", "Ada\x00", "U+0000"),
    ("tab", "Ada\tLovelace", "U+0009"),
    ("bidi-override", "Ada \u202eecalevoL", "U+202E"),
    ("zero-width-space", "Ada\u200bLovelace", "U+200B"),
    ("c1-next-line", "Ada\x85Lovelace", "U+0085"),
]


@pytest.mark.parametrize(("value", "codepoint"), [c[1:] for c in LINE_BREAKERS], ids=[c[0] for c in LINE_BREAKERS])
@pytest.mark.parametrize(
    "path",
    [("customer", "name"), ("customer", "id"), ("customer", "language"), ("channel",), ("product",)],
    ids=lambda path: ".".join(path),
)
def test_a_control_character_in_a_header_field_is_refused_naming_it(
    path: tuple[str, ...], value: str, codepoint: str
) -> None:
    data = complaint()
    if path[0] == "customer":
        data["customer"] = customer(**{path[1]: value})
    else:
        data[path[0]] = value

    with pytest.raises(InvalidInput) as error:
        parse_complaints(json.dumps(data))

    field = ".".join(path)
    assert str(error.value) == (
        f"{field}: Value error, must not contain control or format characters (found {codepoint})"
    )


@pytest.mark.parametrize(
    "path",
    [("customer", "name"), ("customer", "id"), ("customer", "language"), ("channel",), ("product",), ("description",)],
    ids=lambda path: ".".join(path),
)
def test_a_lone_surrogate_is_refused_naming_the_field(path: tuple[str, ...]) -> None:
    """It cannot even be written as UTF-8: every mail, log line and database row would fail on it."""
    data = complaint()
    if path[0] == "customer":
        data["customer"] = customer(**{path[1]: "Ada \ud800"})
    else:
        data[path[0]] = "Ada \ud800"

    with pytest.raises(InvalidInput) as error:
        parse_complaints(json.dumps(data))

    assert str(error.value).startswith(f"{'.'.join(path)}: ")
    assert len(str(error.value).splitlines()) == 1


@pytest.mark.parametrize(
    "email", ["ada@example.com\r\nBcc: all@example.com", "ada\x00@example.com", "ada@exa\u200bmple.com"]
)
def test_a_control_character_in_the_email_is_refused(email: str) -> None:
    assert refusal(customer=customer(email=email)).startswith("customer.email: ")


@pytest.mark.parametrize("complaint_id", ["C-1\x00", "C\n1", "C-\u202e1"])
def test_a_control_character_in_the_complaint_id_is_refused(complaint_id: str) -> None:
    assert refusal(id=complaint_id).startswith("id: ")


def test_free_text_keeps_its_lines_and_tabs_but_no_other_control_character() -> None:
    text = "Line one.\r\nLine two:\tindented.\n\u200dJoined emoji are fine in a body."
    (parsed,) = parse_complaints(json.dumps(complaint(description=text, desired_outcome=text)))
    assert (parsed.description, parsed.desired_outcome) == (text, text)

    reason = "must not contain control characters other than tab and line breaks"
    assert refusal(description="Charged\x00twice") == f"description: Value error, {reason} (found U+0000)"
    assert refusal(desired_outcome="Refund\x1b[31m") == f"desired_outcome: Value error, {reason} (found U+001B)"


@pytest.mark.parametrize(
    ("model", "data", "expected"),
    [
        (Approval, {"approver_id": "tl-jordan\r\n\r\nX"}, "approver_id: Value error, must not contain control"),
        (Findings, {**FINDINGS, "submitted_by": "alex\nmorgan"}, "submitted_by: Value error, must not contain"),
        (Findings, {**FINDINGS, "replacement": {"item": "Ket\r\ntle", "cost": 1}}, "replacement.item: Value error"),
        (Reassignment, {"to_staff_id": "sam", "brief": "b", "by": "tl\rjordan"}, "by: Value error, must not contain"),
        (Note, {"author": "alex\x00", "text": "t"}, "author: Value error, must not contain control"),
        (Note, {"author": "alex", "text": "two\x00lines"}, "text: Value error, must not contain control characters"),
        (OfferResponse, {"answer": "accept", "recorded_by": "customer\nvia crm"}, "recorded_by: Value error"),
        (CustomerMessage, {"text": "hello", "channel": "web\r\n"}, "channel: Value error, must not contain"),
        (CustomerMessage, {"text": "hello", "message_id": "m\n1"}, "message_id: Value error, must not contain"),
        (ContactCorrection, {"by": "alex", "email": "ada@example.com\n"}, "email: value is not a valid email"),
    ],
    ids=[
        "approver",
        "findings-by",
        "replacement-item",
        "reassign-by",
        "note-author",
        "note-text-nul",
        "recorded-by",
        "message-channel",
        "message-id",
        "corrected-email",
    ],
)
def test_staff_and_customer_actions_refuse_control_characters_naming_the_field(
    model: type[BaseModel], data: dict[str, Any], expected: str
) -> None:
    assert first_problem(model, data).startswith(expected)


def test_action_text_keeps_its_lines() -> None:
    note = Note(author="alex", text="Called the customer.\nThey will send the statement.")
    assert note.text.count("\n") == 1


# -- received_at: a real instant in UTC --------------------------------------------------------------


@pytest.mark.parametrize("received_at", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00"])
def test_a_received_at_outside_the_calendar_in_utc_is_refused(received_at: str) -> None:
    assert refusal(received_at=received_at) == (
        "received_at: Value error, is outside the calendar once converted to UTC"
    )
