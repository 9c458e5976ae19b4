"""The open incidents a complaint naming none is matched against, read once from the app database.

`complaints start` and `POST /complaints` read them before starting; a complaint that fits one
(`complaints.incident_match`) joins it as if it had named it. Intake must not stop because the
app database cannot be read: the complaint then starts on its own, and `problem` says why it
was not matched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

from activities.db import make_engine, missing_sqlite_file
from activities.incident_store import IncidentStore
from complaints.incident import IncidentDeclaration
from complaints.incident_match import IncidentMatch, match_incident
from complaints.intake import ComplaintInput
from infra.settings import Settings


@dataclass(frozen=True)
class OpenIncidents:
    """The incidents open when they were read, and how long after its end one still matches."""

    declarations: tuple[IncidentDeclaration, ...] = ()
    within: timedelta = timedelta(days=30)
    problem: str | None = None  # they could not be read: nothing is matched

    def match(self, complaint: ComplaintInput, now: datetime | None = None) -> IncidentMatch | None:
        if complaint.incident_id is not None or not self.declarations:
            return None
        received_at = complaint.received_at or now or datetime.now(UTC)
        return match_incident(complaint, self.declarations, received_at, self.within)


async def read_open_incidents(settings: Settings) -> OpenIncidents:
    """The open incidents in the app database (none before the first incident is declared)."""
    url = settings.effective_database_url
    if missing_sqlite_file(url) is not None:
        return OpenIncidents(within=settings.incident_match_within)  # so no incident either
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            declared = await conn.run_sync(lambda sync: inspect(sync).has_table("incidents"))
        declarations = await IncidentStore(engine).open_declarations() if declared else []
    except (SQLAlchemyError, OSError) as exc:
        problem = f"not matched to any incident: the app database could not be read ({type(exc).__name__})"
        return OpenIncidents(within=settings.incident_match_within, problem=problem)
    finally:
        await engine.dispose()
    return OpenIncidents(tuple(declarations), settings.incident_match_within)
