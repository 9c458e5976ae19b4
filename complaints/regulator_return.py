"""The regulator's complaints return, computed from small per-case records: pure, so it is unit-tested.

`activities/regulator_queries.py` reads the inputs from the case file archive (counts and sums
aggregated in SQL, one small record per case closed in the period, because "closed within 3
business days" needs the calendar); `regulator_return` turns them into the return's cells.
`inputs_of` builds the same inputs from whole per-case records, for tests and small data.

"Closed" is when the final response (or summary resolution communication) went out: the
case's `resolved_at`, else its `closed_at` (a withdrawn case has no response; it closed then).
A time band's limit is computed as the profile's deadlines are (complaints/regulatory.py):
business days end at close of business on the Nth business day after the day of receipt on
the calendar, weeks and calendar days are exact instants; a case closed at the limit is within.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from complaints.calendar import BusinessCalendar
from complaints.dates import as_utc
from complaints.regulatory import PeriodUnit, RegulatoryProfile
from complaints.report_figures import percentage
from complaints.return_forms import CAUSES, PRODUCT_GROUPS, ReturnFormName


class TimeBand(BaseModel):
    """Closed within `period` `unit` of receipt (and after the band before it)."""

    model_config = ConfigDict(frozen=True)

    label: str
    period: int
    unit: PeriodUnit


class ReturnDefinition(BaseModel):
    model_config = ConfigDict(frozen=True)

    form: ReturnFormName
    title: str
    source: str
    bands: tuple[TimeBand, ...]
    after_label: str  # closed after the last band


DEFINITIONS: dict[ReturnFormName, ReturnDefinition] = {
    ReturnFormName.FCA_DISP_1_ANNEX_1R: ReturnDefinition(
        form=ReturnFormName.FCA_DISP_1_ANNEX_1R,
        title="FCA complaints return (DISP 1 Annex 1R)",
        source="FCA Handbook DISP 1.10.1R, DISP 1.10.2 and DISP 1 Annex 1R (complaints return form, the form of PS15/19"
        " in force for reporting periods from 30 June 2016); 3 business days: DISP 1.5.1R; 8 weeks: DISP 1.6.2R",
        bands=(
            TimeBand(label="within 3 business days", period=3, unit=PeriodUnit.BUSINESS_DAYS),
            TimeBand(label="after 3 business days, within 8 weeks", period=8, unit=PeriodUnit.WEEKS),
        ),
        after_label="after 8 weeks",
    ),
    ReturnFormName.CFPB_COMPANY_RESPONSE: ReturnDefinition(
        form=ReturnFormName.CFPB_COMPANY_RESPONSE,
        title="CFPB company response timeliness",
        source="CFPB Company Portal Manual (respond within 15 calendar days of the complaint being sent, or say the "
        "response is in progress and give a final response within 60 calendar days); Consumer Complaint Database "
        "field 'Timely response?'",
        bands=(
            TimeBand(label="within 15 days", period=15, unit=PeriodUnit.CALENDAR_DAYS),
            TimeBand(label="after 15 days, within 60 days", period=60, unit=PeriodUnit.CALENDAR_DAYS),
        ),
        after_label="after 60 days",
    ),
}


# -- inputs -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClosedCase:
    """A case whose final response went out in the period: what the bands and the upheld rate need."""

    product: str | None
    root_cause_code: str | None
    received_at: datetime
    closed_at: datetime  # resolved_at, else closed_at
    upheld: bool


@dataclass(frozen=True, slots=True)
class Tally:
    """Cases received in the period with this product and root cause (aggregated in SQL)."""

    product: str | None
    root_cause_code: str | None
    count: int


@dataclass(frozen=True, slots=True)
class RedressTally:
    """Redress paid in the period to cases with this product and root cause, in one currency."""

    product: str | None
    root_cause_code: str | None
    currency: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class ReturnInputs:
    opened: list[Tally]
    outstanding_at_start: int
    closed: list[ClosedCase]
    redress: list[RedressTally]


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """One whole case, for `inputs_of`: redress as (paid_at, currency, amount) items."""

    product: str | None
    root_cause_code: str | None
    received_at: datetime
    closed_at: datetime
    upheld: bool
    redress: tuple[tuple[datetime, str, Decimal], ...] = ()


def inputs_of(cases: Iterable[CaseRecord], start: datetime, end: datetime) -> ReturnInputs:
    """The inputs the archive queries would give for these cases over [start, end)."""
    opened: dict[tuple[str | None, str | None], int] = defaultdict(int)
    redress: dict[tuple[str | None, str | None, str], Decimal] = defaultdict(Decimal)
    closed, outstanding = [], 0
    for case in cases:
        key = (case.product, case.root_cause_code)
        if start <= case.received_at < end:
            opened[key] += 1
        if case.received_at < start <= case.closed_at:
            outstanding += 1
        if start <= case.closed_at < end:
            closed.append(ClosedCase(*key, case.received_at, case.closed_at, case.upheld))
        for paid_at, currency, amount in case.redress:
            if start <= paid_at < end:
                redress[(*key, currency)] += amount
    return ReturnInputs(
        opened=[Tally(*key, count) for key, count in opened.items()],
        outstanding_at_start=outstanding,
        closed=closed,
        redress=[RedressTally(*key, amount) for key, amount in redress.items()],
    )


# -- the return -------------------------------------------------------------------------------------


class BandCell(BaseModel):
    label: str
    cases: int
    pct: float | None  # of the row's closed cases
    cumulative_pct: float | None  # this band and the ones before it


class ReturnRow(BaseModel):
    name: str
    opened: int
    closed: int
    upheld: int
    upheld_pct: float | None  # of closed
    bands: list[BandCell]
    redress_paid: dict[str, Decimal]  # currency -> amount paid in the period


class RegulatorReturn(BaseModel):
    profile: str
    jurisdiction: str
    form: ReturnFormName
    title: str
    source: str
    period: str
    start: datetime
    end: datetime
    calendar: str | None  # whose business days count (None: no band counts business days)
    outstanding_at_start: int
    total: ReturnRow
    by_product_group: list[ReturnRow]  # every group of the form, in its order
    by_cause: list[ReturnRow]
    generated_at: datetime


class _Row:
    """Counters of one row while the cases are read."""

    def __init__(self, bands: int) -> None:
        self.opened = self.closed = self.upheld = 0
        self.bands = [0] * (bands + 1)
        self.redress: dict[str, Decimal] = defaultdict(Decimal)

    def result(self, name: str, labels: list[str]) -> ReturnRow:
        cells, running = [], 0
        for label, cases in zip(labels, self.bands, strict=True):
            running += cases
            cells.append(
                BandCell(
                    label=label,
                    cases=cases,
                    pct=percentage(cases, self.closed),
                    cumulative_pct=percentage(running, self.closed),
                )
            )
        redress = {currency: amount for currency, amount in sorted(self.redress.items())}
        return ReturnRow(
            name=name,
            opened=self.opened,
            closed=self.closed,
            upheld=self.upheld,
            upheld_pct=percentage(self.upheld, self.closed),
            bands=cells,
            redress_paid=redress,
        )


class _Bands:
    """Which band a closed case falls in. A business-day limit depends only on the day of receipt,
    so it is computed once per day (a period's cases share a few hundred days)."""

    def __init__(self, bands: tuple[TimeBand, ...], calendar: BusinessCalendar) -> None:
        self._calendar, self._zone = calendar, calendar.zone
        self._bands = [(band.unit, band.period, _length(band)) for band in bands]
        self._business: dict[tuple[date, int], datetime] = {}

    def _business_limit(self, received: datetime, days: int) -> datetime:
        key = (received.astimezone(self._zone).date(), days)  # the calendar's day of receipt
        limit = self._business.get(key)
        if limit is None:
            limit = self._business[key] = self._calendar.add_business_days(received, days)
        return limit

    def of(self, case: ClosedCase) -> int:
        received, closed = _utc(case.received_at, "received_at"), _utc(case.closed_at, "closed_at")
        for index, (unit, period, length) in enumerate(self._bands):
            limit = self._business_limit(received, period) if unit is PeriodUnit.BUSINESS_DAYS else received + length
            if closed <= limit:
                return index
        return len(self._bands)


def _length(band: TimeBand) -> timedelta:
    """The exact length of a band in calendar days or weeks (business days have none)."""
    match band.unit:
        case PeriodUnit.CALENDAR_DAYS:
            return timedelta(days=band.period)
        case PeriodUnit.WEEKS:
            return timedelta(weeks=band.period)
        case PeriodUnit.BUSINESS_DAYS:
            return timedelta(0)


def _utc(value: datetime, field: str) -> datetime:
    return value if value.tzinfo is UTC else as_utc(value, field)  # what the archive gives costs nothing


def regulator_return(
    profile: RegulatoryProfile,
    calendar: BusinessCalendar,
    period: tuple[str, datetime, datetime],
    inputs: ReturnInputs,
    generated_at: datetime,
) -> RegulatorReturn:
    """The return of `profile` over `period` (label, start, end) from the archive's inputs."""
    mapping = profile.regulator_return
    if mapping is None:
        raise ValueError(f"regulatory profile {profile.name!r} files no return (no regulator_return in the rules)")
    definition = DEFINITIONS[mapping.form]
    labels = [band.label for band in definition.bands] + [definition.after_label]
    total = _Row(len(definition.bands))
    groups = {name: _Row(len(definition.bands)) for name in PRODUCT_GROUPS[mapping.form]}
    causes = {name: _Row(len(definition.bands)) for name in CAUSES[mapping.form]}

    mapped: dict[tuple[str | None, str | None], tuple[_Row, _Row, _Row]] = {}

    def rows(product: str | None, code: str | None) -> tuple[_Row, _Row, _Row]:
        """The rows a case counts in: the total, its product group's and its cause's."""
        key = (product, code)
        if key not in mapped:
            mapped[key] = (total, groups[mapping.product_group(product)], causes[mapping.cause(code)])
        return mapped[key]

    for tally in inputs.opened:
        for row in rows(tally.product, tally.root_cause_code):
            row.opened += tally.count
    bands = _Bands(definition.bands, calendar)
    for case in inputs.closed:
        band = bands.of(case)
        for row in rows(case.product, case.root_cause_code):
            row.closed += 1
            row.upheld += case.upheld
            row.bands[band] += 1
    for paid in inputs.redress:
        for row in rows(paid.product, paid.root_cause_code):
            row.redress[paid.currency] += paid.amount
    label, start, end = period
    return RegulatorReturn(
        profile=profile.name,
        jurisdiction=profile.jurisdiction,
        form=mapping.form,
        title=definition.title,
        source=definition.source,
        period=label,
        start=start,
        end=end,
        calendar=calendar.name if any(band.unit is PeriodUnit.BUSINESS_DAYS for band in definition.bands) else None,
        outstanding_at_start=inputs.outstanding_at_start,
        total=total.result("all complaints", labels),
        by_product_group=[row.result(name, labels) for name, row in groups.items()],
        by_cause=[row.result(name, labels) for name, row in causes.items()],
        generated_at=generated_at,
    )
