"""Rendering of every message the workflow sends: one Jinja2 template per MessageKind.

Pure code (no I/O beyond reading the template files), so the activity stays thin and the
wording can be tested on its own. Each `<kind>.txt.j2` defines `{% block subject %}` and
`{% block body %}`: the wording, in one place. The HTML part is `_message.html.j2` (or a
kind's own `<kind>.html.j2`) laid over the blocks of that text, so the two parts always say
the same. `StrictUndefined` makes a missing variable an error: a customer must never
receive a literal "{{ name }}".

Customer messages speak the customer's language where a translation exists: the wording of
language `xx` lives in `templates/xx/<kind>.txt.j2` (its partials in `templates/xx/` too),
and a kind without one falls back to the English template. Staff messages stay English, the
team's shared language. Dates, money and quotes are written by `complaints.wording`, from
explicit name tables, never the OS locale, so a message renders the same on every machine.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, pass_context, select_autoescape
from jinja2.runtime import Context
from pydantic import BaseModel

from complaints.messages import MessageKind, MessageRequest
from complaints.wording import (
    DEFAULT_LANGUAGE,
    LAYOUT_WORDS,
    as_sentence,
    format_day,
    format_money,
    format_when,
    quote_text,
)

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
        MessageKind.INCIDENT_OFFER,
    }
)
STAFF_KINDS: frozenset[MessageKind] = frozenset(MessageKind) - CUSTOMER_KINDS
# an offer without its items would be meaningless: refuse to render rather than send it
NEEDS_PROPOSAL: frozenset[MessageKind] = frozenset(
    {MessageKind.OFFER, MessageKind.OFFER_REMINDER, MessageKind.OFFER_STANDING, MessageKind.INCIDENT_OFFER}
)

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


def template_name(kind: MessageKind, part: str = "txt", language: str = DEFAULT_LANGUAGE) -> str:
    """`offer.txt.j2` in English, `es/offer.txt.j2` in Spanish."""
    name = f"{kind.value}.{part}.j2"
    return name if language == DEFAULT_LANGUAGE else f"{language}/{name}"


def primary_language(tag: str) -> str:
    """'es', 'es-ES', 'es_MX', ' ES ' -> 'es'; anything that is not a language subtag -> 'en'.

    Customers' tags come from intake as given; only the primary subtag picks templates, and
    it must look like one (letters only) so that it can never name a path outside TEMPLATE_DIR.
    """
    primary = re.split(r"[-_]", tag.strip(), maxsplit=1)[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,8}", primary) else DEFAULT_LANGUAGE


def requested_language(request: MessageRequest) -> str:
    """The language the message should be in: the customer's for customer kinds, else English."""
    if not is_customer_kind(request.kind):
        return DEFAULT_LANGUAGE
    return primary_language(request.case.customer_language)


def template_language(template: Template) -> str:
    """The language a loaded template is written in, from its folder (`es/offer.txt.j2`)."""
    folder, _, _ = (template.name or "").rpartition("/")
    return folder or DEFAULT_LANGUAGE


@pass_context
def _when_filter(context: Context, value: datetime) -> str:
    return format_when(value, str(context.get("timezone", "UTC")), str(context.get("language", DEFAULT_LANGUAGE)))


@pass_context
def _day_filter(context: Context, value: datetime) -> str:
    return format_day(value, str(context.get("timezone", "UTC")), str(context.get("language", DEFAULT_LANGUAGE)))


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


def template_context(request: MessageRequest, language: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """Every variable a template may use; all always present (None/empty when not given).

    `language` is the language of the template being rendered (not the customer's wish, which
    may have no translation): the `when`/`day` filters and the layout speak it.
    """
    customer_facing = is_customer_kind(request.kind)
    return {
        "kind": request.kind.value,
        "language": language,
        "customer_facing": customer_facing,
        "to": request.to,
        "case": request.case,
        "next_step": request.next_step.strip(),
        "due": request.due,
        "note": request.note.strip(),
        "proposal": request.proposal,
        "history": request.history,
        "regulatory": request.regulatory,
        "organisation": ORGANISATION,
        # customers read times in their own zone; staff in UTC, the team's shared clock
        "timezone": request.case.customer_timezone if customer_facing else "UTC",
    }


def _clean(text: str) -> str:
    lines = [line.rstrip() for line in text.strip("\n").splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"


def render_template(template: Template, request: MessageRequest) -> RenderedMessage:
    """Render the `subject` and `body` blocks of one template for one request."""
    return render_blocks(template, template_context(request, template_language(template)))


def render_blocks(template: Template, variables: dict[str, Any]) -> RenderedMessage:
    """The `subject` and `body` blocks of a template, rendered with these variables (text only)."""
    for block in ("subject", "body"):
        if block not in template.blocks:
            raise ValueError(f"template {template.name!r} has no {{% block {block} %}}")
    context = template.new_context(variables)
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


def _candidates(kind: MessageKind, part: str, language: str) -> list[str]:
    """The language's own template first, then the English one."""
    names = [template_name(kind, part, language), template_name(kind, part)]
    return names if language != DEFAULT_LANGUAGE else names[1:]


def select_text_template(request: MessageRequest, env: Environment) -> Template:
    """The text template of this request's kind, in the customer's language when there is one."""
    return env.select_template(_candidates(request.kind, "txt", requested_language(request)))


def render_html(
    rendered: RenderedMessage, request: MessageRequest, env: Environment, language: str = DEFAULT_LANGUAGE
) -> str:
    """The HTML part in `language`, the language the text part was written in (its `lang`)."""
    names = [*_candidates(request.kind, "html", language), HTML_LAYOUT]
    template = env.select_template(names)
    context = template_context(request, language)
    words = LAYOUT_WORDS.get(language, LAYOUT_WORDS[DEFAULT_LANGUAGE])
    return template.render(**context, subject=rendered.subject, blocks=text_blocks(rendered.text), words=words)


def render_message(request: MessageRequest, env: Environment | None = None) -> RenderedMessage:
    """Subject, text and HTML of the message `request.kind` for this request.

    Raises jinja2.UndefinedError when a template uses a variable that is not there, and
    jinja2.TemplateNotFound when a kind has no template.
    """
    if request.kind in NEEDS_PROPOSAL and request.proposal is None:
        raise ValueError(f"a {request.kind.value} message needs the proposal")
    env = env or environment()
    template = select_text_template(request, env)
    rendered = render_template(template, request)
    html = render_html(rendered, request, env, template_language(template))
    return rendered.model_copy(update={"html": html})
