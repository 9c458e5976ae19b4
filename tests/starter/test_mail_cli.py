"""`complaints mail list/show` reads what the sink stored, as a person would want to see it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from activities.mailer import build_email
from complaints.messages import MessageKind
from complaints.templates import render_message
from infra.settings import Settings
from starter.cli import app
from starter.dev.mailsink import _Handler

if TYPE_CHECKING:
    from tests.fixtures_activities import MakeRequest


@pytest.fixture
def data_dir_with_mail(tmp_path: Path, make_message: MakeRequest) -> Path:
    """Two messages stored by the sink's own writer, as `make run` leaves them."""
    settings = Settings(data_dir=tmp_path)
    store = _Handler(settings.mail_dir)
    settings.mail_dir.mkdir(parents=True)
    for kind in (MessageKind.ACKNOWLEDGEMENT, MessageKind.INVESTIGATION_REQUEST):
        request = make_message(kind, idempotency_key=f"complaint-ACME-1042:{kind.value}:1")
        store.store(build_email(settings, request, render_message(request)).as_bytes())
    return tmp_path


def run(data_dir: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COMPLAINTS_DATA_DIR": str(data_dir), "COLUMNS": "200"})
    return result.exit_code, result.output


def test_mail_list_shows_each_message_oldest_first(data_dir_with_mail: Path) -> None:
    code, output = run(data_dir_with_mail, "mail", "list")
    assert code == 0, output
    assert "2 message(s)" in output
    ack, request = output.index("acknowledgement"), output.index("investigation_request")
    assert ack < request
    assert "Amelia Okafor <amelia.okafor@example.com>" in output and "ACME-1042" in output


def test_mail_list_filters_by_reference_and_kind_as_json(data_dir_with_mail: Path) -> None:
    code, output = run(
        data_dir_with_mail, "mail", "list", "--reference", "complaint-ACME-1042", "--kind", "acknowledgement", "--json"
    )
    assert code == 0, output
    [row] = json.loads(output)
    assert row["number"] == 1 and row["kind"] == "acknowledgement" and row["reference"] == "ACME-1042"
    assert row["message_id"].endswith("@complaintflow.local>")
    code, output = run(data_dir_with_mail, "mail", "list", "--reference", "OTHER-1", "--json")
    assert json.loads(output) == []


def test_mail_show_prints_headers_and_the_text_or_html(data_dir_with_mail: Path) -> None:
    code, text = run(data_dir_with_mail, "mail", "show", "1")
    assert code == 0, text
    assert "Subject: " in text and "X-Complaintflow-Kind: acknowledgement" in text
    assert "\nDear Amelia Okafor," in text and "<html" not in text
    code, html = run(data_dir_with_mail, "mail", "show", "1", "--html")
    assert code == 0 and "<!DOCTYPE html>" in html and "Dear Amelia Okafor," in html


def test_mail_show_of_a_missing_message_says_so(data_dir_with_mail: Path) -> None:
    code, output = run(data_dir_with_mail, "mail", "show", "7")
    assert code == 2
    assert "no message '7'" in output and "(2 there)" in output
