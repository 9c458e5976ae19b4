"""What `complaints dev` prints once everything is up: where things are, and how to take the example to Closed."""

from __future__ import annotations

import contextlib
import shutil
import sys
from pathlib import Path

from infra.settings import Settings
from starter.client import StartResult
from starter.dev.config import API_PORT, NAMESPACE, TEMPORAL_PORT
from starter.dev.processes import HOST, say


def _command() -> str:
    """How to call `complaints` from this terminal (the venv may not be activated)."""
    script = Path(sys.executable).parent / "complaints"
    if script.exists() and shutil.which("complaints") != str(script):
        with contextlib.suppress(ValueError):
            return str(script.relative_to(Path.cwd()))
        return str(script)
    return "complaints"


def print_guide(settings: Settings, data_dir: Path, result: StartResult | None) -> None:
    ui = settings.web_ui_url.rstrip("/")
    c = _command()
    lines = [
        "",
        "Complaintflow is running.  Ctrl-C stops everything (data is kept).",
        f"  Temporal Web UI   {ui}/namespaces/{NAMESPACE}",
        f"  Temporal server   {HOST}:{TEMPORAL_PORT}   (state: {data_dir / 'temporal.db'})",
        f"  Mail sent         {data_dir / 'mail'}   (one .eml file per message)",
        f"  Intake API        http://{HOST}:{API_PORT}/docs   (X-API-Key: dev-key unless COMPLAINTS_API_KEYS is set)",
        f"  Schedules         {ui}/namespaces/{NAMESPACE}/schedules   (doctor, emerging issues, monthly report)",
    ]
    if result is not None:
        cid = result.complaint_id
        if result.started:
            state = "started now"
        elif result.closed:
            state = "from an earlier run, already closed; try the steps on a copy with another id"
        else:
            state = "already there from an earlier run: see its stage with `show`"
        lines += [
            "",
            f"Example complaint {cid} ({state}):",
            f"  {ui}/namespaces/{NAMESPACE}/workflows/{result.workflow_id}",
            "",
            "Move it to Closed, in another terminal, in this order:",
            f"  {c} admin show {cid}",
            f"  {c} admin findings {cid} --by alex --severity 3 --loss 89.90 \\",
            '        --summary "November subscription charged twice on consecutive days" \\',
            '        --root-cause "Payment retry after a gateway timeout was not deduplicated" \\',
            "        --cause billing.duplicate-charge",
            "      → proposal 122.40 GBP (refund 89.90 + goodwill 32.50, +30 % for a gold customer of 7 years):",
            "        above alex's limit, needs a team_lead",
            f'  {c} admin approve {cid} --by tl-jordan --comment "Refund plus goodwill is fair"',
            "      → the offer is e-mailed to the customer; they answered by phone:",
            f"  {c} admin offer-response {cid} accept --by alex",
            "      → paid exactly once, resolution e-mail sent; the case now waits for the follow-up.",
            "",
            "  Then timers take over. `make run` uses config/demo.toml (production timings with",
            "  minutes instead of days): the follow-up mail comes 30 s after the resolution, the",
            "  reopen window closes after 1 minute and the survey is sent (stage AwaitingFeedback).",
            "  Record the customer's answer:",
            f'  {c} admin feedback {cid} --csat 5 --comment "Quick and fair, thank you"',
            "      → thank-you letter, outcome recorded, stage Closed.",
            "",
            f"  Any time: {c} admin timeline {cid}   ·   {c} admin list   ·   {c} admin due --within 7d",
            "  The customer's reply through the intake API:",
            f"  curl -s -X POST http://{HOST}:{API_PORT}/complaints/{cid}/messages -H 'X-API-Key: dev-key' \\",
            "       -H 'Content-Type: application/json' -d '{\"text\": \"It was the card ending 1881.\"}'",
        ]
    lines.append("")
    for line in lines:
        say("dev", line)
