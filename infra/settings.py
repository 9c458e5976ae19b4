"""Application settings: environment variables (`COMPLAINTS_*`) and an optional `.env` file.

The Temporal connection itself is not here: it comes from `temporalio.envconfig`
(`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, TOML profiles), see `infra.connection`.

Every field carries a description: `python -m infra.settings` prints the README's
"Settings reference" table from them, and a test keeps the README equal to it.
"""

from __future__ import annotations

import json
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from complaints.emerging import whole_days
from complaints.intake_checks import DEFAULT_CLOCK_SKEW, DEFAULT_MAX_AGE

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "COMPLAINTS_"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", extra="ignore")

    data_dir: Path = Field(
        Path(".data"),
        description="Working directory: the default SQLite store and the local mail sink's `mail/` folder.",
    )
    rules_file: Path = Field(
        PROJECT_ROOT / "config" / "complaints.toml",
        description="Business rules (staff, roles, routing, timings, compensation); "
        "`complaints dev` uses `config/demo.toml` unless this is set.",
    )
    database_url: str | None = Field(
        None,
        description="Store for the payout ledger, outbox, outcomes and the HTTP API's `Idempotency-Key` answers "
        "(SQLAlchemy URL). "
        "Unset: `sqlite+aiosqlite:///<data dir>/complaints.db`; PostgreSQL: `postgresql+psycopg://user:pw@host/db`.",
    )
    task_queue: str = Field("complaints", description="Temporal task queue the worker polls and starters use.")

    smtp_host: str = Field("127.0.0.1", description="SMTP server for customer and staff mail.")
    smtp_port: int = Field(1025, description="SMTP port (1025: the local sink, or Mailpit in docker-compose).")
    smtp_username: str | None = Field(None, description="SMTP login; unset means no authentication.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password (never logged).")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_use_tls: bool = Field(False, description="Connect with implicit TLS (SMTPS, usually port 465).")
    smtp_timeout_seconds: float = Field(10.0, description="Timeout for one SMTP delivery attempt.")
    mail_from: str = Field(
        "Complaintflow Customer Care <care@complaintflow.example>",
        description="From address of every message.",
    )

    # Who moves the money: the embedded ledger table, or the finance API (HTTP, Idempotency-Key).
    payout_gateway: Literal["ledger", "finance_api"] = Field(
        "ledger",
        description="`ledger` (the embedded ledger) or `finance_api` (an HTTP finance API; sends `Idempotency-Key`, "
        "a repeated key counts as paid; the ledger still records every payout).",
    )
    finance_api_url: str | None = Field(
        None, description="Finance API base URL, e.g. `https://finance.example/api`; payouts are POSTed to `/payouts`."
    )
    finance_api_key: SecretStr | None = Field(
        None, description="Sent as `Authorization: Bearer <key>` to the finance API when set."
    )
    finance_api_timeout_seconds: float = Field(10.0, description="Timeout for one finance API call.")

    log_format: Literal["console", "json"] = Field(
        "console", description="`console` (readable in a terminal) or `json` (one object per line, for production)."
    )
    log_level: str = Field("INFO", description="Lowest level logged (`DEBUG`, `INFO`, `WARNING`, …).")
    web_ui_url: str = Field(
        "http://localhost:8233", description="Temporal Web UI base URL, for the links the CLI prints."
    )

    # The HTTP intake API (`complaints api`).
    api_keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        description=(
            "API keys of the systems allowed to call the HTTP intake API, by system name, as JSON: "
            '`{"crm": "<key>", "webform": "<key>"}`. Callers send theirs in the `X-API-Key` header; '
            "the system's name is logged with what it sent. With none, `complaints api` refuses to start "
            "(unless `--insecure-dev`)."
        ),
    )
    api_max_body_bytes: int = Field(
        default=64 * 1024,
        gt=0,
        description="Largest request body the HTTP intake API reads, in bytes; larger ones (chunked too) get 413.",
    )

    # What intake refuses before anything starts (besides what the models refuse).
    intake_max_age: timedelta = Field(
        default=DEFAULT_MAX_AGE,
        gt=timedelta(0),
        description="Oldest `received_at` intake takes, as an ISO 8601 duration; an older complaint is refused "
        "(naming the field): every one of its clocks would have breached long ago.",
    )
    intake_clock_skew: timedelta = Field(
        default=DEFAULT_CLOCK_SKEW,
        ge=timedelta(0),
        description="How far clocks may disagree, as an ISO 8601 duration: a `received_at` further in the future "
        "is refused; one this close to now is left out, so the case counts from its own start.",
    )

    # The scheduled check of cases not moving (`complaints admin doctor` reads the same limits).
    operators_email: str = Field(
        "Complaintflow operators <operators@complaintflow.example>",
        description="Who the scheduled check mails, once per new finding, when a case is not moving.",
    )
    doctor_every: timedelta = Field(
        default=timedelta(minutes=5),
        gt=timedelta(0),
        description="How often the Temporal Schedule `complaints-doctor` runs the check, as an ISO 8601 duration "
        "(`complaints setup-schedules` and each worker at start create or update the schedule).",
    )
    # The scheduled reviews of the case file archive (infra/schedules.py; `complaints setup-schedules`).
    emerging_window: timedelta = Field(
        default=timedelta(days=7),
        description="The emerging-issue review's window, whole days as an ISO 8601 duration: the Temporal Schedule "
        "`complaints-emerging-review` runs once a window (00:00 UTC; weekly windows start on Mondays) and counts "
        "each root cause's archived cases received in the window that ended that day.",
    )
    emerging_baseline_windows: int = Field(
        4, ge=1, description="How many windows before the recent one make a root cause's baseline (their mean count)."
    )
    emerging_ratio: float = Field(
        2.0,
        gt=0,
        description="A root cause is emerging when its count in the window is at least this many times its baseline "
        "(and at least `COMPLAINTS_EMERGING_MIN_CASES`); with a baseline of 0 the minimum alone decides.",
    )
    emerging_min_cases: int = Field(3, ge=1, description="The fewest cases in the window that can make an alert.")
    managers_roles: list[str] = Field(
        default_factory=lambda: ["manager", "director"],
        description="Roles in the rules file whose staff receive the emerging-issue alerts and the monthly report, "
        "as a JSON list (the default: the roles above team lead in `config/complaints.toml`).",
    )
    managers_email: str | None = Field(
        None,
        description="One address for the emerging-issue alerts and the monthly report instead of the staff of "
        "`COMPLAINTS_MANAGERS_ROLES` (with neither, the operators get them).",
    )

    incident_page_size: int = Field(
        100, ge=1, le=1000, description="Affected customers an incident offers per activity (one page of its fan-out)."
    )
    incident_concurrency: int = Field(
        10, ge=1, le=200, description="Proactive cases an incident's fan-out starts at once."
    )
    incident_offers_per_second: float = Field(
        20.0,
        gt=0,
        description="The most proactive cases (each sends its offer letter at once) an incident starts a second: "
        "the mail rate limit of its fan-out.",
    )
    incident_match_within: timedelta = Field(
        default=timedelta(days=30),
        ge=timedelta(0),
        description="A complaint that names no incident joins an open one whose categories and products it is about "
        "when it comes in while the incident lasts or within this long after it ended, as an ISO 8601 duration.",
    )
    doctor_attempts: int = Field(
        5, gt=0, description="An activity or a mail still retrying after this many attempts is reported."
    )
    doctor_grace: timedelta = Field(
        default=timedelta(minutes=15),
        ge=timedelta(0),
        description="How long a case's passed deadline may stand unanswered before it is reported, as an ISO 8601 "
        "duration.",
    )

    worker_identity: str | None = Field(
        default=None,
        description="How this worker names itself to Temporal (history events, task queue pollers, logs); "
        "default: the SDK's <pid>@<host>. Give each worker process its own when running several.",
    )
    # Worker tuning: what bounds one worker process's memory and concurrency.
    worker_max_cached_workflows: int = Field(
        250,
        ge=0,
        description="Cases a worker keeps in memory between their workflow tasks (sticky cache); an evicted case "
        "is replayed from its history when it next moves. Bounds the worker's memory (about 0.5 MB a case: "
        "250 keep one worker under 300 MB with 10,000 cases open); 0 turns caching off.",
    )
    worker_max_concurrent_workflow_tasks: int = Field(
        100, ge=2, description="Workflow tasks a worker processes at once (at least 2 while caching)."
    )
    worker_max_concurrent_activities: int = Field(
        100, ge=1, description="Activities (mail, payouts, database reads) a worker runs at once."
    )
    worker_workflow_task_pollers: int = Field(
        5,
        ge=2,
        description="Long polls a worker keeps open for workflow tasks (at least 2: one for its sticky queue). "
        "More only help a worker with idle slots that waits on the server.",
    )
    worker_activity_task_pollers: int = Field(5, ge=1, description="Long polls a worker keeps open for activities.")
    metrics_address: str | None = Field(
        default=None,
        description="host:port for the SDK's Prometheus endpoint (GET /metrics), e.g. 0.0.0.0:9464; "
        "unset or empty: no metrics endpoint.",
    )

    @field_validator("emerging_window")
    @classmethod
    def _whole_days(cls, window: timedelta) -> timedelta:
        return whole_days(window)

    @cached_property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'complaints.db').resolve()}"

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"


def env_names() -> dict[str, str]:
    """Environment variable → field name, for every setting (what deployments may set)."""
    return {f"{ENV_PREFIX}{name.upper()}": name for name in Settings.model_fields}


def _default_text(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, Path) and value.is_absolute() and value.is_relative_to(PROJECT_ROOT):
        value = value.relative_to(PROJECT_ROOT)
    if isinstance(value, bool):
        value = str(value).lower()
    if isinstance(value, timedelta):
        value = iso_duration(value)
    if isinstance(value, list | dict):
        value = json.dumps(value)  # as the variable is written
    return f"`{value}`"


def iso_duration(value: timedelta) -> str:
    """`P366D`, `PT5M`: as the variable is written (pydantic's own would say `P1Y1D` for 366 days)."""
    hours, rest = divmod(value.seconds, 3600)
    clock = "".join(f"{count}{unit}" for count, unit in ((hours, "H"), (rest // 60, "M"), (rest % 60, "S")) if count)
    if not value:
        return "PT0S"
    return "P" + (f"{value.days}D" if value.days else "") + (f"T{clock}" if clock else "")


def reference_table() -> str:
    """The README's settings table, generated so it cannot drift from the code."""
    lines = ["| setting | default | what it does |", "|---|---|---|"]
    for env_name, field_name in env_names().items():
        field = Settings.model_fields[field_name]
        description = (field.description or "").replace("|", "\\|")
        default = field.get_default(call_default_factory=True)
        lines.append(f"| `{env_name}` | {_default_text(default)} | {description} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(reference_table())
