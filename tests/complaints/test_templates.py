"""Every message kind renders completely, personally, and never leaks template syntax."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import jinja2
import pytest
from markupsafe import escape

from complaints.messages import CaseBrief, MessageKind, MessageRequest, Recipient
from complaints.templates import (
    CUSTOMER_KINDS,
    NEEDS_PROPOSAL,
    STAFF_KINDS,
    TEMPLATE_DIR,
    environment,
    render_message,
    render_template,
    template_name,
)
from complaints.wording import format_money, format_when

if TYPE_CHECKING:
    from tests.fixtures_activities import MakeRequest


def flat(text: str) -> str:
    """Quoted text is wrapped for plain-text mail; compare it with whitespace collapsed."""
    return " ".join(text.split())


def test_every_kind_has_a_template() -> None:
    for kind in MessageKind:
        assert (TEMPLATE_DIR / template_name(kind)).is_file(), kind
    assert set(MessageKind) == CUSTOMER_KINDS | STAFF_KINDS
    assert not CUSTOMER_KINDS & STAFF_KINDS


# An incident notice is about an incident, not one customer's case (tested below on its own).
CASE_KINDS = [kind for kind in MessageKind if kind is not MessageKind.INCIDENT_NOTICE]


def test_an_incident_notice_says_what_it_is_about_and_whom_to_ask(make_message: MakeRequest) -> None:
    note = "Scheme v2 of the November outage needs approval: 1,240 customers, 31,000.00 GBP."
    rendered = render_message(make_message(MessageKind.INCIDENT_NOTICE, next_step="Approval wanted", note=note))
    assert rendered.subject == "Approval wanted (ACME-1042)"
    assert rendered.text.startswith("Hello Logistics,")
    assert note in flat(rendered.text)
    assert "Priya Shah (priya.shah@complaintflow.example" in rendered.text
    assert rendered.html is not None and escape(note) in flat(rendered.html)


@pytest.mark.parametrize("kind", CASE_KINDS, ids=lambda k: k.value)
def test_kind_renders_completely(kind: MessageKind, make_message: MakeRequest) -> None:
    note = "Approvers: Dana Lee (dlee), Sam Ortiz (sortiz)" if "approval" in kind.value else ""
    if kind is MessageKind.REASSIGNMENT_BRIEF:
        note = "Customer prefers calls after 17:00; the driver's report is attached to the case."
    request = make_message(kind, note=note)
    rendered = render_message(request)
    text = rendered.text

    assert rendered.subject and "\n" not in rendered.subject
    assert "ACME-1042" in rendered.subject
    for leak in ("{{", "}}", "{%", "%}", "{#"):
        assert leak not in rendered.subject and leak not in text, leak
    assert "ACME-1042" in text
    assert "Priya Shah" in text
    assert "priya.shah@complaintflow.example" in text
    if kind in CUSTOMER_KINDS:
        assert text.startswith("Dear Amelia Okafor,")
        assert "+44 20 7946 0123" in text
        assert "automated" not in text.lower() and "do not reply" not in text.lower()
    else:
        assert text.startswith("Hello Logistics,")
        assert "Amelia Okafor" in text  # the customer is named in every staff message
    if note:
        assert note in flat(text)

    html = rendered.html
    assert html is not None and html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    for leak in ("{{", "}}", "{%", "%}", "{#"):
        assert leak not in html, leak
    assert f"<title>{escape(rendered.subject)}</title>" in html
    assert "ACME-1042" in html and "Priya Shah" in html and "priya.shah@complaintflow.example" in html
    assert ("Dear Amelia Okafor," if kind in CUSTOMER_KINDS else "Hello Logistics,") in html
    if note:
        assert escape(note) in flat(html)


def test_the_html_part_says_what_the_text_says(make_message: MakeRequest) -> None:
    rendered = render_message(make_message(MessageKind.OFFER))
    html = rendered.html
    assert html is not None
    assert '<html lang="en">' in html
    remedies = ["£180.00: Refund of the two days' pay you lost.", "£50.00: A goodwill payment for the trouble caused."]
    for item in remedies:  # every remedy line of the text is a list item of the HTML
        assert f'<li style="margin:4px 0;">{escape(item)}</li>' in html
    assert "<strong>Total: £230.00</strong>" in html
    assert "<strong>How to let me know</strong>" in html
    # an item wrapped over two lines in the text is one item in the HTML
    assert "decline and tell me why; I will take your reasons back to the team and look at it again.</li>" in html


def test_the_customers_words_are_quoted_and_escaped_in_html(make_message: MakeRequest) -> None:
    request = make_message(MessageKind.ACKNOWLEDGEMENT)
    words = "The parcel <b>never</b> came & nobody called."
    request = request.model_copy(update={"case": request.case.model_copy(update={"description": words})})
    html = render_message(request).html
    assert html is not None
    assert "The parcel &lt;b&gt;never&lt;/b&gt; came &amp; nobody called." in html
    assert "<b>never</b>" not in html


@pytest.mark.parametrize(
    "kind",
    [MessageKind.ACKNOWLEDGEMENT, MessageKind.PROGRESS_UPDATE, MessageKind.DELAY_NOTICE],
    ids=lambda k: k.value,
)
def test_customer_is_told_what_happens_next_and_by_when(kind: MessageKind, make_message: MakeRequest) -> None:
    text = render_message(make_message(kind)).text
    assert "Our logistics team is checking the delivery records and the driver's report." in text
    # 17:00 UTC in November is 17:00 GMT in the customer's zone (Europe/London)
    assert "Friday 27 November 2026, 17:00 GMT" in text


def test_acknowledgement_quotes_the_customer_and_apologises(make_message: MakeRequest) -> None:
    text = render_message(make_message(MessageKind.ACKNOWLEDGEMENT)).text
    assert "sorry" in text.lower()
    assert "left it outside in the rain" in flat(text)
    assert "New cushion covers and something for the two days off work" in text
    assert "Friday 20 November 2026" in text


@pytest.mark.parametrize("kind", [MessageKind.OFFER, MessageKind.OFFER_REMINDER], ids=lambda k: k.value)
def test_offer_lists_items_and_how_to_answer(kind: MessageKind, make_message: MakeRequest) -> None:
    text = render_message(make_message(kind)).text
    assert "£180.00: Refund of the two days' pay you lost." in text
    assert "£50.00: A goodwill payment for the trouble caused." in text
    assert "Total: £230.00" in text
    for word in ("accept", "decline", "counter"):
        assert word in text.lower()
    assert "Friday 27 November 2026, 17:00 GMT" in text


def test_staff_times_are_in_utc(make_message: MakeRequest) -> None:
    text = render_message(make_message(MessageKind.INVESTIGATION_REQUEST)).text
    assert "Friday 27 November 2026, 17:00 UTC" in text
    assert "left it outside in the rain" in flat(text)
    assert "New cushion covers" in text
    assert "root cause" in text.lower()
    assert "received · by e-mail" in text  # the history


def test_approval_request_names_amount_items_approvers_and_deadline(make_message: MakeRequest) -> None:
    request = make_message(MessageKind.APPROVAL_REQUEST, note="Dana Lee (dlee), Sam Ortiz (sortiz)")
    rendered = render_message(request)
    assert "£230.00" in rendered.subject
    assert "Who may approve: Dana Lee (dlee), Sam Ortiz (sortiz)" in rendered.text
    assert "Approval level needed: manager" in rendered.text
    assert "Refund of the two days' pay you lost." in rendered.text
    assert "Decision due by: Friday 27 November 2026, 17:00 UTC" in rendered.text


def test_review_request_gives_the_reason(make_message: MakeRequest) -> None:
    text = render_message(make_message(MessageKind.REVIEW_REQUEST, note="Customer says £230 does not cover it")).text
    assert "Reason given: Customer says £230 does not cover it" in text


def test_reassignment_carries_brief_and_history(make_message: MakeRequest) -> None:
    request = make_message(
        MessageKind.REASSIGNMENT_BRIEF,
        note="Customer prefers calls after 17:00.",
        history=["Fri 20 Nov 2026 09:30 UTC · received · by e-mail", "Mon 23 Nov 2026 10:00 UTC · note · called"],
    )
    text = render_message(request).text
    assert "Customer prefers calls after 17:00." in flat(text)
    assert "Mon 23 Nov 2026 10:00 UTC · note · called" in text


def test_optional_parts_may_be_absent(make_message: MakeRequest) -> None:
    for kind in MessageKind:
        request = make_message(kind, next_step="", due=None, history=[])
        if kind not in NEEDS_PROPOSAL:
            request.proposal = None
        rendered = render_message(request)
        assert "{{" not in rendered.text and "None" not in rendered.text, kind


def test_offer_without_proposal_is_refused(make_message: MakeRequest) -> None:
    with pytest.raises(ValueError, match="needs the proposal"):
        render_message(make_message(MessageKind.OFFER, proposal=None))


def test_missing_variable_raises() -> None:
    broken = environment().from_string(
        "{% block subject %}Hello {{ customer_first_name }}{% endblock %}{% block body %}x{% endblock %}"
    )
    with pytest.raises(jinja2.UndefinedError):
        render_template(broken, _minimal_request())
    broken_attr = environment().from_string(
        "{% block subject %}s{% endblock %}{% block body %}{{ case.nickname }}{% endblock %}"
    )
    with pytest.raises(jinja2.UndefinedError):
        render_template(broken_attr, _minimal_request())


def _minimal_request() -> MessageRequest:
    return MessageRequest(
        idempotency_key="k",
        kind=MessageKind.THANK_YOU,
        to=Recipient(name="A B", email="a@example.com"),
        case=CaseBrief(
            reference="R1",
            customer_name="A B",
            customer_email="a@example.com",
            category="billing",
            priority="normal",
            description="d",
            desired_outcome=None,
            received_at=datetime(2026, 1, 1, tzinfo=UTC),
            owner_name="O",
            owner_email="o@example.com",
            owner_phone="",
            department="Billing",
            stage="Closing",
        ),
    )


def test_formatting_helpers() -> None:
    assert format_when(datetime(2026, 11, 28, 17, 0, tzinfo=UTC)) == "Saturday 28 November 2026, 17:00 UTC"
    assert format_when(datetime(2026, 7, 3, 8, 5, tzinfo=UTC), "Europe/London") == "Friday 3 July 2026, 09:05 BST"
    assert format_when(datetime(2026, 7, 3, 8, 5, tzinfo=UTC), "Not/AZone") == "Friday 3 July 2026, 08:05 UTC"
    assert format_money(1250, "GBP") == "£1,250.00"
    assert format_money(9.5, "chf") == "9.50 CHF"
