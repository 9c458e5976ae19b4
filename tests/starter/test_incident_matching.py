"""Reading the open incidents before a start: none before any database, a named problem when the
database cannot be read (the complaint still starts), and only the open ones otherwise."""

from __future__ import annotations

from pathlib import Path

from activities.db import make_engine
from activities.incident_store import IncidentStore
from activities.migrate import upgrade_to_head
from complaints.incident_records import IncidentOpening
from infra.settings import Settings
from starter.client.incident_matching import read_open_incidents
from tests.incident_support import STARTED, declaration
from tests.support import make_complaint


async def test_no_database_yet_means_no_incident_and_creates_no_file(tmp_path: Path) -> None:
    found = await read_open_incidents(Settings(data_dir=tmp_path))
    assert (found.declarations, found.problem) == ((), None)
    assert not (tmp_path / "complaints.db").exists()


async def test_a_database_that_cannot_be_read_is_named_and_matches_nothing(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url="postgresql+psycopg://nobody@127.0.0.1:9/none")
    found = await read_open_incidents(settings)
    assert found.declarations == ()
    assert found.problem is not None and found.problem.startswith("not matched to any incident: the app database")
    assert found.match(make_complaint(category="service", product="broadband")) is None


async def test_only_open_incidents_are_read_and_matched(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    engine = make_engine(settings.effective_database_url)
    try:
        await upgrade_to_head(engine)
        store = IncidentStore(engine)
        kept, closed = declaration(ended_at=None), declaration(ended_at=None, products=["mobile"])
        for declared in (kept, closed):
            await store.open(IncidentOpening(declaration=declared, declared_at=STARTED))
        await store.close(closed.id, STARTED, {})
    finally:
        await engine.dispose()
    found = await read_open_incidents(settings)
    assert [declared.id for declared in found.declarations] == [kept.id]
    complaint = make_complaint(category="service", product="broadband")
    matched = found.match(complaint)
    assert matched is not None and matched.incident_id == kept.id
    assert found.match(complaint.model_copy(update={"product": "mobile"})) is None  # its incident is closed
    assert found.match(complaint.model_copy(update={"incident_id": closed.id})) is None  # it names one itself
