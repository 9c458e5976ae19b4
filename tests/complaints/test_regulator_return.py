"""The regulator's return from per-case records: time bands at their exact edges, rows, the mapping."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from complaints.regulator_return import CaseRecord, RegulatorReturn, ReturnRow, inputs_of, regulator_return
from complaints.regulatory import RegulatoryProfile
from complaints.return_forms import CFPB_ISSUES, CFPB_PRODUCTS, FCA_CAUSES, FCA_PRODUCT_GROUPS, ReturnMapping
from complaints.rules import load_rules

CONFIG = Path(__file__).resolve().parents[2] / "config" / "complaints.toml"
SLA = load_rules(CONFIG).sla
FCA, CFPB, UK = SLA.profile("uk-fca-disp"), SLA.profile("us-cfpb"), SLA.calendar("uk")
H2 = ("2026H2", datetime(2026, 7, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
NOW = datetime(2027, 1, 2, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def case(received: datetime, closed: datetime, **fields: Any) -> CaseRecord:
    return CaseRecord(
        product=fields.get("product", "broadband"),
        root_cause_code=fields.get("code", "billing.duplicate-charge"),
        received_at=received,
        closed_at=closed,
        upheld=fields.get("upheld", False),
        redress=fields.get("redress", ()),
    )


def compute(profile: RegulatoryProfile, *cases: CaseRecord) -> RegulatorReturn:
    _, start, end = H2
    return regulator_return(profile, UK, H2, inputs_of(cases, start, end), NOW)


def band_of(profile: RegulatoryProfile, received: datetime, closed: datetime) -> str:
    figures = compute(profile, case(received, closed))
    (band,) = [cell.label for cell in figures.total.bands if cell.cases]
    return band


# -- time bands at their edges ----------------------------------------------------------------------

# Thursday 27 August 2026, 09:00 BST. Friday 28 is the 1st business day; the weekend and the
# summer bank holiday (Monday 31 August) do not count; Tuesday 1 September is the 2nd and
# Wednesday 2 September the 3rd, whose close of business is 17:30 BST = 16:30 UTC.
THURSDAY_BEFORE_BANK_HOLIDAY = utc(2026, 8, 27, 8)


@pytest.mark.parametrize(
    ("closed", "band"),
    [
        (utc(2026, 9, 1, 15), "within 3 business days"),  # the 2nd business day
        (utc(2026, 9, 2, 16, 30), "within 3 business days"),  # close of business on the 3rd: still within
        (utc(2026, 9, 2, 16, 30, 1), "after 3 business days, within 8 weeks"),  # a second after it
        (utc(2026, 9, 3, 8, 30), "after 3 business days, within 8 weeks"),  # the 4th business day
    ],
)
def test_fca_three_business_days_across_a_weekend_and_a_bank_holiday(closed: datetime, band: str) -> None:
    assert band_of(FCA, THURSDAY_BEFORE_BANK_HOLIDAY, closed) == band


def test_fca_three_business_days_after_a_saturday_receipt_start_on_monday() -> None:
    saturday = utc(2026, 11, 7, 10)  # GMT: close of business is 17:30 UTC
    assert band_of(FCA, saturday, utc(2026, 11, 11, 17, 30)) == "within 3 business days"  # Wednesday, the 3rd
    assert band_of(FCA, saturday, utc(2026, 11, 12, 9)) == "after 3 business days, within 8 weeks"


@pytest.mark.parametrize(
    ("closed", "band"),
    [
        (utc(2026, 8, 26, 10), "after 3 business days, within 8 weeks"),  # exactly 8 weeks
        (utc(2026, 8, 26, 10, 0, 1), "after 8 weeks"),
        (utc(2026, 8, 27, 10), "after 8 weeks"),  # 8 weeks and a day
    ],
)
def test_fca_eight_weeks_exactly_or_a_day_more(closed: datetime, band: str) -> None:
    assert band_of(FCA, utc(2026, 7, 1, 10), closed) == band


@pytest.mark.parametrize(
    ("days", "band"),
    [
        (15, "within 15 days"),
        (16, "after 15 days, within 60 days"),
        (60, "after 15 days, within 60 days"),
        (61, "after 60 days"),
    ],
)
def test_cfpb_15_and_60_days(days: int, band: str) -> None:
    received = utc(2026, 7, 1, 12)
    assert band_of(CFPB, received, received + timedelta(days=days)) == band


# -- rows -------------------------------------------------------------------------------------------


def cells(row: ReturnRow) -> tuple[Any, ...]:
    return (
        row.opened,
        row.closed,
        row.upheld,
        row.upheld_pct,
        [band.cases for band in row.bands],
        [band.cumulative_pct for band in row.bands],
        row.redress_paid,
    )


def test_rows_by_product_group_and_cause() -> None:
    monday = utc(2026, 7, 6, 9)
    figures = compute(
        FCA,
        # opened and closed in the period: within 3 business days, upheld, £89.90 refunded in the period
        case(monday, utc(2026, 7, 8), upheld=True, redress=((utc(2026, 7, 8), "GBP", Decimal("89.90")),)),
        # the same cause by its group (billing.*), on the 4th business day
        case(monday, utc(2026, 7, 10, 9), code="billing.late-fee"),
        # mobile is Credit related; service.outage is mapped by its own code, not by the service group
        case(monday, utc(2026, 8, 20), product="Mobile", code="service.outage", upheld=True),
        # received before the period: outstanding at its start; closed in it; redress before it is not counted
        case(
            utc(2026, 6, 20),
            utc(2026, 7, 2),
            product=None,
            code=None,
            upheld=True,
            redress=((utc(2026, 6, 30), "GBP", Decimal("30.00")), (utc(2026, 7, 2), "GBP", Decimal("10.00"))),
        ),
        # opened at the very end of the period, closed after it
        case(utc(2026, 12, 31, 23, 59, 59), utc(2027, 1, 4), code="service.staff-conduct"),
        # received at the end of the period: not in it at all
        case(utc(2027, 1, 1), utc(2027, 1, 2), redress=((utc(2027, 1, 2), "GBP", Decimal("5.00")),)),
    )
    assert figures.outstanding_at_start == 1
    assert cells(figures.total) == (4, 4, 3, 75.0, [1, 3, 0], [25.0, 100.0, 100.0], {"GBP": Decimal("99.90")})
    groups = {row.name: cells(row) for row in figures.by_product_group}
    assert list(groups) == list(FCA_PRODUCT_GROUPS)
    assert groups["Banking and credit cards"] == (
        3, 3, 2, 66.7, [1, 2, 0], [33.3, 100.0, 100.0], {"GBP": Decimal("99.90")}
    )  # fmt: skip
    assert groups["Credit related"] == (1, 1, 1, 100.0, [0, 1, 0], [0.0, 100.0, 100.0], {})
    assert groups["Home finance"] == (0, 0, 0, None, [0, 0, 0], [None, None, None], {})
    causes = {row.name: cells(row) for row in figures.by_cause}
    assert list(causes) == list(FCA_CAUSES)
    assert causes["Disputes over sums/charges"] == (
        2, 2, 1, 50.0, [1, 1, 0], [50.0, 100.0, 100.0], {"GBP": Decimal("89.90")}
    )  # fmt: skip
    assert causes["Product performance/features"][:3] == (1, 1, 1)
    assert causes["Other"] == (0, 1, 1, 100.0, [0, 1, 0], [0.0, 100.0, 100.0], {"GBP": Decimal("10.00")})
    assert causes["Other general admin/customer service"][:2] == (1, 0)
    assert (figures.profile, figures.calendar, figures.period) == ("uk-fca-disp", "uk", "2026H2")


def test_closing_exactly_at_the_start_is_in_the_period_and_was_outstanding() -> None:
    start = H2[1]
    figures = compute(
        FCA, case(start - timedelta(hours=1), start), case(start - timedelta(days=2), start - timedelta(seconds=1))
    )
    assert (figures.outstanding_at_start, figures.total.opened, figures.total.closed) == (1, 0, 1)


def test_a_profile_without_a_return_is_refused() -> None:
    with pytest.raises(ValueError, match="'internal' files no return"):
        compute(SLA.profile("internal"))


# -- the mapping ------------------------------------------------------------------------------------

MAPPED_CODES = [
    "billing.duplicate-charge",
    "delivery.late",
    "service.outage",
    "product.faulty",
    "service.staff-conduct",
    "other.other",
]


def test_the_configured_mappings_of_the_root_causes_in_use() -> None:
    fca, cfpb = FCA.regulator_return, CFPB.regulator_return
    assert fca is not None and cfpb is not None
    assert [fca.cause(code) for code in MAPPED_CODES] == [
        "Disputes over sums/charges",
        "Delays/timescales",
        "Product performance/features",
        "Product performance/features",
        "Other general admin/customer service",
        "Other",
    ]
    assert [cfpb.cause(code) for code in MAPPED_CODES] == [
        "Problem with a purchase shown on your statement",
        "Money was not available when promised",
        "Trouble using your card",
        "Other features, terms, or problems",
        "Managing an account",
        "Other features, terms, or problems",
    ]
    products = ["payment_services", " E_Money ", "mobile", "broadband", None]
    assert [fca.product_group(product) for product in products] == [
        "Banking and credit cards",
        "Banking and credit cards",
        "Credit related",
        "Banking and credit cards",
        "Banking and credit cards",
    ]
    assert [cfpb.product_group(product) for product in products] == [
        "Money transfer, virtual currency, or money service",
        "Prepaid card",
        "Money transfer, virtual currency, or money service",
        "Money transfer, virtual currency, or money service",
        "Money transfer, virtual currency, or money service",
    ]
    assert set(fca.causes.values()) <= set(FCA_CAUSES) and set(cfpb.causes.values()) <= set(CFPB_ISSUES)
    assert set(cfpb.product_groups.values()) <= set(CFPB_PRODUCTS)


def mapping(**change: Any) -> ReturnMapping:
    data = {"form": "fca-disp-1-annex-1r", "default_product_group": "Investments", "default_cause": "Other"}
    return ReturnMapping.model_validate({**data, **change})


def test_a_code_matches_before_its_group_and_the_group_before_the_default() -> None:
    chosen = mapping(
        causes={"Billing": "Disputes over sums/charges", "billing.Wrong-Info": "Product disclosure information"}
    )
    assert chosen.cause("billing.wrong-info") == "Product disclosure information"
    assert chosen.cause("billing.duplicate-charge") == "Disputes over sums/charges"
    assert (chosen.cause("delivery.late"), chosen.cause(None), chosen.cause("")) == ("Other", "Other", "Other")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"default_cause": "Bad service"},
            "default_cause: 'Bad service' is not a cause category of fca-disp-1-annex-1r",
        ),
        ({"product_groups": {"broadband": "Telecoms"}}, "product_groups.broadband: 'Telecoms' is not a product group"),
        ({"causes": {"delivery.late": "Fees or interest"}}, "causes.delivery.late: 'Fees or interest' is not a cause"),
        ({"form": "cfpb-company-response"}, "default_product_group: 'Investments' is not a product group"),
        ({"causes": {"billing": "Other", " BILLING ": "Other"}}, "keys differ only in case or spaces"),
        ({"product_groups": {"pay ments": "Investments"}}, "keys must be non-empty and without spaces"),
        ({"form": "fca-complaints"}, "form"),
    ],
)
def test_a_mapping_outside_the_published_categories_is_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        mapping(**change)


def test_a_bad_mapping_in_the_rules_file_is_refused_when_the_rules_load(tmp_path: Path) -> None:
    text = CONFIG.read_text(encoding="utf-8").replace('mobile = "Credit related"', 'mobile = "Telecoms"')
    broken = tmp_path / "rules.toml"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError, match=re.escape("product_groups.mobile: 'Telecoms' is not a product group")):
        load_rules(broken)
