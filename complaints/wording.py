"""How messages write dates, money and quoted words, per language: explicit tables, never the OS locale.

Dates are spelt out from the name tables below, so a message renders the same on every
machine; the customer reads their own zone, staff read UTC. The templates (`complaints.templates`)
register these as Jinja2 filters; they are plain functions so they can be tested on their own.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_LANGUAGE = "en"  # the templates at the top of the template folder

_CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


@dataclass(frozen=True)
class DateWords:
    """How one language writes a date: names Monday-first and January-first, and the order."""

    days: tuple[str, ...]
    months: tuple[str, ...]
    day_format: str  # fields: weekday, day, month, year
    when_format: str  # fields: date (as day_format), time (HH:MM), zone

    def __post_init__(self) -> None:
        if len(self.days) != 7 or len(self.months) != 12:
            raise ValueError("DateWords needs 7 day names and 12 month names")


DATE_WORDS: dict[str, DateWords] = {
    "en": DateWords(
        days=(
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ),
        months=(
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
        day_format="{weekday} {day} {month} {year}",
        when_format="{date}, {time} {zone}",
    ),
    "es": DateWords(
        days=(
            "lunes",
            "martes",
            "miércoles",
            "jueves",
            "viernes",
            "sábado",
            "domingo",
        ),
        months=(
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ),
        day_format="{weekday} {day} de {month} de {year}",
        when_format="{date}, {time} {zone}",
    ),
}

# The few words of the HTML layout that are not in the text part (its footer).
LAYOUT_WORDS: dict[str, dict[str, str]] = {
    "en": {"reference": "reference"},
    "es": {"reference": "referencia"},
}


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _local(value: datetime, timezone: str) -> datetime:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(_zone(timezone))


def _date_words(language: str) -> DateWords:
    return DATE_WORDS.get(language, DATE_WORDS[DEFAULT_LANGUAGE])


def _spell_day(local: datetime, words: DateWords) -> str:
    return words.day_format.format(
        weekday=words.days[local.weekday()], day=local.day, month=words.months[local.month - 1], year=local.year
    )


def format_when(value: datetime, timezone: str = "UTC", language: str = DEFAULT_LANGUAGE) -> str:
    """'Friday 28 November 2026, 17:00 UTC': unambiguous for people in any country.

    In Spanish 'sábado 28 de noviembre de 2026, 17:00 UTC'; an unknown language gets English.
    """
    local = _local(value, timezone)
    words = _date_words(language)
    zone = local.tzname() or timezone
    return words.when_format.format(date=_spell_day(local, words), time=f"{local:%H:%M}", zone=zone)


def format_day(value: datetime, timezone: str = "UTC", language: str = DEFAULT_LANGUAGE) -> str:
    """'Friday 28 November 2026' ('sábado 28 de noviembre de 2026')."""
    return _spell_day(_local(value, timezone), _date_words(language))


def format_money(amount: Decimal | int | float, currency: str) -> str:
    """'£1,250.00', or '1,250.00 CHF' for currencies without a familiar symbol."""
    value = f"{Decimal(amount):,.2f}"
    symbol = _CURRENCY_SYMBOLS.get(currency.upper())
    return f"{symbol}{value}" if symbol else f"{value} {currency.upper()}"


def quote_text(text: str, width: int = 72, prefix: str = "    ") -> str:
    """Indent the customer's own words as a block quote, wrapped for plain-text mail."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    wrapped = [textwrap.fill(" ".join(p.split()), width=width - len(prefix)) for p in paragraphs]
    return textwrap.indent("\n\n".join(wrapped), prefix, predicate=lambda _: True)


def as_sentence(text: str) -> str:
    """'we are waiting for X' -> 'We are waiting for X.': next steps arrive as phrases."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?:)\"'" else text + "."
