"""The affected customers of an incident, as operations send them: CSV or JSON Lines.

Read row by row so a list of 100,000 never has to be one object; each bad row is reported
by its line number in the file, the field and the reason, and the good rows go on. A
customer listed twice is one row: the first listing is kept and the later ones are named.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from complaints.fields import Email, IanaZone, Label, Money, SingleLine
from complaints.intake import ProductName
from complaints.scheme import Impact


class AffectedCustomer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: Annotated[SingleLine, Field(max_length=100)]
    name: SingleLine
    email: Email
    language: Label = "en"
    timezone: IanaZone = "UTC"
    product: ProductName | None = None
    affected_at: AwareDatetime | None = None
    hours_without_service: Annotated[Decimal, Field(ge=0, le=100_000)] | None = None
    proven_loss: Money | None = None

    @property
    def impact(self) -> Impact:
        return Impact(
            product=self.product,
            affected_at=self.affected_at,
            hours_without_service=self.hours_without_service,
            proven_loss=self.proven_loss,
        )


FIELDS = tuple(AffectedCustomer.model_fields)


class ListFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"

    @classmethod
    def of(cls, path: Path) -> ListFormat:
        suffix = path.suffix.lower()
        if suffix == ".csv":
            return cls.CSV
        if suffix in (".jsonl", ".ndjson"):
            return cls.JSONL
        raise ValueError(f"{path.name}: the list must be a .csv or a .jsonl file")


class RowProblem(BaseModel):
    row: int  # the line in the file (a CSV's header is line 1)
    field: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.field}: {self.reason}"


class ListedCustomer(BaseModel):
    row: int
    customer: AffectedCustomer


class AffectedList(BaseModel):
    """The good rows (one per customer), the bad ones, and the repeats folded into a first listing."""

    customers: list[ListedCustomer] = []
    problems: list[RowProblem] = []
    repeats: list[RowProblem] = []


def read_rows(lines: Iterable[str], list_format: ListFormat) -> Iterator[tuple[int, dict[str, Any] | RowProblem]]:
    """(line number, the row's fields) or (line number, why the line is not a row at all)."""
    if list_format is ListFormat.CSV:
        reader = csv.DictReader(lines, restkey="(extra columns)")
        missing = [name for name in ("customer_id", "name", "email") if name not in (reader.fieldnames or [])]
        if missing:
            yield 1, RowProblem(row=1, field="(header)", reason=f"missing column(s): {', '.join(missing)}")
            return
        for raw in reader:
            fields = {key: value for key, value in raw.items() if value not in ("", None)}
            yield reader.line_num, fields
        return
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, RowProblem(row=number, field="(line)", reason=f"malformed JSON: {exc.msg}")
            continue
        if not isinstance(data, dict):
            yield number, RowProblem(row=number, field="(line)", reason="expected a JSON object")
            continue
        yield number, data


def check_row(number: int, fields: dict[str, Any]) -> AffectedCustomer | list[RowProblem]:
    try:
        return AffectedCustomer.model_validate(fields)
    except ValidationError as exc:
        return [
            RowProblem(row=number, field=".".join(str(part) for part in error["loc"]) or "(row)", reason=error["msg"])
            for error in exc.errors()
        ]


def parse_affected(lines: Iterable[str], list_format: ListFormat) -> AffectedList:
    result = AffectedList()
    first_row: dict[str, int] = {}
    for number, row in read_rows(lines, list_format):
        if isinstance(row, RowProblem):
            result.problems.append(row)
            continue
        checked = check_row(number, row)
        if isinstance(checked, list):
            result.problems.extend(checked)
            continue
        earlier = first_row.get(checked.customer_id)
        if earlier is not None:
            reason = f"customer {checked.customer_id!r} is listed at row {earlier} already: kept as one"
            result.repeats.append(RowProblem(row=number, field="customer_id", reason=reason))
            continue
        first_row[checked.customer_id] = number
        result.customers.append(ListedCustomer(row=number, customer=checked))
    return result


def read_affected_file(path: Path) -> AffectedList:
    list_format = ListFormat.of(path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return parse_affected(handle, list_format)
