"""Rendering of every message the workflow sends: one Jinja2 template per MessageKind.

Pure code (no I/O beyond reading the template files), so the activity stays thin and the
wording can be tested on its own. Each `<kind>.txt.j2` defines `{% block subject %}` and
`{% block body %}`: the wording, in one place. The HTML part is `_message.html.j2` (or a
kind's own `<kind>.html.j2`) laid over the blocks of that text, so the two parts always say
the same. `StrictUndefined` makes a missing variable an error: a customer must never
receive a literal "{{ name }}".
"""

from __future__ import annotations

import re
import textwrap
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, pass_context, select_autoescape
from jinja2.runtime import Context
from pydantic import BaseModel

from complaints.messages import MessageKind, MessageRequest

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
ORGANISATION = "Complaintflow"

CUSTOMER_KINDS: frozenset[MessageKind] = frozenset(
    {
        MessageKind.ACKNOWLEDGEMENT,
        MessageKind.PROGRESS_UPDATE,
        MessageKind.DELAY_NOTICE,
        MessageKind.OFFER,
        MessageKind.OFFER_REMINDER,
        MessageKind.RESOLUTION,
        MessageKind.OFFER_STANDING,
        MessageKind.FOLLOW_UP,
        MessageKind.SURVEY_INVITATION,
        MessageKind.SURVEY_REMINDER,
        MessageKind.THANK_YOU,
        MessageKind.WITHDRAWAL_CONFIRMATION,
        MessageKind.INFORMATION_REQUEST,
        MessageKind.HOLDING_RESPONSE,
    }
)
STAFF_KINDS: frozenset[MessageKind] = frozenset(MessageKind) - CUSTOMER_KINDS
# an offer without its items would be meaningless: refuse to render rather than send it
NEEDS_PROPOSAL: frozenset[MessageKind] = frozenset(
    {MessageKind.OFFER, MessageKind.OFFER_REMINDER, MessageKind.OFFER_STANDING}
)

_CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


HTML_LAYOUT = "_message.html.j2"


class RenderedMessage(BaseModel):
    subject: str
    text: str
    html: str | None = None


class TextBlock(BaseModel):
    """One paragraph of the text part, as the HTML layout lays it out."""

    kind: str  # paragraph | quote | list
    lines: list[str]  # a list's items
    lead: list[str] = []  # a list's heading lines
    after: list[str] = []  # a list's closing lines (its total)


def is_customer_kind(kind: MessageKind) -> bool:
    return kind in CUSTOMER_KINDS


def template_name(kind: MessageKind, part: str = "txt") -> str:
    return f"{kind.value}.{part}.j2"


# -- formatting helpers (also registered as filters) ------------------------------------


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def format_when(value: datetime, timezone: str = "UTC") -> str:
    """'Friday 28 November 2026, 17:00 UTC': unambiguous for people in any country."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    local = aware.astimezone(_zone(timezone))
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M} {local.tzname() or timezone}"


def format_day(value: datetime, timezone: str = "UTC") -> str:
    """'Friday 28 November 2026'."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    local = aware.astimezone(_zone(timezone))
    return f"{local:%A} {local.day} {local:%B %Y}"


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


@pass_context
def _when_filter(context: Context, value: datetime) -> str:
    return format_when(value, str(context.get("timezone", "UTC")))


@pass_context
def _day_filter(context: Context, value: datetime) -> str:
    return format_day(value, str(context.get("timezone", "UTC")))


def make_environment(directory: Path = TEMPLATE_DIR) -> Environment:
    """The one environment every template is rendered through (tests use it too)."""
    env = Environment(
        loader=FileSystemLoader(directory),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["when"] = _when_filter
    env.filters["day"] = _day_filter
    env.filters["money"] = format_money
    env.filters["quote"] = quote_text
    env.filters["sentence"] = as_sentence
    return env


_environment: Environment | None = None


def environment() -> Environment:
    global _environment
    if _environment is None:
        _environment = make_environment()
    return _environment


# -- rendering --------------------------------------------------------------------------


def template_context(request: MessageRequest) -> dict[str, Any]:
    """Every variable a template may use; all always present (None/empty when not given)."""
    customer_facing = is_customer_kind(request.kind)
    return {
        "kind": request.kind.value,
        "customer_facing": customer_facing,
        "to": request.to,
        "case": request.case,
        "next_step": request.next_step.strip(),
        "due": request.due,
        "note": request.note.strip(),
        "proposal": request.proposal,
        "history": request.history,
        "organisation": ORGANISATION,
        # customers read times in their own zone; staff in UTC, the team's shared clock
        "timezone": request.case.customer_timezone if customer_facing else "UTC",
    }


def _clean(text: str) -> str:
    lines = [line.rstrip() for line in text.strip("\n").splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"


def render_template(template: Template, request: MessageRequest) -> RenderedMessage:
    """Render the `subject` and `body` blocks of one template for one request."""
    for block in ("subject", "body"):
        if block not in template.blocks:
            raise ValueError(f"template {template.name!r} has no {{% block {block} %}}")
    context = template.new_context(template_context(request))
    subject = " ".join("".join(template.blocks["subject"](context)).split())
    text = _clean("".join(template.blocks["body"](context)))
    if not subject:
        raise ValueError(f"template {template.name!r} rendered an empty subject")
    return RenderedMessage(subject=subject, text=text)


def text_blocks(text: str) -> list[TextBlock]:
    """Paragraphs of a rendered text part: indented quotes, `- ` lists, plain paragraphs."""
    blocks: list[TextBlock] = []
    for chunk in re.split(r"\n\s*\n", text.strip("\n")):
        lines = chunk.splitlines()
        if not lines:
            continue
        if all(line.startswith("    ") for line in lines):
            paragraph = " ".join(line.strip() for line in lines)
            if blocks and blocks[-1].kind == "quote":  # a quote of several paragraphs
                blocks[-1].lines.append(paragraph)
            else:
                blocks.append(TextBlock(kind="quote", lines=[paragraph]))
        elif any(line.lstrip().startswith("- ") for line in lines):
            blocks.append(_list_block(lines))
        else:
            blocks.append(TextBlock(kind="paragraph", lines=[line.strip() for line in lines]))
    return blocks


def _list_block(lines: list[str]) -> TextBlock:
    """Heading lines, `- ` items (wrapped lines indented under them), then closing lines."""
    block = TextBlock(kind="list", lines=[])
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("- "):
            block.lines.append(stripped[2:])
        elif block.lines and line.startswith("    ") and not block.after:
            block.lines[-1] += " " + stripped
        elif block.lines:
            block.after.append(stripped)
        else:
            block.lead.append(stripped)
    return block


def render_html(rendered: RenderedMessage, request: MessageRequest, env: Environment) -> str:
    names = [template_name(request.kind, "html"), HTML_LAYOUT]
    template = env.select_template(names)
    context = template_context(request)
    language = request.case.customer_language if is_customer_kind(request.kind) else "en"
    return template.render(**context, subject=rendered.subject, blocks=text_blocks(rendered.text), language=language)


def render_message(request: MessageRequest, env: Environment | None = None) -> RenderedMessage:
    """Subject, text and HTML of the message `request.kind` for this request.

    Raises jinja2.UndefinedError when a template uses a variable that is not there, and
    jinja2.TemplateNotFound when a kind has no template.
    """
    if request.kind in NEEDS_PROPOSAL and request.proposal is None:
        raise ValueError(f"a {request.kind.value} message needs the proposal")
    env = env or environment()
    rendered = render_template(env.get_template(template_name(request.kind)), request)
    return rendered.model_copy(update={"html": render_html(rendered, request, env)})
