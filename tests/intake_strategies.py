"""Hypothesis strategies for intake payloads: plausible complaints, and the nasty input of issue 14.

Shared by the pure property test (tests/complaints/test_intake_property.py) and the one that
starts what intake accepts on the time-skipping server (tests/workflows/test_intake_property_cases.py).
Payloads are JSON-shaped dicts, as the CLI and the HTTP API receive them.
"""

from __future__ import annotations

import string
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

REAL_ZONES = ["UTC", "Europe/London", "America/New_York", "Asia/Kolkata", "Pacific/Kiritimati", "Pacific/Pago_Pago"]
BAD_ZONES = ["Mars/Olympus_Mons", "", "UTC\n", "Europe/Londres", "../../etc/passwd", "GMT+25", "Europe/London\x00"]
KNOWN_PROFILES = ["uk-fca-disp", "us-cfpb", "internal"]
BAD_PROFILES = ["eu-psd2", "uk-fca", "fca", "us_cfpb"]
# What breaks a mail header, a database row or an encoder.
INVISIBLE = ["\r\n", "\n", "\r", "\x00", "\t", "\u202e", "\u200b", "\x85", "\x1b", "\ud800"]
OTHER_DIGITS = ["\u0661\u0662\u0663", "\u0661\u0662.\u0665\u0660", "\uff11\uff12", "\u096a\u096b", "\u0e51\u0e52"]
NASTY_INSTANTS: list[object] = [
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:00:00-05:00",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:30:00+01:00",
    "1900-01-01T00:00:00Z",
    "1969-12-31T23:59:59Z",
    "2026-11-20T09:30:00",  # no zone
    "yesterday",
    0,
    -1,
    10**12,
]

NAME_CHARS = string.ascii_letters + " '-.éøßŁ山田çÀ"


def _with_invisible(text: str, char: str, position: int) -> str:
    at = position % (len(text) + 1)
    return text[:at] + char + text[at:]


def names(nasty: bool = True) -> st.SearchStrategy[str]:
    """A person's name; with `nasty`, sometimes with a line break, NUL or a bidi override inside."""
    plain = st.text(alphabet=NAME_CHARS, min_size=1, max_size=30).filter(lambda text: text.strip() != "")
    if not nasty:
        return plain
    spoiled = st.builds(_with_invisible, plain, st.sampled_from(INVISIBLE), st.integers(0, 30))
    return st.one_of(plain, spoiled, st.text(max_size=20))


def amounts(nasty: bool = True) -> st.SearchStrategy[object]:
    """What a CRM sends as an amount: strings, JSON numbers, and with `nasty`, what Decimal reads but people do not."""
    cents = st.integers(min_value=0, max_value=10**11)
    plain = st.one_of(
        cents.map(lambda c: f"{c // 100}.{c % 100:02d}"),
        cents.map(lambda c: f"{c // 100}.{c % 100:02d}0"),  # a system that writes three places
        st.integers(min_value=0, max_value=10**6),
        cents.map(lambda c: round(c / 100, 2)),  # a JSON number such as 89.9
    )
    if not nasty:
        return plain
    odd = st.sampled_from(
        [*OTHER_DIGITS, "1e3", "5E-1", "1_000", "NaN", "sNaN", "Infinity", "-Infinity", "12.345", "-0.01", "", "lots"]
    )
    other = st.one_of(
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.floats(allow_nan=False, allow_infinity=False),
        st.integers(min_value=-(10**15), max_value=10**15),
    )
    return st.one_of(plain, odd, other)


def instants(now: datetime, window_days: int = 366, nasty: bool = True) -> st.SearchStrategy[object]:
    """`received_at` around `now`, in any UTC offset; with `nasty`, far away, naive or not a time at all."""
    offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
        lambda minutes: timezone(timedelta(minutes=minutes))
    )
    near = st.builds(
        lambda seconds, zone: (now + timedelta(seconds=seconds)).astimezone(zone).isoformat(),
        st.integers(min_value=-(window_days * 86400 - 60), max_value=240),  # inside the default window
        offsets,
    )
    if not nasty:
        return near
    anywhere = st.builds(
        lambda moment, zone: moment.replace(tzinfo=zone).isoformat(),
        st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
        offsets,
    )
    return st.one_of(near, anywhere, st.sampled_from(NASTY_INSTANTS))


def _optional(key: str, values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(st.just({}), values.map(lambda value: {key: value}))


@st.composite
def payloads(draw: st.DrawFn, now: datetime, nasty: bool = True) -> dict[str, Any]:
    """One complaint as JSON. With `nasty`, every field may carry the input issue 14 is about."""
    zones = st.sampled_from(REAL_ZONES)
    profiles = st.sampled_from(KNOWN_PROFILES)
    products = st.sampled_from(["payment_services", "e_money", "Current Account"])
    labels = st.sampled_from(["email", "web form", "phone"])
    if nasty:
        zones = st.one_of(zones, st.sampled_from(BAD_ZONES), st.text(max_size=12))
        profiles = st.one_of(profiles, st.sampled_from(BAD_PROFILES))
        products = st.one_of(products, names())
        labels = st.one_of(labels, names())
    customer: dict[str, Any] = {
        "id": draw(st.one_of(st.just("cust-42"), names(nasty))),
        "name": draw(names(nasty)),
        "email": draw(st.sampled_from(["ada@example.com", "zoe.o-brien@example.co.uk"])),
    }
    customer |= draw(_optional("timezone", zones))
    customer |= draw(_optional("language", st.sampled_from(["en", "es-MX", "fr"])))
    words = st.characters(exclude_categories=["Cc", "Cs"]) | st.sampled_from("\n\t")  # a body keeps its lines
    description = draw(st.text(words if not nasty else st.characters(), min_size=1, max_size=80).filter(str.strip))
    payload: dict[str, Any] = {
        "id": draw(
            st.sampled_from(["C-1", "C-2026.11_a"]) if not nasty else st.sampled_from(["C-1", "C\n1", "C-1\x00"])
        ),
        "customer": customer,
        "category": draw(st.sampled_from(["billing", "delivery", "product", "service", "other"])),
        "description": description,
    }
    payload |= draw(_optional("claimed_amount", amounts(nasty)))
    payload |= draw(_optional("received_at", instants(now, nasty=nasty)))
    payload |= draw(_optional("regulatory_profile", profiles))
    payload |= draw(_optional("product", products))
    payload |= draw(_optional("channel", labels))
    payload |= draw(_optional("priority", st.sampled_from(["urgent", "high", "normal", "low"])))
    return payload
