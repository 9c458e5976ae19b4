"""Customer messages in the customer's language (Spanish today), English as the fallback."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from jinja2 import meta
from markupsafe import escape

from complaints.messages import MessageKind, MessageRequest
from complaints.regulatory import RegulatoryAction, RegulatoryDeadline, RuleKind
from complaints.templates import (
    CUSTOMER_KINDS,
    STAFF_KINDS,
    TEMPLATE_DIR,
    environment,
    make_environment,
    primary_language,
    render_message,
    template_name,
)
from complaints.wording import DATE_WORDS, DEFAULT_LANGUAGE, LAYOUT_WORDS, format_day, format_when

if TYPE_CHECKING:
    from tests.fixtures_activities import MakeRequest

SPANISH_DIR = TEMPLATE_DIR / "es"
LEAKS = ("{{", "}}", "{%", "%}", "{#", "#}", "None")
# A few words of each Spanish subject, so that a kind rendering the English template fails.
SPANISH_SUBJECTS = {
    MessageKind.ACKNOWLEDGEMENT: "me encargo personalmente de su reclamación",
    MessageKind.PROGRESS_UPDATE: "Novedades sobre su reclamación",
    MessageKind.DELAY_NOTICE: "está tardando más de lo que le prometí",
    MessageKind.OFFER: "Nuestra propuesta para solucionarlo",
    MessageKind.OFFER_REMINDER: "Un recordatorio sobre nuestra propuesta",
    MessageKind.RESOLUTION: "Hemos resuelto su reclamación",
    MessageKind.OFFER_STANDING: "Nuestra oferta sigue en pie",
    MessageKind.FOLLOW_UP: "¿Está todo ya como debería?",
    MessageKind.SURVEY_INVITATION: "cómo gestionamos su reclamación",
    MessageKind.SURVEY_REMINDER: "Una última pregunta",
    MessageKind.THANK_YOU: "Gracias, Amelia Okafor",
    MessageKind.WITHDRAWAL_CONFIRMATION: "Hemos retirado su reclamación",
    MessageKind.INFORMATION_REQUEST: "Una consulta sobre su reclamación",
    MessageKind.HOLDING_RESPONSE: "cuáles son sus derechos",
    MessageKind.INCIDENT_OFFER: "Le hemos fallado y queremos compensarle",
}
# Kinds that show no date with the fixture's data (no due date, no received date).
UNDATED = {MessageKind.THANK_YOU, MessageKind.WITHDRAWAL_CONFIRMATION}
ENGLISH_DATE_WORDS = (*DATE_WORDS["en"].days, *DATE_WORDS["en"].months)
# Lines of English that a Spanish message may carry: the data, not the template's wording.
DATA_LINES = {
    "Priya Shah",
    "Our logistics team is checking the delivery records and the driver's report.",
    "- £180.00: Refund of the two days' pay you lost.",
    "- £50.00: A goodwill payment for the trouble caused.",
    "Total: £230.00",
}


def in_language(request: MessageRequest, language: str) -> MessageRequest:
    return request.model_copy(update={"case": request.case.model_copy(update={"customer_language": language})})


def note_for(kind: MessageKind) -> str:
    """The information request quotes its question; the others render without a note."""
    return "Could you send a photo of the stained cushions?" if kind is MessageKind.INFORMATION_REQUEST else ""


def test_spanish_covers_every_customer_kind_and_the_subjects_are_listed() -> None:
    assert set(SPANISH_SUBJECTS) == CUSTOMER_KINDS
    for kind in CUSTOMER_KINDS:
        assert (TEMPLATE_DIR / template_name(kind, language="es")).is_file(), kind


@pytest.mark.parametrize("kind", sorted(CUSTOMER_KINDS), ids=lambda k: k.value)
def test_customer_kind_renders_in_spanish(kind: MessageKind, make_message: MakeRequest) -> None:
    request = in_language(make_message(kind, note=note_for(kind)), "es")
    rendered = render_message(request)
    text, subject = rendered.text, rendered.subject

    assert SPANISH_SUBJECTS[kind] in subject
    assert "(ref. ACME-1042)" in subject
    assert text.startswith("Estimado/a Amelia Okafor:\n")
    for detail in ("ACME-1042", "Priya Shah", "priya.shah@complaintflow.example"):
        assert detail in text, detail
    assert "Un cordial saludo," in text and "Atención al Cliente, Complaintflow" in text
    if kind not in {MessageKind.SURVEY_INVITATION, MessageKind.SURVEY_REMINDER}:  # they ask for a number, not a call
        assert "+44 20 7946 0123" in text
    if kind not in UNDATED:
        assert "de noviembre de 2026" in text
    for word in ENGLISH_DATE_WORDS:
        assert word not in text, word
    for leak in LEAKS:
        assert leak not in subject and leak not in text, leak

    html = rendered.html
    assert html is not None and '<html lang="es">' in html
    assert "Estimado/a Amelia Okafor:" in html
    assert "Complaintflow · referencia ACME-1042" in html
    assert f"<title>{escape(subject)}</title>" in html
    for leak in LEAKS:
        assert leak not in html, leak


@pytest.mark.parametrize("kind", sorted(CUSTOMER_KINDS), ids=lambda k: k.value)
def test_no_english_wording_is_left_in_a_spanish_message(kind: MessageKind, make_message: MakeRequest) -> None:
    """Every line the English and Spanish messages share must be the case's own data."""
    request = make_message(kind, note=note_for(kind))
    english = render_message(request).text
    spanish = render_message(in_language(request, "es")).text
    quoted = {line.strip() for line in english.splitlines() if line.startswith("    ")}
    shared = {line.strip() for line in english.splitlines()} & {line.strip() for line in spanish.splitlines()}
    assert shared - quoted - DATA_LINES - {""} == set()


def test_spanish_offer_keeps_the_remedies_and_says_how_to_answer(make_message: MakeRequest) -> None:
    rendered = render_message(in_language(make_message(MessageKind.OFFER), "es"))
    text = rendered.text
    # the policy writes the reasons in English; they are shown as given
    assert "  - £180.00: Refund of the two days' pay you lost." in text
    assert "  Total: £230.00" in text
    for word in ("«Acepto»", "rechazarla", "contrapropuesta"):
        assert word in text, word
    assert "a más tardar el viernes 27 de noviembre de 2026, 17:00 GMT" in text
    assert "«New cushion covers and something for the two days off work»" in text
    html = rendered.html
    assert html is not None
    assert "<strong>Cómo hacerme llegar su respuesta</strong>" in html
    assert "<strong>Total: £230.00</strong>" in html


def test_spanish_acknowledgement_dates_the_complaint_and_the_next_step(make_message: MakeRequest) -> None:
    text = render_message(in_language(make_message(MessageKind.ACKNOWLEDGEMENT), "es")).text
    assert "Nos escribió el viernes 20 de noviembre de 2026:" in text
    assert "Tendrá noticias mías a más tardar el viernes 27 de noviembre de 2026, 17:00 GMT" in text
    assert "Qué ocurre ahora" in text


@pytest.mark.parametrize("rule", list(RuleKind), ids=lambda r: r.value)
def test_spanish_acknowledgement_states_the_regulators_deadline(rule: RuleKind, make_message: MakeRequest) -> None:
    deadline = RegulatoryDeadline(
        name=rule.value,
        kind=rule,
        due=datetime(2027, 1, 15, 17, 0, tzinfo=UTC),
        action=RegulatoryAction.FINAL_RESPONSE_DUE,
        description="a final response within 8 weeks of receipt",
        source="FCA Handbook DISP 1.6",
    )
    request = in_language(make_message(MessageKind.ACKNOWLEDGEMENT, regulatory=deadline), "es")
    text = render_message(request).text
    assert "La normativa que seguimos (FCA Handbook DISP 1.6)" in text
    assert "hasta el viernes 15 de enero de 2027, 17:00 GMT para enviarle" in text
    assert "a final response" not in text  # each kind of rule has its Spanish words


def test_spanish_with_nothing_optional_leaks_nothing(make_message: MakeRequest) -> None:
    for kind in CUSTOMER_KINDS:
        request = in_language(make_message(kind, next_step="", due=None, history=[], note=note_for(kind)), "es")
        text = render_message(request).text
        if kind is not MessageKind.HOLDING_RESPONSE:  # a holding response is about what happens next
            assert "Qué ocurre ahora" not in text, kind
        for leak in LEAKS:
            assert leak not in text, (kind, leak)


def test_spanish_withdrawal_hides_the_default_reason(make_message: MakeRequest) -> None:
    default = make_message(MessageKind.WITHDRAWAL_CONFIRMATION, note="withdrawn by the customer")
    assert "Nos dijo" not in render_message(in_language(default, "es")).text
    given = make_message(MessageKind.WITHDRAWAL_CONFIRMATION, note="I sorted it out with the shop")
    assert "Nos dijo: «I sorted it out with the shop»." in render_message(in_language(given, "es")).text


@pytest.mark.parametrize("tag", ["es", "es-ES", "es_MX", "ES", " es-419 "])
def test_regional_tags_use_the_primary_language(tag: str, make_message: MakeRequest) -> None:
    rendered = render_message(in_language(make_message(MessageKind.ACKNOWLEDGEMENT), tag))
    assert rendered.text.startswith("Estimado/a Amelia Okafor:")
    assert rendered.html is not None and '<html lang="es">' in rendered.html


@pytest.mark.parametrize("tag", ["fr", "fr-CA", "", "e", "../es", "es/..", "zz-ZZ"])
def test_a_language_without_templates_falls_back_to_english(tag: str, make_message: MakeRequest) -> None:
    rendered = render_message(in_language(make_message(MessageKind.PROGRESS_UPDATE), tag))
    assert rendered.subject == "An update on your complaint (ref ACME-1042)"
    assert rendered.text.startswith("Dear Amelia Okafor,")
    assert "Friday 27 November 2026, 17:00 GMT" in rendered.text
    # the HTML declares the language it is written in, not the one asked for
    assert rendered.html is not None and '<html lang="en">' in rendered.html
    assert "Complaintflow · reference ACME-1042" in rendered.html


def test_a_kind_without_a_translation_falls_back_to_english_on_its_own(
    tmp_path: Path, make_message: MakeRequest
) -> None:
    directory = tmp_path / "templates"
    shutil.copytree(TEMPLATE_DIR, directory)
    (directory / "es" / template_name(MessageKind.OFFER)).unlink()
    env = make_environment(directory)
    offer = render_message(in_language(make_message(MessageKind.OFFER), "es"), env)
    assert offer.text.startswith("Dear Amelia Okafor,")
    assert "Friday 27 November 2026, 17:00 GMT" in offer.text
    assert offer.html is not None and '<html lang="en">' in offer.html
    thanks = render_message(in_language(make_message(MessageKind.THANK_YOU), "es"), env)
    assert thanks.text.startswith("Estimado/a Amelia Okafor:")


@pytest.mark.parametrize("kind", sorted(STAFF_KINDS - {MessageKind.INCIDENT_NOTICE}), ids=lambda k: k.value)
def test_staff_messages_stay_english_for_a_spanish_customer(kind: MessageKind, make_message: MakeRequest) -> None:
    rendered = render_message(in_language(make_message(kind), "es"))
    assert rendered.text.startswith("Hello Logistics,")
    assert "Received:    Friday 20 November 2026, 09:30 UTC" in rendered.text
    assert "de noviembre" not in rendered.text and "Estimado" not in rendered.text
    assert rendered.html is not None and '<html lang="en">' in rendered.html


def test_every_translated_file_has_an_english_original() -> None:
    for language_dir in (path for path in TEMPLATE_DIR.iterdir() if path.is_dir()):
        files = list(language_dir.rglob("*"))
        assert files, language_dir
        for path in files:
            assert path.is_file() and path.parent == language_dir, path  # no nested folders
            assert (TEMPLATE_DIR / path.name).is_file(), f"{path} has no English original"
            if not path.name.startswith("_"):  # a kind: only customer kinds are translated
                kind = MessageKind(path.name.removesuffix(".txt.j2").removesuffix(".html.j2"))
                assert kind in CUSTOMER_KINDS, path


def test_every_language_has_its_date_and_layout_words() -> None:
    languages = {path.name for path in TEMPLATE_DIR.iterdir() if path.is_dir()} | {DEFAULT_LANGUAGE}
    assert languages == {"en", "es"}
    assert languages <= DATE_WORDS.keys() and languages <= LAYOUT_WORDS.keys()


def test_translated_templates_include_only_translated_partials() -> None:
    env = environment()
    for path in SPANISH_DIR.glob("*.j2"):
        source = path.read_text(encoding="utf-8")
        included = list(meta.find_referenced_templates(env.parse(source)))
        assert None not in included, f"{path.name}: an include by variable cannot be checked"
        for name in included:
            assert name is not None and name.startswith("es/"), f"{path.name} includes {name}"
            assert (TEMPLATE_DIR / name).is_file(), name


def test_primary_language() -> None:
    assert primary_language("es") == "es"
    assert primary_language("es-ES") == "es"
    assert primary_language("es_MX") == "es"
    assert primary_language(" ES-419 ") == "es"
    assert primary_language("") == "en"
    assert primary_language("../etc") == "en"
    assert primary_language("x") == "en"


def test_spanish_dates() -> None:
    instant = datetime(2026, 11, 23, 10, 13, tzinfo=UTC)
    assert format_when(instant, "Europe/London", "es") == "lunes 23 de noviembre de 2026, 10:13 GMT"
    assert format_when(instant, "Europe/Madrid", "es") == "lunes 23 de noviembre de 2026, 11:13 CET"
    assert format_day(instant, "UTC", "es") == "lunes 23 de noviembre de 2026"
    assert format_day(datetime(2026, 8, 1, 23, 30, tzinfo=UTC), "Europe/Madrid", "es") == "domingo 2 de agosto de 2026"
    assert format_day(datetime(2026, 9, 16, tzinfo=UTC), "UTC", "es") == "miércoles 16 de septiembre de 2026"
    assert format_day(datetime(2026, 2, 28, tzinfo=UTC), "UTC", "es") == "sábado 28 de febrero de 2026"
    # an unknown language gets the English words rather than an error
    assert format_when(instant, "Europe/London", "fr") == "Monday 23 November 2026, 10:13 GMT"
    assert format_day(instant) == "Monday 23 November 2026"


def test_every_month_and_weekday_has_its_spanish_name() -> None:
    months = {format_day(datetime(2026, month, 1, tzinfo=UTC), "UTC", "es").split(" de ")[1] for month in range(1, 13)}
    assert months == set(DATE_WORDS["es"].months)
    assert len(months) == 12
    weekdays = {format_day(datetime(2026, 11, day, tzinfo=UTC), "UTC", "es").split()[0] for day in range(1, 8)}
    assert weekdays == {"lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"}


FCA_SUMMARY = RegulatoryDeadline(
    name="summary_resolution",
    kind=RuleKind.SUMMARY_RESOLUTION,
    due=datetime(2026, 11, 26, 17, 30, tzinfo=UTC),
    action=RegulatoryAction.SUMMARY_RESOLUTION_DUE,
    description="resolve by close of business on the third business day after receipt",
    referral_right="Financial Ombudsman Service",
    source="FCA DISP 1.5.1R",
)
FCA_FINAL = FCA_SUMMARY.model_copy(
    update={
        "name": "final_response",
        "kind": RuleKind.FINAL_RESPONSE,
        "action": RegulatoryAction.HOLDING_RESPONSE,
        "referral_right": "Financial Ombudsman Service within 6 months of the final response (DISP 2.8.2R)",
    }
)


@pytest.mark.parametrize(
    ("language", "kind", "deadline", "expected"),
    [
        ("en", MessageKind.RESOLUTION, FCA_SUMMARY, "This letter is our summary resolution communication"),
        ("es", MessageKind.RESOLUTION, FCA_SUMMARY, "Esta carta es nuestra comunicación de resolución sumaria"),
        ("en", MessageKind.RESOLUTION, FCA_FINAL, "This letter is our final response to your complaint."),
        ("es", MessageKind.RESOLUTION, FCA_FINAL, "Esta carta es nuestra respuesta definitiva a su reclamación."),
        ("en", MessageKind.HOLDING_RESPONSE, FCA_FINAL, "You have the right to refer your complaint to the Financial"),
        ("es", MessageKind.HOLDING_RESPONSE, FCA_FINAL, "Tiene derecho a remitir su reclamación al Financial"),
    ],
)
def test_the_regulator_is_worded_by_the_template_in_the_customers_language(
    language: str, kind: MessageKind, deadline: RegulatoryDeadline, expected: str, make_message: MakeRequest
) -> None:
    request = in_language(make_message(kind, next_step="", regulatory=deadline), language)
    text = " ".join(render_message(request).text.split())
    assert expected in text
    assert "Ombudsman Service" in text


def test_spanish_messages_carry_no_english_next_step_from_the_workflow(make_message: MakeRequest) -> None:
    english = "I have asked our Logistics team to look into what happened"
    for kind in CUSTOMER_KINDS:
        text = render_message(in_language(make_message(kind, next_step=english), "es")).text
        assert english not in " ".join(text.split()), kind
    acknowledgement = render_message(in_language(make_message(MessageKind.ACKNOWLEDGEMENT), "es")).text
    assert "He pedido a nuestro equipo de" in acknowledgement
