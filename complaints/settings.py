"""Application settings: environment variables (`COMPLAINTS_*`) and an optional `.env` file.

The Temporal connection itself is not here: it comes from `temporalio.envconfig`
(`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, TOML profiles), see `complaints.connection`.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COMPLAINTS_", env_file=".env", extra="ignore")

    data_dir: Path = Path(".data")
    rules_file: Path = PROJECT_ROOT / "config" / "complaints.toml"
    database_url: str | None = None  # default: SQLite file in data_dir
    task_queue: str = "complaints"

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_use_tls: bool = False
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "Complaintflow Customer Care <care@complaintflow.example>"

    # Who moves the money: the embedded ledger table, or the finance API (HTTP, Idempotency-Key).
    payout_gateway: Literal["ledger", "finance_api"] = "ledger"
    finance_api_url: str | None = None  # e.g. https://finance.example/api; POSTs go to <url>/payouts
    finance_api_key: SecretStr | None = None  # sent as `Authorization: Bearer <key>` when set
    finance_api_timeout_seconds: float = 10.0

    log_format: Literal["console", "json"] = "console"
    log_level: str = "INFO"
    web_ui_url: str = "http://localhost:8233"

    worker_identity: str | None = Field(
        default=None,
        description="How this worker names itself to Temporal (history events, task queue pollers, logs); "
        "default: the SDK's <pid>@<host>. Give each worker process its own when running several.",
    )
    metrics_address: str | None = Field(
        default=None,
        description="host:port for the SDK's Prometheus endpoint (GET /metrics), e.g. 0.0.0.0:9464; "
        "unset or empty: no metrics endpoint.",
    )

    @cached_property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'complaints.db').resolve()}"

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"
