"""The field types every model people and systems send is built from: text, amounts, zones.

Each one refuses, when the input is parsed, what would otherwise fail later and forever inside
a running case: a line break in a name that ends up in a mail header, an amount written with
digits Python reads but nobody else does, a time zone that does not exist.
"""

from __future__ import annotations

import math
import re
import unicodedata
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, EmailStr, Field, StringConstraints
from pydantic_core import PydanticCustomError

from complaints.calendar import load_zone

# Control characters (Cc: NUL, TAB, CR, LF, …), format characters (Cf: bidi overrides,
# zero-width joiners, …) and lone surrogates (Cs: they cannot even be encoded as UTF-8).
_NEVER_IN_A_LINE = frozenset({"Cc", "Cf", "Cs"})
# Free text (a description, a note) may run over lines and be tabbed; nothing else invisible
# that breaks a database (NUL) or an encoder (a lone surrogate).
_TEXT_LAYOUT = frozenset("\t\n\r")
_NEVER_IN_TEXT = frozenset({"Cc", "Cs"})


def _codepoint(char: str) -> str:
    return f"U+{ord(char):04X}"


def single_line(value: str) -> str:
    """Names, ids and addresses go into mail headers and subjects: no control or format characters."""
    for char in value:
        if unicodedata.category(char) in _NEVER_IN_A_LINE:
            raise ValueError(f"must not contain control or format characters (found {_codepoint(char)})")
    return value


def plain_text(value: str) -> str:
    """Free text keeps its lines and tabs, but no other control character."""
    for char in value:
        if unicodedata.category(char) in _NEVER_IN_TEXT and char not in _TEXT_LAYOUT:
            raise ValueError(
                f"must not contain control characters other than tab and line breaks (found {_codepoint(char)})"
            )
    return value


def iana_zone(value: str) -> str:
    """A time zone the worker can load: customer messages show times in it."""
    single_line(value)
    load_zone(value)
    return value


# A name or id: one line of visible text (a person's name, a staff id, a customer id).
SingleLine = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(single_line)]
# A short label that may be empty (who recorded something, a channel): one line, as given.
Label = Annotated[str, AfterValidator(single_line)]
# Free text that may be empty (a comment, a reason), and free text that may not (a description).
FreeText = Annotated[str, AfterValidator(plain_text)]
NonEmptyText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(plain_text)]
Email = Annotated[EmailStr, AfterValidator(single_line)]
IanaZone = Annotated[str, AfterValidator(iana_zone)]

# An amount as a person or system writes it: ASCII digits, an optional point and decimals.
_PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_NOT_FINITE = frozenset({"nan", "snan", "inf", "infinity"})
# The ledger's column is NUMERIC(12, 2): 12 digits, 2 after the point, so at most 9999999999.99.
MONEY_MAX_DIGITS = 12
MONEY_MAX = Decimal("9999999999.99")


def plain_decimal(value: Any) -> Any:
    """Only amounts written the plain way reach the Decimal parser; the rest is refused here.

    Python's `Decimal` reads `"١٢٣"` (Arabic-Indic digits), `"1e3"` and `"1_000"`, which a
    ledger, a finance API or a person reading a letter would not; a JSON number (`89.9`) and
    a `Decimal` are written out in full, so what is stored is what was meant.
    """
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PydanticCustomError("finite_number", "Input should be a finite number")
        value = Decimal(repr(value))  # 89.9 is "89.9", as the sender wrote it
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise PydanticCustomError("finite_number", "Input should be a finite number")
        value = format(value, "f")  # Decimal("1E+3") is stored as "1000", never as "1E+3"
    if not isinstance(value, str):  # an int is plain already; a bool is refused by pydantic
        return value
    text = value.strip()
    if text.lstrip("+-").lower() in _NOT_FINITE:
        raise PydanticCustomError("finite_number", "Input should be a finite number")
    if not text.isascii():
        raise PydanticCustomError("decimal_ascii", "Input should be a decimal written with the digits 0-9")
    if "e" in text.lower() and any(char.isdigit() for char in text):
        raise PydanticCustomError("decimal_exponent", "Input should be a plain decimal, without an exponent")
    if not _PLAIN_DECIMAL.fullmatch(text):
        raise PydanticCustomError("decimal_parsing", "Input should be a valid decimal")
    whole, _, places = text.partition(".")
    if len(places) > 2 and not places[2:].strip("0"):
        text = f"{whole}.{places[:2]}"  # "89.900" is 89.90: stored with two places, as the ledger holds it
    return text.lstrip("-") if Decimal(text) == 0 else text  # "-0" is zero, not a negative amount


# Never negative: every amount we take is a loss, a cost, a claim or a sum to pay.
Money = Annotated[
    Decimal,
    BeforeValidator(plain_decimal),
    Field(ge=0, max_digits=MONEY_MAX_DIGITS, decimal_places=2),
]
