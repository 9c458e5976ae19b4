"""The `complaints` CLI refuses bad input before touching Temporal, and its exit codes hold.

Every command here runs as a real subprocess pointed at a port where nothing listens: if a
command tried to start anything it would fail with exit 4 (cannot reach Temporal), so exit 2
proves validation came first and nothing was sent.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support import PATIENCE

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = PROJECT_ROOT / "examples" / "complaint.json"

EXIT_REFUSED, EXIT_INVALID, EXIT_UNKNOWN, EXIT_UNREACHABLE, EXIT_FAILED = 1, 2, 3, 4, 5


def _unused_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


DEAD_ADDRESS = f"127.0.0.1:{_unused_port()}"


def complaints(
    *args: str, stdin: str | None = None, address: str = DEAD_ADDRESS, settings: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "COMPLAINTS_"))}
    env.update(settings or {})
    env["TEMPORAL_ADDRESS"] = address
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "starter.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=PATIENCE,  # a cold start of the CLI on a loaded machine
    )


def valid_complaint(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLE.read_text())
    data.update(changes)
    return data


def _without_email() -> dict[str, Any]:
    data = valid_complaint()
    del data["customer"]["email"]
    return data


def _with_email(email: str) -> dict[str, Any]:
    data = valid_complaint()
    data["customer"]["email"] = email
    return data


BAD_INPUTS: list[tuple[str, str, list[str]]] = [
    ("malformed-json", '{"id": "C-1", "customer": ', ["malformed JSON", "line 1"]),
    ("not-an-object", '"C-1"', ["expected a JSON object"]),
    ("missing-email", json.dumps(_without_email()), ["customer.email", "Field required"]),
    ("malformed-email", json.dumps(_with_email("ada-at-example")), ["customer.email"]),
    ("negative-amount", json.dumps(valid_complaint(claimed_amount=-5)), ["claimed_amount", "greater than or equal"]),
    ("unknown-priority", json.dumps(valid_complaint(priority="asap")), ["priority"]),
    ("unknown-category", json.dumps(valid_complaint(category="weather")), ["category"]),
    ("unknown-field", json.dumps(valid_complaint(colour="red")), ["colour", "Extra inputs"]),
    ("empty-list", "[]", ["empty"]),
    (
        "duplicate-ids",
        json.dumps([valid_complaint(), valid_complaint(description="again")]),
        ["id", "C-1001", "appears twice"],
    ),
    (
        "one-bad-in-list",
        json.dumps([valid_complaint(), valid_complaint(id="C-2", priority="asap")]),
        ["complaint 1.priority"],
    ),
]


@pytest.mark.parametrize(("case", "text", "expected"), BAD_INPUTS, ids=[case for case, _, _ in BAD_INPUTS])
def test_start_refuses_bad_input_before_connecting(case: str, text: str, expected: list[str]) -> None:
    result = complaints("start", "-", stdin=text)
    assert result.returncode == EXIT_INVALID, result.stderr
    assert result.stdout == ""
    for fragment in expected:
        assert fragment in result.stderr
    assert "cannot reach" not in result.stderr


def _with_customer(**changes: str) -> dict[str, Any]:
    data = valid_complaint()
    data["customer"].update(changes)
    return data


def _ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


# What a case would fail on for ever is refused at intake, before anything is sent (issue 14).
STUCK_INPUTS: list[tuple[str, str, str]] = [
    ("unknown-zone", json.dumps(_with_customer(timezone="Mars/Olympus")), "customer.timezone: Value error, unknown"),
    ("crlf-in-name", json.dumps(_with_customer(name="Ada\r\nBcc: x@example.com")), "customer.name: Value error"),
    ("nul-in-name", json.dumps(_with_customer(name="Ada\u0000")), "customer.name: Value error, must not contain"),
    (
        "arabic-indic-digits",
        json.dumps(valid_complaint(claimed_amount="\u0661\u0662\u0663")),
        "claimed_amount: Input should be a decimal written with the digits 0-9",
    ),
    ("exponent", json.dumps(valid_complaint(claimed_amount="1e3")), "claimed_amount: Input should be a plain"),
    ("three-places", json.dumps(valid_complaint(claimed_amount="1.005")), "claimed_amount: Decimal input should"),
    (
        "unknown-profile",
        json.dumps(valid_complaint(regulatory_profile="eu-psd2")),
        "regulatory_profile: unknown regulatory profile 'eu-psd2'; known: internal, uk-fca-disp, us-cfpb",
    ),
    ("year-9999", json.dumps(valid_complaint(received_at="9999-12-31T23:59:59Z")), "received_at: is "),
    ("year-1900", json.dumps(valid_complaint(received_at="1900-01-01T00:00:00Z")), "received_at: is "),
    ("epoch-0", json.dumps(valid_complaint(received_at=0)), "received_at: is 20"),
    (
        "one-stuck-in-a-list",
        json.dumps([valid_complaint(), valid_complaint(id="C-2", regulatory_profile="eu-psd2")]),
        "complaint 1.regulatory_profile: unknown regulatory profile",
    ),
]


@pytest.mark.parametrize(("case", "text", "expected"), STUCK_INPUTS, ids=[case for case, _, _ in STUCK_INPUTS])
def test_start_refuses_what_would_stick_a_case_before_connecting(case: str, text: str, expected: str) -> None:
    result = complaints("start", "-", stdin=text)
    assert result.returncode == EXIT_INVALID, result.stderr
    assert result.stdout == ""
    assert f"invalid input: {expected}" in result.stderr
    assert "cannot reach" not in result.stderr


def test_the_intake_window_comes_from_the_settings() -> None:
    two_days_old = json.dumps(valid_complaint(received_at=_ago(days=2)))

    narrow = complaints("start", "-", stdin=two_days_old, settings={"COMPLAINTS_INTAKE_MAX_AGE": "P1D"})
    default = complaints("start", "-", stdin=two_days_old)

    assert narrow.returncode == EXIT_INVALID, narrow.stderr
    # "2 days ago", or "2 days 1 second ago" when the CLI starts slowly: the age is measured when it runs
    assert "invalid input: received_at: is 2 days " in narrow.stderr
    assert "complaints received in the last 1 day are taken" in narrow.stderr
    assert default.returncode == EXIT_UNREACHABLE, default.stderr  # taken, so it tried to send it


def test_an_intake_setting_that_is_not_a_duration_is_exit_2_naming_it() -> None:
    result = complaints("start", str(EXAMPLE), settings={"COMPLAINTS_INTAKE_CLOCK_SKEW": "five minutes"})

    assert result.returncode == EXIT_INVALID, result.stderr
    assert "invalid settings: COMPLAINTS_INTAKE_CLOCK_SKEW: Input should be a valid timedelta" in result.stderr
    assert "cannot reach" not in result.stderr


def test_profiles_are_checked_against_the_workers_rules_file(tmp_path: Path) -> None:
    """The rules file is the one the worker loads (COMPLAINTS_RULES_FILE); unreadable, nothing is sent."""
    missing = tmp_path / "nope.toml"

    result = complaints("start", str(EXAMPLE), settings={"COMPLAINTS_RULES_FILE": str(missing)})

    assert result.returncode == EXIT_FAILED, result.stderr
    assert f"cannot check complaints against the rules in {missing}" in result.stderr
    assert "cannot reach" not in result.stderr


def test_start_reads_a_file_and_validates_it(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(valid_complaint(claimed_amount=-1)))
    result = complaints("start", str(bad))
    assert result.returncode == EXIT_INVALID
    assert "claimed_amount" in result.stderr


def test_start_missing_file_is_invalid_input(tmp_path: Path) -> None:
    result = complaints("start", str(tmp_path / "nope.json"))
    assert result.returncode == EXIT_INVALID
    assert "cannot read" in result.stderr


def test_valid_input_is_sent_so_an_unreachable_server_is_exit_4() -> None:
    """The counterpart of the tests above: valid input does try to reach Temporal."""
    result = complaints("start", str(EXAMPLE))
    assert result.returncode == EXIT_UNREACHABLE, result.stderr
    assert DEAD_ADDRESS in result.stderr
    assert result.stdout == ""


FINDINGS = [
    "admin",
    "findings",
    "C-1001",
    "--by",
    "alex",
    "--summary",
    "s",
    "--root-cause",
    "r",
    "--cause",
    "billing.wrong-amount",
]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["admin", "amend", "C-1001", "--by", "tl-jordan", "--amount", "-5", "--reason", "x"],
            "amount: Input should be greater than or equal to 0",
        ),
        (["admin", "feedback", "C-1001", "--csat", "9"], "csat: Input should be less than or equal to 5"),
        (["admin", "feedback", "C-1001", "--csat", "0"], "csat"),
        (
            [*FINDINGS, "--severity", "7"],
            "severity",
        ),
        (
            [*FINDINGS, "--severity", "3", "--loss", "lots"],
            "financial_loss (--loss)",
        ),
        (["admin", "offer-response", "C-1001", "counter", "--amount", "-1"], "counter_amount (--amount)"),
        (["admin", "note", "C-1001", "   ", "--by", "alex"], "text"),
        (["admin", "reject", "C-1001", "--by", "tl-jordan", "--reason", ""], "reason"),
        (["admin", "contact", "C-1001", "--by", "alex"], "give either a corrected email or another channel"),
        (["admin", "contact", "C-1001", "--by", "alex", "--email", "ada@"], "email (--email)"),
        (["admin", "ask", "C-1001", "--by", "alex", "--questions", " "], "questions"),
        (["admin", "message", "C-1001", ""], "text"),
    ],
    ids=[
        "amend-negative",
        "csat-9",
        "csat-0",
        "severity-7",
        "loss-not-a-number",
        "counter-negative",
        "blank-note",
        "blank-reason",
        "contact-neither",
        "contact-bad-email",
        "blank-question",
        "blank-customer-message",
    ],
)
def test_admin_refuses_bad_fields_before_connecting(args: list[str], expected: str) -> None:
    result = complaints(*args)
    assert result.returncode == EXIT_INVALID, result.stderr
    assert expected in result.stderr
    assert "cannot reach" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["no-such-command"],
        ["admin", "approve", "C-1001"],  # --by is required
        ["admin", "offer-response", "C-1001", "maybe"],
        ["admin", "feedback", "C-1001", "--csat", "five"],
    ],
    ids=["unknown-command", "missing-option", "bad-choice", "not-an-int"],
)
def test_usage_errors_are_exit_2(args: list[str]) -> None:
    assert complaints(*args).returncode == EXIT_INVALID


def test_unreachable_server_is_exit_4_naming_the_address() -> None:
    result = complaints("admin", "approve", "C-1001", "--by", "tl-jordan")
    assert result.returncode == EXIT_UNREACHABLE
    assert f"cannot reach Temporal at {DEAD_ADDRESS}" in result.stderr
    assert result.stdout == ""


def test_help_documents_the_exit_codes() -> None:
    result = complaints("--help")
    assert result.returncode == 0
    for code in ("0  success", "1  refused", "2  invalid input", "3  unknown complaint", "4  cannot reach"):
        assert code in result.stdout


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["admin", "show", "C-1001"], EXIT_UNREACHABLE),
        (["start", str(EXAMPLE)], EXIT_UNREACHABLE),
        (["admin", "amend", "C-1", "--by", "x", "--amount", "-5", "--reason", "r"], EXIT_INVALID),
        (["--help"], 0),
    ],
    ids=["show", "start", "invalid", "help"],
)
def test_exit_codes_are_the_same_every_time(args: list[str], code: int) -> None:
    """The SDK can abort the interpreter at exit (TEMPORAL_NOTES.md): `main` must not let it."""
    for attempt in range(5):
        result = complaints(*args)
        assert result.returncode == code, f"attempt {attempt}: {result.returncode}\n{result.stderr}"
