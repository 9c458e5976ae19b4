"""The local SMTP sink stores each message received, byte for byte, as one .eml file."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib

from starter.dev.mailsink import MailSink, free_port
from tests.support import PATIENCE

NAME = re.compile(r"^\d{8}T\d{6}\.\d{6}-(?P<kind>[a-z0-9_-]+)-[0-9a-f]{8}\.eml$")


def message(kind: str | None = "offer") -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "Complaintflow Customer Care <care@complaintflow.example>"
    mail["To"] = "Zoë Müller <zoe@example.com>"
    mail["Subject"] = "Our offer to put things right (ref ACME-7)"
    mail["Message-ID"] = "<abc123@complaintflow.local>"
    if kind:
        mail["X-Complaintflow-Kind"] = kind
    mail.set_content("Dear Zoë,\n\n.A line starting with a dot survives.\n\nWith kind regards,\nPriya\n")
    return mail


async def test_one_message_one_eml(fresh_sink: MailSink, sink_dir: Path) -> None:
    mail = message()
    await aiosmtplib.send(mail, hostname=fresh_sink.host, port=fresh_sink.port)

    [path] = fresh_sink.messages()
    assert path.parent == sink_dir
    match = NAME.match(path.name)
    assert match and match["kind"] == "offer"
    raw = path.read_bytes()
    assert raw.replace(b"\r\n", b"\n") == mail.as_bytes().replace(b"\r\n", b"\n")
    assert b"Subject: Our offer to put things right (ref ACME-7)" in raw
    assert b"\n.A line starting with a dot survives." in raw.replace(b"\r\n", b"\n")


async def test_names_sort_chronologically_and_default_to_mail(fresh_sink: MailSink) -> None:
    await aiosmtplib.send(message("survey_invitation"), hostname=fresh_sink.host, port=fresh_sink.port)
    await aiosmtplib.send(message(None), hostname=fresh_sink.host, port=fresh_sink.port)
    first, second = fresh_sink.messages()
    assert "-survey_invitation-" in first.name
    assert "-mail-" in second.name
    assert first.name < second.name


def test_main_runs_until_sigterm(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "starter.dev.mailsink", "--dir", str(tmp_path / "mail"), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert f"127.0.0.1:{port}" in line
        import smtplib

        with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
            client.send_message(message("thank_you"))
        deadline = time.monotonic() + PATIENCE
        while not list((tmp_path / "mail").glob("*.eml")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(list((tmp_path / "mail").glob("*-thank_you-*.eml"))) == 1
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
