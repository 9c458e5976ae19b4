"""A local SMTP sink: accepts every message and writes it, byte for byte, to an .eml file.

The default mail server for development and tests, so nothing ever leaves the machine.
File names sort chronologically (`ls`), and carry the message kind:

    python -m starter.dev.mailsink --dir .data/mail --port 1025
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import re
import signal
import socket
import threading
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from pathlib import Path
from types import FrameType
from typing import Any

from aiosmtpd.controller import Controller

KIND_HEADER = "X-Complaintflow-Kind"

log = logging.getLogger("complaintflow.mailsink")


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (tests; port=0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def eml_filename(raw: bytes, received_at: datetime) -> str:
    """`<UTC YYYYmmddTHHMMSS.ffffff>-<kind or 'mail'>-<hash8>.eml`."""
    headers = BytesHeaderParser().parsebytes(raw)
    kind = re.sub(r"[^a-z0-9_-]+", "-", str(headers.get(KIND_HEADER, "") or "").strip().lower()).strip("-") or "mail"
    digest = hashlib.sha256(raw).hexdigest()[:8]
    return f"{received_at.astimezone(UTC):%Y%m%dT%H%M%S.%f}-{kind[:40]}-{digest}.eml"


UNKNOWN_MAILBOX_PREFIX = "nosuchuser"  # the demo and the tests use it for a mistyped address


class _Handler:
    """aiosmtpd handler: store the DATA as received, answer 250."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        """Like a real mail server, refuse a mailbox that does not exist: here, `nosuchuser…@`."""
        if address.lstrip("<").lower().startswith(UNKNOWN_MAILBOX_PREFIX):
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content or b""
        path = self.store(raw)
        log.info("stored %s (from %s to %s)", path.name, envelope.mail_from, ", ".join(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def store(self, raw: bytes) -> Path:
        """Write atomically (temp file + rename) so readers never see half a message."""
        with self._lock:
            name = eml_filename(raw, datetime.now(UTC))
            path = self.directory / name
            counter = 1
            while path.exists():
                path = self.directory / f"{name.removesuffix('.eml')}-{counter}.eml"
                counter += 1
            partial = path.with_suffix(".eml.part")
            partial.write_bytes(raw)
            os.replace(partial, path)
            return path


class MailSink:
    """Start/stop an SMTP server in a background thread; `port=0` picks a free port."""

    def __init__(self, directory: Path, host: str = "127.0.0.1", port: int = 1025) -> None:
        self.directory = Path(directory)
        self.host = host
        self.port = port or free_port(host)
        self._controller: Controller | None = None

    def start(self) -> MailSink:
        self.directory.mkdir(parents=True, exist_ok=True)
        controller = Controller(
            _Handler(self.directory),
            hostname=self.host,
            port=self.port,
            decode_data=False,
            enable_SMTPUTF8=True,
            data_size_limit=50 * 1024 * 1024,
        )
        controller.start()
        self._controller = controller
        log.info("mail sink listening on %s:%d, writing to %s", self.host, self.port, self.directory)
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def messages(self) -> list[Path]:
        """The stored .eml files, oldest first."""
        return stored_mail_files(self.directory)

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def stored_mail_files(directory: Path) -> list[Path]:
    """The .eml files a sink stored in `directory`, oldest first (named by arrival time)."""
    return sorted(directory.glob("*.eml"))


def read_mail(path: Path) -> EmailMessage:
    """One stored message, parsed with the modern email API (parts, decoded headers)."""
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m starter.dev.mailsink", description="Local SMTP sink: .eml files.")
    parser.add_argument("--dir", type=Path, default=Path(".data/mail"), help="where to write .eml files")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025, help="0 picks a free port")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command chatter

    stop = threading.Event()

    def _on_signal(signum: int, _: FrameType | None) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    sink = MailSink(args.dir, host=args.host, port=args.port).start()
    print(f"mail sink on {sink.host}:{sink.port} -> {sink.directory.resolve()}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        sink.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
