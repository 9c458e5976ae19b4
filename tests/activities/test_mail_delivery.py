"""send_message against a real SMTP server: headers, deduplication, retryable and permanent failures."""

from __future__ import annotations

import asyncio
import hashlib
from email.message import EmailMessage
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.exc import OperationalError
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities import ComplaintActivities
from activities import outbox as outbox_module
from activities.mailer import deliver
from complaints.messages import MessageKind
from starter.dev.mailsink import MailSink, free_port, read_mail

if TYPE_CHECKING:
    from collections.abc import Callable

    from infra.settings import Settings
    from tests.fixtures_activities import MakeRequest


async def test_message_is_delivered_with_headers(
    sqlite_activities: ComplaintActivities, fresh_sink: MailSink, make_message: MakeRequest
) -> None:
    request = make_message(MessageKind.ACKNOWLEDGEMENT, idempotency_key="complaint-ACME-1042:acknowledgement:1")
    receipt = await ActivityEnvironment().run(sqlite_activities.send_message, request)

    digest = hashlib.sha256(b"complaint-ACME-1042:acknowledgement:1").hexdigest()[:32]
    assert receipt.message_id == f"<{digest}@complaintflow.local>"
    assert not receipt.already_sent
    [path] = fresh_sink.messages()
    assert "-acknowledgement-" in path.name
    mail = read_mail(path)
    assert mail["Message-ID"] == receipt.message_id
    assert mail["X-Complaintflow-Kind"] == "acknowledgement"
    assert mail["X-Complaintflow-Reference"] == "ACME-1042"
    assert mail["X-Complaintflow-Key"] == "complaint-ACME-1042:acknowledgement:1"
    assert mail["To"] == "Amelia Okafor <amelia.okafor@example.com>"
    assert mail["From"] == "Complaintflow Customer Care <care@complaintflow.example>"
    assert "ACME-1042" in mail["Subject"] and "sorry" in mail["Subject"].lower()
    assert mail.get_content_type() == "multipart/alternative"  # text for every client, HTML for most
    text_part, html_part = mail.get_body(("plain",)), mail.get_body(("html",))
    assert text_part is not None and html_part is not None
    body = text_part.get_content()
    assert body.startswith("Dear Amelia Okafor,")
    assert "Priya Shah" in body and "+44 20 7946 0123" in body
    html = html_part.get_content()
    assert html.startswith("<!DOCTYPE html>") and "Dear Amelia Okafor," in html and "+44 20 7946 0123" in html

    entry = await sqlite_activities.outbox.get(request.idempotency_key)
    assert entry is not None
    assert (entry.status, entry.attempts, entry.last_error) == ("sent", 1, None)
    assert entry.sent_at is not None and entry.subject == mail["Subject"]


async def test_same_key_is_delivered_once(
    sqlite_activities: ComplaintActivities, fresh_sink: MailSink, make_message: MakeRequest
) -> None:
    request = make_message(MessageKind.OFFER)
    env = ActivityEnvironment()
    first = await env.run(sqlite_activities.send_message, request)
    second = await env.run(sqlite_activities.send_message, request)
    assert not first.already_sent
    assert second.already_sent
    assert second.message_id == first.message_id
    assert len(fresh_sink.messages()) == 1
    entry = await sqlite_activities.outbox.get(request.idempotency_key)
    assert entry is not None and entry.status == "sent" and entry.attempts == 1


async def test_server_down_is_a_retryable_failure(
    tmp_path: Path, make_message: MakeRequest, settings_on_port: Callable[[int], Settings]
) -> None:
    port = free_port()
    activities = ComplaintActivities(settings_on_port(port))
    await activities.prepare()
    request = make_message(MessageKind.PROGRESS_UPDATE)
    env = ActivityEnvironment()
    try:
        with pytest.raises(ApplicationError) as failure:
            await env.run(activities.send_message, request)
        assert not failure.value.non_retryable
        assert failure.value.type == "TemporaryDeliveryFailure"
        entry = await activities.outbox.get(request.idempotency_key)
        assert entry is not None
        assert entry.status == "pending" and entry.attempts == 1 and entry.last_error

        with MailSink(tmp_path / "mail", port=port) as sink:  # the server comes back: the retry succeeds
            receipt = await env.run(activities.send_message, request)
            assert not receipt.already_sent
            assert len(sink.messages()) == 1
        entry = await activities.outbox.get(request.idempotency_key)
        assert entry is not None
        assert (entry.status, entry.attempts, entry.last_error) == ("sent", 2, None)
    finally:
        await activities.close()


class RefuseRecipients:
    """An SMTP server that knows nobody: 550 for every RCPT TO."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        return f"550 5.1.1 <{address}>: mailbox unavailable"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # pragma: no cover
        return "250 OK"


async def test_refused_recipient_is_a_permanent_failure(
    make_message: MakeRequest, settings_on_port: Callable[[int], Settings]
) -> None:
    port = free_port()
    controller = Controller(RefuseRecipients(), hostname="127.0.0.1", port=port)
    controller.start()
    activities = ComplaintActivities(settings_on_port(port))
    await activities.prepare()
    request = make_message(MessageKind.THANK_YOU)
    try:
        with pytest.raises(ApplicationError) as failure:
            await ActivityEnvironment().run(activities.send_message, request)
        assert failure.value.non_retryable
        assert failure.value.type == "PermanentDeliveryFailure"
        assert "550" in str(failure.value)
        entry = await activities.outbox.get(request.idempotency_key)
        assert entry is not None
        assert entry.status == "failed" and entry.last_error and "550" in entry.last_error
    finally:
        controller.stop()
        await activities.close()


async def test_unrenderable_message_is_not_retried(
    sqlite_activities: ComplaintActivities, fresh_sink: MailSink, make_message: MakeRequest
) -> None:
    request = make_message(MessageKind.OFFER, proposal=None)
    with pytest.raises(ApplicationError) as failure:
        await ActivityEnvironment().run(sqlite_activities.send_message, request)
    assert failure.value.non_retryable and failure.value.type == "TemplateError"
    assert fresh_sink.messages() == []


def failing_mark(activities: ComplaintActivities, failures: int, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make the outbox's sent mark fail `failures` times (as a locked database does); the calls."""
    calls: list[str] = []
    mark_sent = activities.outbox.mark_sent

    async def flaky(key: str) -> None:
        calls.append(key)
        if len(calls) <= failures:
            raise OperationalError("UPDATE outbox", {}, Exception("database is locked"))
        await mark_sent(key)

    monkeypatch.setattr(activities.outbox, "mark_sent", flaky)
    return calls


async def test_a_failed_sent_mark_after_delivery_is_retried_and_never_sends_again(
    sqlite_activities: ComplaintActivities,
    fresh_sink: MailSink,
    make_message: MakeRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(outbox_module, "MARK_SENT_PAUSES", (0.0, 0.0, 0.0))
    calls = failing_mark(sqlite_activities, 2, monkeypatch)
    request = make_message(MessageKind.OFFER)
    env = ActivityEnvironment()

    first = await env.run(sqlite_activities.send_message, request)  # 250, then the mark fails twice
    again = await env.run(sqlite_activities.send_message, request)  # as Temporal would retry

    assert len(calls) == 3 and not first.already_sent and again.already_sent
    [path] = fresh_sink.messages()
    assert read_mail(path)["Message-ID"] == first.message_id == again.message_id
    entry = await sqlite_activities.outbox.get(request.idempotency_key)
    assert entry is not None and entry.status == "sent"


async def test_a_sent_mark_that_cannot_be_written_does_not_fail_the_delivered_message(
    sqlite_activities: ComplaintActivities,
    fresh_sink: MailSink,
    make_message: MakeRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(outbox_module, "MARK_SENT_PAUSES", (0.0, 0.0))
    calls = failing_mark(sqlite_activities, 100, monkeypatch)
    request = make_message(MessageKind.OFFER)

    receipt = await ActivityEnvironment().run(sqlite_activities.send_message, request)

    assert len(calls) == 3 and not receipt.already_sent  # tried three times, and the activity succeeded
    [path] = fresh_sink.messages()
    assert read_mail(path)["Message-ID"] == receipt.message_id


class SlowToSayGoodbye:
    """An SMTP server that takes the message, then answers QUIT with an error after a pause; it
    notes whether the outbox had already marked the message sent when QUIT arrived."""

    def __init__(self, activities: ComplaintActivities, key: str) -> None:
        self._activities, self._key = activities, key
        self.status_at_quit: str | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "250 OK"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        entry = await self._activities.outbox.get(self._key)
        self.status_at_quit = entry.status if entry else None
        await asyncio.sleep(0.2)
        return "421 closing anyway"


async def test_the_sent_mark_is_written_before_quit_and_a_failed_quit_changes_nothing(
    make_message: MakeRequest, settings_on_port: Callable[[int], Settings]
) -> None:
    """A kill between the server's 250 and the sent mark sends the message again: that gap must
    not wait for QUIT's round trip."""
    port = free_port()
    activities = ComplaintActivities(settings_on_port(port))
    await activities.prepare()
    request = make_message(MessageKind.OFFER)
    server = SlowToSayGoodbye(activities, request.idempotency_key)
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        receipt = await ActivityEnvironment().run(activities.send_message, request)
        assert not receipt.already_sent
        assert server.status_at_quit == "sent"
        entry = await activities.outbox.get(request.idempotency_key)
        assert entry is not None and (entry.status, entry.attempts) == ("sent", 1)
    finally:
        controller.stop()
        await activities.close()


class NotesData:
    """An SMTP server that takes everything and notes each DATA it is handed, in order."""

    def __init__(self, events: list[str]) -> None:
        self._events = events

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self._events.append(f"data {envelope.rcpt_tos[0]}")
        return "250 OK"


async def test_one_message_at_a_time_is_between_the_servers_250_and_its_sent_mark(
    settings_on_port: Callable[[int], Settings],
) -> None:
    """Many messages on their way at once; a kill may catch only one between 250 and its mark,
    so one SIGKILL costs at most one duplicate."""
    port = free_port()
    events: list[str] = []
    controller = Controller(NotesData(events), hostname="127.0.0.1", port=port)
    controller.start()
    settings = settings_on_port(port)

    async def slow_mark(recipient: str) -> None:
        events.append(f"mark {recipient}")
        await asyncio.sleep(0.2)  # a slow database: the others' hand-over waits, not their connection

    def message(recipient: str) -> EmailMessage:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "care@complaintflow.example", recipient, "hello"
        mail.set_content("hello")
        return mail

    recipients = [f"customer{n}@example.com" for n in range(4)]
    try:
        await asyncio.gather(*(deliver(settings, message(r), accepted=partial(slow_mark, r)) for r in recipients))
    finally:
        controller.stop()
    assert sorted(events) == sorted([f"data {r}" for r in recipients] + [f"mark {r}" for r in recipients])
    for data, mark in zip(events[::2], events[1::2], strict=True):
        assert data.startswith("data ") and mark == "mark " + data.removeprefix("data "), events
