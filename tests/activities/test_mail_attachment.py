"""The mailer's attachments: a file goes with the text, named, typed, byte for byte (issue 17's report)."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from activities.mailer import Attachment, attach, bodies_of, build_staff_email, deliver
from complaints.templates import RenderedMessage
from starter.dev.mailsink import MailSink, read_mail
from tests.fixtures_activities import make_settings

PAGE = '<!DOCTYPE html>\n<html lang="en"><body><p>Redress £1,234.50 · café</p>' + "x" * 2000 + "</body></html>\n"
REPORT = Attachment("complaints-report-2026-11.html", "text/html", PAGE.encode("utf-8"))


def staff_message(tmp_path: Path, port: int = 1025) -> EmailMessage:
    return build_staff_email(
        make_settings(tmp_path, port),
        to="Dana Whitfield <dana.whitfield@complaintflow.example>",
        key="monthly-report:2026-11",
        kind="monthly_report",
        reference="monthly-report:2026-11",
        rendered=RenderedMessage(subject="Complaints report for November 2026", text="Hello Dana,\n\nAttached.\n"),
        attachments=[REPORT],
    )


def check(message: EmailMessage) -> None:
    assert message.get_content_type() == "multipart/mixed"
    text, html = bodies_of(message)
    assert (text.replace("\r\n", "\n"), html) == ("Hello Dana,\n\nAttached.\n", None)  # the server's line ends
    [part] = list(message.iter_attachments())
    assert isinstance(part, EmailMessage)
    assert part.get_filename() == "complaints-report-2026-11.html"
    assert part.get_content_type() == "text/html"
    assert part.get_content_disposition() == "attachment"
    assert part.get_content_charset() == "utf-8"
    assert part.get_payload(decode=True) == PAGE.encode("utf-8")


def test_an_attachment_is_named_typed_and_kept_byte_for_byte(tmp_path: Path) -> None:
    message = staff_message(tmp_path)
    check(message)
    assert message["X-Complaintflow-Key"] == "monthly-report:2026-11"
    assert message["Message-ID"].endswith("@complaintflow.local>")
    again = message_from_bytes(message.as_bytes(), policy=policy.default)  # what goes over the wire
    assert isinstance(again, EmailMessage)
    check(again)
    assert max(len(line) for line in message.as_bytes().splitlines()) <= 78  # base64: no over-long lines


async def test_an_attachment_reaches_the_mail_server(tmp_path: Path, fresh_sink: MailSink) -> None:
    marked: list[bool] = []

    async def accepted() -> None:
        marked.append(True)

    await deliver(make_settings(tmp_path, fresh_sink.port), staff_message(tmp_path, fresh_sink.port), accepted=accepted)
    [path] = fresh_sink.messages()
    assert "-monthly_report-" in path.name and marked == [True]
    check(read_mail(path))


def test_a_content_type_must_name_both_parts() -> None:
    with pytest.raises(ValueError, match="maintype/subtype"):
        attach(EmailMessage(), Attachment("report", "html", b"<p>"))
