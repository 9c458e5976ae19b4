"""The regulators' complaint returns as published: their product groups and cause categories, as data.

A regulatory profile maps our free-text products and root-cause codes onto one of these
returns (`ReturnMapping`, on `RegulatoryProfile.regulator_return`); the mapping is checked
against the categories here, so a typo in the rules file is refused when the rules load, not
discovered in a filed return. README "The regulator's return" names the sources and where
these lists are simplified.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator


class ReturnFormName(StrEnum):
    FCA_DISP_1_ANNEX_1R = "fca-disp-1-annex-1r"
    CFPB_COMPANY_RESPONSE = "cfpb-company-response"


# FCA DISP 1 Annex 1R (the complaints return form of DISP 1.10.1R(3)(a), the form introduced by
# PS15/19 for reporting periods from 30 June 2016): the product/service groupings.
FCA_PRODUCT_GROUPS: tuple[str, ...] = (
    "Banking and credit cards",
    "Home finance",
    "Insurance & pure protection",
    "Decumulation & pensions",
    "Investments",
    "Credit related",
)
# Its causes of complaints opened (Table 1), as far as we could establish them without the handbook
# text (README "The regulator's return" says from where): check them before a return is filed.
FCA_CAUSES: tuple[str, ...] = (
    "Unsuitable advice",
    "Product disclosure information",
    "Disputes over sums/charges",
    "Product performance/features",
    "Delays/timescales",
    "Errors/not following instructions",
    "Other general admin/customer service",
    "Arrears related",
    "Other",
)

# CFPB Consumer Complaint Database: the products a complaint is filed under, and the issues
# (each product has its own list; these are the ones our complaints can be about).
CFPB_PRODUCTS: tuple[str, ...] = (
    "Checking or savings account",
    "Credit card",
    "Prepaid card",
    "Money transfer, virtual currency, or money service",
    "Mortgage",
    "Vehicle loan or lease",
    "Student loan",
    "Payday loan, title loan, personal loan, or advance loan",
    "Debt collection",
    "Debt or credit management",
    "Credit reporting or other personal consumer reports",
)
CFPB_ISSUES: tuple[str, ...] = (
    "Problem with a purchase shown on your statement",
    "Fees or interest",
    "Managing an account",
    "Trouble using your card",
    "Money was not available when promised",
    "Fraud or scam",
    "Other features, terms, or problems",
)

PRODUCT_GROUPS: dict[ReturnFormName, tuple[str, ...]] = {
    ReturnFormName.FCA_DISP_1_ANNEX_1R: FCA_PRODUCT_GROUPS,
    ReturnFormName.CFPB_COMPANY_RESPONSE: CFPB_PRODUCTS,
}
CAUSES: dict[ReturnFormName, tuple[str, ...]] = {
    ReturnFormName.FCA_DISP_1_ANNEX_1R: FCA_CAUSES,
    ReturnFormName.CFPB_COMPANY_RESPONSE: CFPB_ISSUES,
}


def _key(value: str) -> str:
    return value.strip().lower()


def cause_group(code: str) -> str:
    """`billing.duplicate-charge` -> `billing`: the part before the first dot."""
    return code.split(".", 1)[0]


class ReturnMapping(BaseModel):
    """Which return a profile files, and how our products and root causes land in its categories.

    Products match case-insensitively (as rules' `applies_to_products` do). A root cause matches
    its exact code first, then its group (`billing` for `billing.duplicate-charge`), then the default.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    form: ReturnFormName
    product_groups: dict[str, str] = {}  # our product -> the return's product group
    default_product_group: str  # products not listed, and cases without a product
    causes: dict[str, str] = {}  # root-cause code or code group -> the return's cause category
    default_cause: str  # codes not listed, and cases closed without a coded root cause

    @field_validator("product_groups", "causes", mode="before")
    @classmethod
    def _normalised_keys(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        keys = [_key(str(key)) for key in value]
        if any(not key or any(ch.isspace() for ch in key) for key in keys):
            raise ValueError(f"keys must be non-empty and without spaces, got {sorted(value)}")
        if len(set(keys)) != len(keys):
            raise ValueError(f"keys differ only in case or spaces: {sorted(value)}")
        return {_key(str(key)): category for key, category in value.items()}

    @model_validator(mode="after")
    def _published_categories(self) -> ReturnMapping:
        groups, causes = PRODUCT_GROUPS[self.form], CAUSES[self.form]
        problems = [
            f"{where}: {value!r} is not a {kind} of {self.form.value}"
            for where, value, allowed, kind in [
                *(
                    (f"product_groups.{key}", value, groups, "product group")
                    for key, value in self.product_groups.items()
                ),
                ("default_product_group", self.default_product_group, groups, "product group"),
                *((f"causes.{key}", value, causes, "cause category") for key, value in self.causes.items()),
                ("default_cause", self.default_cause, causes, "cause category"),
            ]
            if value not in allowed
        ]
        if problems:
            raise ValueError("; ".join(problems) + f" (product groups: {list(groups)}; causes: {list(causes)})")
        return self

    def product_group(self, product: str | None) -> str:
        return (
            self.product_groups.get(_key(product), self.default_product_group)
            if product
            else self.default_product_group
        )

    def cause(self, code: str | None) -> str:
        if not code:
            return self.default_cause
        key = _key(code)
        return self.causes.get(key) or self.causes.get(cause_group(key)) or self.default_cause
