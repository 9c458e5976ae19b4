"""Fixtures for the activity, template and mail tests: realistic requests, a mail sink,
SQLite and PostgreSQL databases."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from activities import ComplaintActivities
from complaints.messages import CaseBrief, MessageKind, MessageRequest, Recipient
from complaints.remedies import Proposal, RemedyItem
from complaints.templates import is_customer_kind
from infra.settings import Settings
from starter.dev.mailsink import MailSink

PG_URLS = (
    "postgresql://postgres@127.0.0.1:5432/test",
    "postgresql://root@127.0.0.1:5432/test",
)

MakeRequest = Callable[..., MessageRequest]


@pytest.fixture
def sample_case() -> CaseBrief:
    return CaseBrief(
        reference="ACME-1042",
        customer_name="Amelia Okafor",
        customer_email="amelia.okafor@example.com",
        category="delivery",
        priority="high",
        description=(
            "My sofa arrived three weeks late and the driver left it outside in the rain. "
            "The cushions are stained and I took two days off work waiting in for it."
        ),
        desired_outcome="New cushion covers and something for the two days off work",
        received_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        owner_name="Priya Shah",
        owner_email="priya.shah@complaintflow.example",
        owner_phone="+44 20 7946 0123",
        department="Logistics",
        stage="Investigating",
        customer_timezone="Europe/London",
    )


@pytest.fixture
def sample_proposal() -> Proposal:
    return Proposal(
        version=1,
        items=[
            RemedyItem(kind="refund", amount=Decimal("180.00"), reason="Refund of the two days' pay you lost."),
            RemedyItem(kind="goodwill", amount=Decimal("50.00"), reason="A goodwill payment for the trouble caused."),
        ],
        currency="GBP",
        policy_version="2026-1/v1",
        approval_level="manager",
    )


@pytest.fixture
def make_message(sample_case: CaseBrief, sample_proposal: Proposal) -> MakeRequest:
    """A realistic request of any kind; keyword arguments override fields."""

    def make(kind: MessageKind, **overrides: object) -> MessageRequest:
        if is_customer_kind(kind):
            to = Recipient(name=sample_case.customer_name, email=sample_case.customer_email)
        else:
            to = Recipient(name="Logistics", email="logistics@complaintflow.example")
        fields: dict[str, object] = {
            "idempotency_key": f"complaint-ACME-1042:{kind.value}:{uuid.uuid4().hex[:8]}",
            "kind": kind,
            "to": to,
            "case": sample_case,
            "next_step": "our logistics team is checking the delivery records and the driver's report",
            "due": datetime(2026, 11, 27, 17, 0, tzinfo=UTC),
            "note": "",
            "proposal": sample_proposal,
            "history": ["Fri 20 Nov 2026 09:30 UTC · received · by e-mail"],
        }
        fields.update(overrides)
        return MessageRequest.model_validate(fields)

    return make


@pytest.fixture
def sink_dir(tmp_path: Path) -> Path:
    return tmp_path / "mail"


@pytest.fixture
def fresh_sink(sink_dir: Path) -> Iterator[MailSink]:
    sink = MailSink(sink_dir, port=0).start()
    try:
        yield sink
    finally:
        sink.stop()


def make_settings(data_dir: Path, smtp_port: int, database_url: str | None = None) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_timeout_seconds=5.0,
        mail_from="Complaintflow Customer Care <care@complaintflow.example>",
    )


@pytest.fixture
def settings_on_port(tmp_path: Path) -> Callable[[int], Settings]:
    """Settings on a fresh SQLite file that mail to 127.0.0.1:<port>."""
    return lambda port: make_settings(tmp_path / "data", port)


@pytest.fixture
async def sqlite_activities(tmp_path: Path, fresh_sink: MailSink) -> AsyncIterator[ComplaintActivities]:
    """Activities on a fresh SQLite file, mailing to a running sink."""
    activities = ComplaintActivities(make_settings(tmp_path / "data", fresh_sink.port))
    await activities.prepare()
    try:
        yield activities
    finally:
        await activities.close()


def _connect_postgres() -> tuple[str, psycopg.Connection[tuple[object, ...]]]:
    errors = []
    for url in PG_URLS:
        try:
            return url, psycopg.connect(url, autocommit=True, connect_timeout=5)
        except psycopg.Error as exc:
            errors.append(f"{url}: {exc}".strip())
    pytest.fail(
        "PostgreSQL is required for these tests and was not reachable (tried "
        + "; ".join(errors)
        + "). Start it on 127.0.0.1:5432 with a 'test' database and trust auth.",
        pytrace=False,
    )


@contextmanager
def scratch_postgres_schema(prefix: str = "cf_test") -> Iterator[tuple[str, str]]:
    """(SQLAlchemy URL, schema): a schema of its own on the test PostgreSQL, dropped afterwards."""
    url, conn = _connect_postgres()
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield url.replace("postgresql://", "postgresql+psycopg://", 1), schema
        finally:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def search_path_url(url: str, schema: str) -> str:
    """The URL with `search_path` set, for processes that only take a URL (a worker subprocess)."""
    return f"{url}?options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[tuple[str, str]]:
    """(SQLAlchemy URL, schema): a fresh schema for this session, dropped afterwards."""
    with scratch_postgres_schema() as found:
        yield found
