"""`complaints mail list/show`: read the mail the local SMTP sink stored under .data/mail/.

For people trying the system out and for engineers checking what a customer received;
in production the mail goes to a real SMTP server (or Mailpit in docker-compose) instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from complaints.intake import workflow_id_for
from infra.settings import Settings
from starter.cli.common import ExitCode, console, fail
from starter.dev.mailsink import read_mail, stored_mail_files

mail = typer.Typer(help="The mail the local sink received (.data/mail/), readably.", no_args_is_help=True)


@dataclass(frozen=True)
class StoredMail:
    number: int  # 1 = the oldest, as `list` shows it
    path: Path
    message: EmailMessage

    @property
    def kind(self) -> str:
        return str(self.message.get("X-Complaintflow-Kind", ""))

    @property
    def reference(self) -> str:
        return str(self.message.get("X-Complaintflow-Reference", ""))

    @property
    def sent(self) -> str:
        date = self.message.get("Date")
        return parsedate_to_datetime(str(date)).strftime("%Y-%m-%d %H:%M:%S") if date else ""

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        return str(body.get_content()) if isinstance(body, EmailMessage) else ""

    def summary(self) -> dict[str, object]:
        return {
            "number": self.number,
            "file": self.path.name,
            "sent": self.sent,
            "kind": self.kind,
            "reference": self.reference,
            "to": str(self.message.get("To", "")),
            "subject": str(self.message.get("Subject", "")),
            "message_id": str(self.message.get("Message-ID", "")),
        }


def stored_mail(mail_dir: Path) -> list[StoredMail]:
    """Every message the sink stored, oldest first."""
    return [StoredMail(n, path, read_mail(path)) for n, path in enumerate(stored_mail_files(mail_dir), start=1)]


def _matches(item: StoredMail, reference: str | None, kind: str | None) -> bool:
    if reference is not None and workflow_id_for(item.reference) != workflow_id_for(reference):
        return False
    return kind is None or item.kind == kind


@mail.command("list")
def list_mail(
    reference: Annotated[str | None, typer.Option("--reference", "-r", help="Only this complaint's mail.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind, e.g. acknowledgement.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """What the sink received, oldest first; `mail show N` prints one."""
    settings = Settings()
    items = [item for item in stored_mail(settings.mail_dir) if _matches(item, reference, kind)]
    if as_json:
        print(json.dumps([item.summary() for item in items], indent=2), flush=True)
        return
    table = Table(title=f"{len(items)} message(s) in {settings.mail_dir}", title_justify="left")
    for column in ("#", "sent (UTC)", "kind", "ref", "to", "subject"):
        table.add_column(column, no_wrap=column != "subject", overflow="fold")
    for item in items:
        to = str(item.message.get("To", ""))
        table.add_row(str(item.number), item.sent, item.kind, item.reference, to, str(item.message.get("Subject", "")))
    console.print(table)


@mail.command("show")
def show_mail(
    which: Annotated[str, typer.Argument(help="The number `mail list` shows, or the file name.")],
    html: Annotated[bool, typer.Option("--html", help="Print the HTML part instead of the text.")] = False,
) -> None:
    """One message: its headers and its text (or HTML) part."""
    settings = Settings()
    items = stored_mail(settings.mail_dir)
    chosen = next((item for item in items if which in (str(item.number), item.path.name)), None)
    if chosen is None:
        fail(ExitCode.INVALID, f"invalid input: no message {which!r} in {settings.mail_dir} ({len(items)} there)")
    for header in ("Date", "From", "To", "Subject", "Message-ID", "X-Complaintflow-Kind", "X-Complaintflow-Reference"):
        print(f"{header}: {chosen.message.get(header, '')}")
    print()
    print(chosen.part("html" if html else "plain").rstrip(), flush=True)
