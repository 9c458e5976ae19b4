"""The affected-customers list (CSV or JSON Lines) and the incident declaration.

Each bad row is named by its line in the file, its field and the reason while the good rows go
on; a customer listed twice is one row; a declaration is validated whole; and every customer's
case id is one the complaint intake takes.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from complaints.affected import AffectedCustomer, AffectedList, ListFormat, parse_affected, read_affected_file
from complaints.incident import (
    IncidentDeclaration,
    case_id_for,
    incident_workflow_id,
)
from complaints.intake import ComplaintInput
from complaints.scheme import Impact

COMPLAINT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
HEADER = "customer_id,name,email,product,affected_at,hours_without_service,proven_loss"


def csv_list(*rows: str, header: str = HEADER) -> AffectedList:
    return parse_affected([line + "\n" for line in (header, *rows)], ListFormat.CSV)


def jsonl_list(*rows: dict[str, Any] | str) -> AffectedList:
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    return parse_affected([line + "\n" for line in lines], ListFormat.JSONL)


def problems(listed: AffectedList) -> list[tuple[int, str]]:
    return [(problem.row, problem.field) for problem in listed.problems]


# -- CSV -------------------------------------------------------------------------------------------


def test_good_csv_rows_are_read_with_their_line_numbers() -> None:
    listed = csv_list(
        "c-1,Ada Lovelace,ada@example.com,Broadband,2026-11-02T08:00:00+00:00,5.5,12.50",
        "c-2,Grace Hopper,grace@example.com,,,,",
    )
    assert not listed.problems and not listed.repeats
    assert [(entry.row, entry.customer.customer_id) for entry in listed.customers] == [(2, "c-1"), (3, "c-2")]
    ada, grace = (entry.customer for entry in listed.customers)
    assert ada.product == "broadband"  # products are matched lower-case
    assert ada.affected_at == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    assert (ada.hours_without_service, ada.proven_loss) == (Decimal("5.5"), Decimal("12.50"))
    assert ada.impact == Impact(
        product="broadband",
        affected_at=datetime(2026, 11, 2, 8, tzinfo=UTC),
        hours_without_service=Decimal("5.5"),
        proven_loss=Decimal("12.50"),
    )
    # Empty cells are left out: the defaults apply.
    assert (grace.product, grace.affected_at, grace.proven_loss, grace.language, grace.timezone) == (
        None,
        None,
        None,
        "en",
        "UTC",
    )


def test_bad_csv_rows_are_named_by_line_field_and_reason_and_the_good_rows_go_on() -> None:
    listed = csv_list(
        "c-1,Ada,ada@example.com,,,,",
        "c-2,Bob,not-an-email,,,,",  # line 3
        "c-3,Cy,cy@example.com,,yesterday,,",  # line 4
        "c-4,Di,di@example.com,,,-1,",  # line 5
        "c-5,Ed,ed@example.com,,,,12.345",  # line 6
        "c-6,Flo,flo@example.com,,2026-11-02T08:00:00,,",  # line 7: no zone
        "c-7,Gus,gus@example.com,,,,",
    )
    assert [entry.customer.customer_id for entry in listed.customers] == ["c-1", "c-7"]
    assert [entry.row for entry in listed.customers] == [2, 8]
    assert problems(listed) == [
        (3, "email"),
        (4, "affected_at"),
        (5, "hours_without_service"),
        (6, "proven_loss"),
        (7, "affected_at"),
    ]
    assert all(problem.reason.strip() for problem in listed.problems)
    assert "timezone" in listed.problems[4].reason
    assert str(listed.problems[0]).startswith("row 3: email: ")


def test_a_row_missing_its_required_cells_names_each_field() -> None:
    listed = csv_list(",,,,,,")
    assert sorted(problems(listed)) == [(2, "customer_id"), (2, "email"), (2, "name")]


def test_a_row_with_more_cells_than_the_header_is_refused() -> None:
    listed = csv_list("c-1,Ada,ada@example.com,,,,,surplus", "c-2,Bo,bo@example.com,,,,")
    assert problems(listed) == [(2, "(extra columns)")]
    assert [entry.customer.customer_id for entry in listed.customers] == ["c-2"]


def test_an_unknown_column_is_refused_on_every_row() -> None:
    listed = csv_list("c-1,Ada,ada@example.com,gold", header="customer_id,name,email,tier")
    assert problems(listed) == [(2, "tier")] and not listed.customers


def test_a_header_missing_required_columns_is_one_problem_on_line_1() -> None:
    listed = csv_list("c-1,ada@example.com", header="customer_id,mail")
    assert not listed.customers
    assert [(p.row, p.field) for p in listed.problems] == [(1, "(header)")]
    assert listed.problems[0].reason == "missing column(s): name, email"


def test_an_empty_csv_is_a_header_problem() -> None:
    listed = parse_affected([], ListFormat.CSV)
    assert [(p.row, p.field) for p in listed.problems] == [(1, "(header)")]
    assert "customer_id, name, email" in listed.problems[0].reason


def test_blank_csv_lines_are_skipped_but_still_counted() -> None:
    listed = csv_list("c-1,Ada,ada@example.com,,,,", "", "c-2,Bo,bo-at-example,,,,")
    assert [entry.row for entry in listed.customers] == [2]
    assert problems(listed) == [(4, "email")]


def test_a_customer_listed_twice_is_kept_once_and_the_repeat_names_the_first_row() -> None:
    listed = csv_list(
        "c-1,Ada,ada@example.com,,,5,",
        "c-2,Bo,bo@example.com,,,,",
        "c-1,Ada Again,other@example.com,,,50,",  # line 4
        " c-1 ,Ada Spaced,ada@example.com,,,,",  # line 5: the same id once trimmed
    )
    assert [(entry.row, entry.customer.customer_id) for entry in listed.customers] == [(2, "c-1"), (3, "c-2")]
    first = listed.customers[0].customer
    assert (first.name, first.hours_without_service) == ("Ada", Decimal("5"))
    assert [(repeat.row, repeat.field) for repeat in listed.repeats] == [(4, "customer_id"), (5, "customer_id")]
    assert all("listed at row 2 already" in repeat.reason and "'c-1'" in repeat.reason for repeat in listed.repeats)
    assert not listed.problems


def test_a_bad_first_listing_does_not_hide_a_good_later_one() -> None:
    listed = csv_list("c-1,Ada,broken,,,,", "c-1,Ada,ada@example.com,,,,")
    assert problems(listed) == [(2, "email")]
    assert [(entry.row, entry.customer.customer_id) for entry in listed.customers] == [(3, "c-1")]
    assert not listed.repeats


def test_a_csv_file_with_a_byte_order_mark_and_crlf_is_read(tmp_path: Path) -> None:
    path = tmp_path / "affected.CSV"
    path.write_bytes(('\ufeffcustomer_id,name,email\r\nc-1,"Okafor, Amelia",amelia@example.com\r\n').encode())
    listed = read_affected_file(path)
    assert not listed.problems
    assert [(entry.row, entry.customer.name) for entry in listed.customers] == [(2, "Okafor, Amelia")]


# -- JSON Lines ------------------------------------------------------------------------------------


def test_good_jsonl_rows_are_read_and_empty_lines_skipped() -> None:
    listed = jsonl_list(
        {"customer_id": "c-1", "name": "Ada", "email": "ada@example.com", "proven_loss": 12.5, "language": "fr"},
        "",
        "   ",
        {"customer_id": "c-2", "name": "Bo", "email": "bo@example.com", "hours_without_service": "3"},
    )
    assert not listed.problems
    assert [(entry.row, entry.customer.customer_id) for entry in listed.customers] == [(1, "c-1"), (4, "c-2")]
    assert listed.customers[0].customer.proven_loss == Decimal("12.5")
    assert listed.customers[0].customer.language == "fr"


def test_a_malformed_json_line_is_named_and_the_rest_go_on() -> None:
    listed = jsonl_list(
        '{"customer_id": "c-1", "name": "Ada", "email": "ada@example.com"',
        {"customer_id": "c-2", "name": "Bo", "email": "bo@example.com"},
        '["not", "an", "object"]',
        {"customer_id": "c-3", "name": "Cy", "email": "cy@example.com", "timezone": "Mars/Olympus"},
        {"customer_id": "c-4", "name": "Di", "email": "di@example.com", "tier": "gold"},
    )
    assert [entry.customer.customer_id for entry in listed.customers] == ["c-2"]
    assert problems(listed) == [(1, "(line)"), (3, "(line)"), (4, "timezone"), (5, "tier")]
    assert listed.problems[0].reason.startswith("malformed JSON: ")
    assert listed.problems[1].reason == "expected a JSON object"


def test_a_jsonl_repeat_names_the_first_line() -> None:
    row = {"customer_id": "c-1", "name": "Ada", "email": "ada@example.com"}
    listed = jsonl_list(row, "", {**row, "name": "Other"})
    assert [entry.customer.name for entry in listed.customers] == ["Ada"]
    assert [(repeat.row, repeat.reason) for repeat in listed.repeats] == [
        (3, "customer 'c-1' is listed at row 1 already: kept as one")
    ]


def test_a_control_character_in_a_name_is_refused() -> None:
    listed = jsonl_list({"customer_id": "c-1", "name": "Ada\r\nBcc: x@example.com", "email": "ada@example.com"})
    assert problems(listed) == [(1, "name")]


@pytest.mark.parametrize("name", ["affected.jsonl", "affected.NDJSON"])
def test_a_jsonl_file_is_read_by_its_suffix(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text('{"customer_id": "c-1", "name": "Ada", "email": "ada@example.com"}\n', encoding="utf-8")
    assert ListFormat.of(path) is ListFormat.JSONL
    assert [entry.customer.customer_id for entry in read_affected_file(path).customers] == ["c-1"]


@pytest.mark.parametrize("name", ["affected.txt", "affected.json", "affected"])
def test_another_suffix_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match=re.escape("must be a .csv or a .jsonl file")):
        ListFormat.of(tmp_path / name)
    (tmp_path / name).write_text("customer_id,name,email\n", encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(name)):
        read_affected_file(tmp_path / name)


def test_an_affected_customer_takes_no_unknown_field() -> None:
    with pytest.raises(ValidationError):
        AffectedCustomer.model_validate({"customer_id": "c", "name": "n", "email": "e@example.com", "x": 1})


# -- the declaration -------------------------------------------------------------------------------


def declaration(**changes: Any) -> dict[str, Any]:
    return {
        "id": "INC-2026-11-outage",
        "title": "The broadband outage of 2 November",
        "description": "Our broadband network was down in the north for most of a day.",
        "started_at": "2026-11-02T06:00:00Z",
        "ended_at": "2026-11-03T18:00:00Z",
        "products": ["Broadband"],
        "categories": ["service"],
        "fault": "ours",
        "declared_by": "ops.lead",
        "scheme": {
            "bands": [{"name": "all", "measure": "hours_without_service", "remedy": {"credit": "10.00"}}],
            "cap_per_customer": "50.00",
            "budget": "10000.00",
        },
        **changes,
    }


def test_a_good_declaration_is_taken() -> None:
    found = IncidentDeclaration.model_validate(declaration())
    assert found.products == ("broadband",)
    assert found.workflow_id == "incident-INC-2026-11-outage"
    facts = found.facts
    assert (facts.title, facts.products, facts.ended_at) == (found.title, ("broadband",), found.ended_at)
    findings = found.findings(Decimal("12.00"))
    assert (findings.summary, findings.root_cause, findings.financial_loss) == (
        found.title,
        found.description,
        Decimal("12.00"),
    )
    assert found.findings().financial_loss == 0


def test_the_incident_root_cause_code_reaches_every_proactive_case_and_must_be_shaped_as_a_code() -> None:
    coded = IncidentDeclaration.model_validate(declaration(root_cause_code="service.outage"))
    assert coded.findings().root_cause_code == "service.outage"
    assert IncidentDeclaration.model_validate(declaration()).findings().root_cause_code is None
    with pytest.raises(ValidationError, match="root_cause_code"):
        IncidentDeclaration.model_validate(declaration(root_cause_code="Network outage"))


def test_an_ongoing_incident_has_no_end() -> None:
    assert IncidentDeclaration.model_validate(declaration(ended_at=None)).ended_at is None


@pytest.mark.parametrize("ended_at", ["2026-11-01T06:00:00Z", "2026-11-02T06:00:00Z"])
def test_an_end_not_after_the_start_is_refused_naming_ended_at(ended_at: str) -> None:
    with pytest.raises(ValidationError, match="ended_at: must be after started_at"):
        IncidentDeclaration.model_validate(declaration(ended_at=ended_at))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"budget": "1"}, "budget"),
        ({"categories": []}, "categories"),
        ({"id": "INC.1"}, "id"),
        ({"started_at": "2026-11-02T06:00:00"}, "started_at"),
        ({"severity": 6}, "severity"),
        ({"title": "two\nlines"}, "title"),
    ],
)
def test_a_bad_declaration_names_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        IncidentDeclaration.model_validate(declaration(**changes))
    assert field in {str(error["loc"][0]) for error in refused.value.errors()}


def test_a_bad_scheme_inside_the_declaration_is_refused() -> None:
    scheme = {**declaration()["scheme"], "budget": "0"}
    with pytest.raises(ValidationError, match="budget: must be above 0"):
        IncidentDeclaration.model_validate(declaration(scheme=scheme))


def test_the_incident_workflow_id_is_prefixed_once() -> None:
    assert incident_workflow_id("INC-1") == "incident-INC-1"
    assert incident_workflow_id("incident-INC-1") == "incident-INC-1"


@pytest.mark.parametrize("incident_id", ["complaint-outage", "Incident-7", "INCIDENT-x"])
def test_an_incident_id_with_a_workflow_prefix_is_refused(incident_id: str) -> None:
    with pytest.raises(ValidationError, match="must not start with"):
        IncidentDeclaration.model_validate(declaration(id=incident_id))


# -- case ids --------------------------------------------------------------------------------------


def taken_as_complaint_id(case_id: str) -> bool:
    """What the intake does with a complaint's id: the same check a case started for it passes."""
    complaint = {
        "id": case_id,
        "customer": {"id": "c", "name": "Ada", "email": "ada@example.com"},
        "category": "service",
        "description": "d",
    }
    return ComplaintInput.model_validate(complaint).id == case_id


def test_a_simple_customer_id_gives_a_readable_case_id() -> None:
    assert case_id_for("INC-1", "cust-42") == "INC-1.cust-42"
    assert case_id_for("INC-1", "A.b_c") == "INC-1.A.b_c"
    assert case_id_for("INC-1", "-lead") == "INC-1.-lead"  # the incident's id comes first
    assert taken_as_complaint_id("INC-1.cust-42")


@pytest.mark.parametrize("customer_id", ["Amelia Okafor", "kunde-ä", "x" * 64, "a/b", "c:1", " padded "])
def test_any_other_customer_id_gives_a_digest(customer_id: str) -> None:
    case_id = case_id_for("INC-1", customer_id)
    assert re.fullmatch(r"INC-1\.[0-9a-f]{16}", case_id), case_id
    assert case_id == case_id_for("INC-1", customer_id)
    assert taken_as_complaint_id(case_id)


def test_case_ids_differ_by_customer_and_by_incident() -> None:
    assert case_id_for("INC-1", "Ada L") != case_id_for("INC-1", "Ada M")
    assert case_id_for("INC-1", "Ada L") != case_id_for("INC-2", "Ada L")
    assert case_id_for("INC-1", "c-1") != case_id_for("INC-2", "c-1")


def test_a_long_pair_goes_to_the_digest_at_exactly_the_limit() -> None:
    fits = "c" * (64 - len("INC-1."))
    assert case_id_for("INC-1", fits) == f"INC-1.{fits}"
    assert case_id_for("INC-1", fits + "c") != f"INC-1.{fits}c"
    assert len(case_id_for("INC-1", fits + "c")) == len("INC-1.") + 16


incident_ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}", fullmatch=True).filter(
    lambda value: not value.lower().startswith(("complaint-", "incident-"))  # refused as incident ids (below)
)
customer_ids = st.text(min_size=1, max_size=100).map(str.strip).filter(bool)


@settings(max_examples=300, deadline=None)
@given(incident_id=incident_ids, customer_id=customer_ids)
def test_every_case_id_is_a_complaint_id_the_intake_takes(incident_id: str, customer_id: str) -> None:
    case_id = case_id_for(incident_id, customer_id)
    assert COMPLAINT_ID.fullmatch(case_id), case_id
    assert case_id.startswith(f"{incident_id}.")
    assert case_id == case_id_for(incident_id, customer_id)
    assert taken_as_complaint_id(case_id)
