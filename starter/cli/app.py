"""`complaints`: open complaints, act on them, run a worker or the whole system locally.

    complaints start FILE|-          one complaint (JSON object) or many (JSON array)
    complaints admin show C-1001     and: timeline, due, list, pending, findings, approve, reject,
                                     amend, offer-response, payout, reopen, feedback, reassign, note,
                                     withdraw, ask, message, contact, priority
    complaints incident declare FILE and: customers, approve, raise-budget, pause, resume, amend,
                                     close, show, list (after an incident: README "After an incident")
    complaints worker                run a worker
    complaints api                   the HTTP intake API (uvicorn; keys in COMPLAINTS_API_KEYS)
    complaints setup-search-attributes   register the search attributes on a real cluster
    complaints setup-schedules       create or update the schedules (doctor, emerging issues, monthly report)
    complaints dev                   dev server + mail sink + worker + example (`make run`)

Exit codes (scripts can trust them; errors go to stderr, results to stdout):
    0  success
    1  refused by the workflow: "refused: <the workflow's reason, verbatim>" on stderr
    2  invalid input: malformed JSON, a bad field (named), a usage error; nothing was sent
    3  unknown complaint id
    4  cannot reach Temporal (the message names the address)
    5  any other failure, e.g. no worker answered within the wait

The connection comes from Temporal's environment configuration (TEMPORAL_ADDRESS,
TEMPORAL_NAMESPACE, TEMPORAL_PROFILE, …; default localhost:7233).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError
from temporalio.client import Client

from complaints.intake import InvalidInput, describe_problems, parse_complaints
from infra.logging import configure_logging
from infra.search_attributes import SearchAttributeConflict, cli_types, register_search_attributes
from infra.settings import ENV_PREFIX, Settings
from starter.cli.admin import admin
from starter.cli.case_files import case_file, purge
from starter.cli.common import EXIT_CODES_HELP, ExitCode, error, fail, run
from starter.cli.incident import incident
from starter.cli.mail import mail
from starter.cli.regulator_report import register as register_regulator_report
from starter.cli.reports import report_app
from starter.cli.schedules import setup_schedules
from starter.client import IntakeChecks, RulesUnavailable, StartResult, first_line, start_complaints, ui_link
from workflows.search_attributes import ALL as ALL_SEARCH_ATTRIBUTES

app = typer.Typer(
    help=f"Complaintflow: every customer complaint as one durable Temporal workflow.\n\n{EXIT_CODES_HELP}",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(admin, name="admin")
app.add_typer(mail, name="mail")
app.add_typer(incident, name="incident")
app.command("case-file")(case_file)
app.command()(purge)
app.add_typer(report_app, name="report")
register_regulator_report(report_app)  # complaints report regulator


def _read_input(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    try:
        return Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(ExitCode.INVALID, f"invalid input: cannot read {source}: {exc}")


@app.command()
def start(
    source: Annotated[str, typer.Argument(metavar="FILE|-", help="A JSON file, or - to read stdin.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output: a JSON list.")] = False,
) -> None:
    """Open complaints; starting the same complaint id again finds the existing one."""
    try:
        settings = Settings()
    except (SettingsError, ValidationError) as exc:  # e.g. COMPLAINTS_INTAKE_MAX_AGE that is not a duration
        fail(ExitCode.INVALID, f"invalid settings: {_settings_problem(exc)}")
    try:
        complaints = parse_complaints(_read_input(source))
        # Against the rules the worker loads and one `now`, before connecting: refused, nothing is sent.
        checks = IntakeChecks.from_settings(settings, now=datetime.now(UTC))
        checks.admit(complaints)
    except InvalidInput as exc:
        fail(ExitCode.INVALID, "\n".join(f"invalid input: {line}" for line in str(exc).splitlines()))
    except RulesUnavailable as exc:
        fail(ExitCode.FAILED, f"error: {exc}")

    async def work(client: Client) -> tuple[str, list[StartResult]]:
        from starter.client.incident_matching import read_open_incidents  # SQLAlchemy, only to start

        incidents = await read_open_incidents(settings)
        if incidents.problem:
            error(f"warning: {incidents.problem}")
        started = await start_complaints(client, complaints, settings.task_queue, checks=checks, incidents=incidents)
        return client.namespace, started

    namespace, results = run(work)
    if as_json:
        rows = [
            {
                "complaint_id": r.complaint_id,
                "workflow_id": r.workflow_id,
                "run_id": r.run_id,
                "outcome": r.outcome,
                "closed": r.closed,
                "same_input": r.same_input,
                "incident_id": r.incident_id,
                "note": r.reason,
                "url": ui_link(settings.web_ui_url, namespace, r.workflow_id),
            }
            for r in results
        ]
        print(json.dumps(rows, indent=2), flush=True)
    else:
        for r in results:
            state = " (closed)" if r.closed else ""
            print(
                f"{r.outcome:<8} {r.workflow_id}{state}  {ui_link(settings.web_ui_url, namespace, r.workflow_id)}",
                flush=True,
            )
    for r in results:
        if r.reason:
            error(f"note: {r.workflow_id}: {r.reason}")
        if r.same_input is False:
            error(f"warning: {r.workflow_id} already exists with different content; it was not changed")


def _settings_problem(exc: SettingsError | ValidationError) -> str:
    """`COMPLAINTS_INTAKE_MAX_AGE: Input should be a valid timedelta…`: the variable named, not pydantic's headline."""
    if isinstance(exc, ValidationError):
        named = [{**problem, "loc": (f"{ENV_PREFIX}{str(problem['loc'][0]).upper()}",)} for problem in exc.errors()]
        return "; ".join(describe_problems(named))
    return first_line(str(exc))


@app.command()
def worker() -> None:
    """Run a worker for complaint workflows and activities (until Ctrl-C / SIGTERM)."""
    import worker as worker_module  # imported here: it pulls in workflows and activities

    worker_module.main()


@app.command("setup-search-attributes")
def setup_search_attributes(
    namespace: Annotated[
        str | None, typer.Option(help="Namespace to set up (default: the connection's, TEMPORAL_NAMESPACE).")
    ] = None,
) -> None:
    """Register Complaintflow's search attributes on a real cluster; safe to run again.

    The dev server registers them itself. Those already there are left alone; one with another type: exit 5.
    """

    async def work(client: Client) -> tuple[str, list[str] | str]:
        target = namespace or client.namespace
        try:
            return target, await register_search_attributes(client, target)
        except SearchAttributeConflict as exc:
            return target, str(exc)

    target, outcome = run(work)
    if isinstance(outcome, str):
        fail(ExitCode.FAILED, f"error: {outcome}")
    types = cli_types()
    for key in ALL_SEARCH_ATTRIBUTES:
        state = "registered" if key.name in outcome else "already registered"
        print(f"{key.name:<24} {types[key.name]:<9} {state}", flush=True)
    print(f"{len(outcome)} added, {len(types) - len(outcome)} already there (namespace {target})", flush=True)


app.command("setup-schedules")(setup_schedules)  # starter/cli/schedules.py


@app.command()
def api(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    insecure_dev: Annotated[
        bool,
        typer.Option("--insecure-dev", help="Serve without API keys when none are configured (loopback only)."),
    ] = False,
) -> None:
    """Serve the HTTP intake API (keys: COMPLAINTS_API_KEYS; docs at /docs) until Ctrl-C / SIGTERM."""
    from starter.api import ApiConfigError, ApiKeys, create_app, serve

    try:
        settings = Settings()
    except (SettingsError, ValidationError) as exc:  # e.g. COMPLAINTS_API_KEYS that is not a JSON object
        fail(ExitCode.INVALID, f"cannot start the API: invalid settings: {first_line(str(exc))}")
    configure_logging(settings.log_format, settings.log_level)
    if insecure_dev and not _is_loopback(host):
        fail(ExitCode.INVALID, f"--insecure-dev serves without keys, so only on a loopback address, not {host}")
    try:
        keys = ApiKeys(settings.api_keys, insecure_dev=insecure_dev)
    except ApiConfigError as exc:
        fail(ExitCode.INVALID, f"cannot start the API: {exc}")

    async def work(client: Client) -> bool:
        return await serve(create_app(settings, keys=keys, client=client), host, port)

    if not run(work):
        fail(ExitCode.FAILED, f"the API did not start on {host}:{port} (see the log above)")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command()
def dev(
    no_example: Annotated[bool, typer.Option("--no-example", help="Do not submit examples/complaint.json.")] = False,
    data_dir: Annotated[
        Path | None, typer.Option(help="Where the server's SQLite file and the mail go (default: .data).")
    ] = None,
) -> None:
    """Run everything locally: Temporal dev server, SMTP sink, worker; then submit the example."""
    from starter.dev.supervisor import run_dev

    raise typer.Exit(run_dev(data_dir=data_dir, example=not no_example))


def invoke(args: list[str] | None = None) -> int:
    """Run the app and return its exit code instead of exiting (typer would call sys.exit)."""
    try:
        app(args=args, prog_name="complaints")
    except SystemExit as exc:
        if exc.code is None:
            return 0
        if isinstance(exc.code, int):
            return exc.code
        error(str(exc.code))
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


def main() -> None:
    """Console-script entry: exit with `os._exit` so the SDK cannot abort at shutdown.

    A known SDK issue (TEMPORAL_NOTES.md) can kill the interpreter with SIGABRT during
    normal exit after all work is done; skipping interpreter teardown keeps the code honest.
    """
    code = ExitCode.FAILED.value
    try:
        code = invoke()
    except BaseException as exc:  # anything unexpected still leaves with a clear code
        traceback.print_exc()
        error(f"error: {type(exc).__name__}: {exc}")
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)
