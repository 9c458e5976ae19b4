"""`complaints case-file` and `complaints purge` read the archive in the app database, with no Temporal.

The purge lists first and deletes only with --apply, every row of a file past its retention.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from activities.archive import CaseArchive
from activities.db import make_engine
from activities.migrate import upgrade_to_head
from infra.settings import Settings
from starter.cli.app import app
from tests.review_support import archive, archived_case, log
from tests.workflows.test_case_file import rows_per_table

RECEIVED = datetime(2023, 1, 10, 9, 0, tzinfo=UTC)


def complaints(data_dir: Path, *args: str) -> Result:
    env = {"COMPLAINTS_DATA_DIR": str(data_dir), "COMPLAINTS_DATABASE_URL": "", "COLUMNS": "200"}
    return CliRunner().invoke(app, list(args), env=env)


@pytest.fixture
def archived(tmp_path: Path) -> Iterator[Path]:
    """Three files: kept until 2026-01-13 (old), 2027-06-01 and 2030-01-01."""
    old = archived_case("C-OLD", "billing.duplicate-charge", RECEIVED).model_copy(
        update={"retain_until": datetime(2026, 1, 13, tzinfo=UTC)}
    )
    middle = archived_case("C-MID", "delivery.late", RECEIVED).model_copy(
        update={"retain_until": datetime(2027, 6, 1, tzinfo=UTC)}
    )
    young = archived_case("C-NEW", None, RECEIVED + timedelta(days=900)).model_copy(
        update={"retain_until": datetime(2030, 1, 1, tzinfo=UTC)}
    )

    async def write() -> None:
        engine = make_engine(Settings(data_dir=tmp_path).effective_database_url)
        await upgrade_to_head(engine)
        await archive(engine, [old, middle, young])
        await engine.dispose()

    asyncio.run(write())
    yield tmp_path


def files_left(data_dir: Path) -> int:
    async def count() -> int:
        engine = make_engine(Settings(data_dir=data_dir).effective_database_url)
        try:
            return await CaseArchive(engine, log).count()
        finally:
            await engine.dispose()

    return asyncio.run(count())


def test_purge_lists_first_and_deletes_only_with_apply(archived: Path) -> None:
    dry = complaints(archived, "purge", "--as-of", "2026-12-04", "--json")
    assert dry.exit_code == 0, dry.output
    listed = json.loads(dry.output)
    assert listed["applied"] is False and [f["complaint_id"] for f in listed["files"]] == ["C-OLD"]
    assert files_left(archived) == 3

    table = complaints(archived, "purge", "--as-of", "2027-07-01")
    assert table.exit_code == 0 and "would purge 2 case file(s)" in table.output and "--apply" in table.output
    assert files_left(archived) == 3

    applied = complaints(archived, "purge", "--as-of", "2027-07-01", "--apply", "--json")
    assert [f["complaint_id"] for f in json.loads(applied.output)["files"]] == ["C-OLD", "C-MID"]
    assert files_left(archived) == 1

    async def rows_of(workflow_id: str) -> dict[str, int]:
        engine = make_engine(Settings(data_dir=archived).effective_database_url)
        try:
            return await rows_per_table(engine, workflow_id)
        finally:
            await engine.dispose()

    assert set(asyncio.run(rows_of("complaint-C-OLD")).values()) == {0}  # every row of the file is gone
    shown = complaints(archived, "case-file", "C-NEW", "--json")
    assert shown.exit_code == 0 and json.loads(shown.output)["complaint_id"] == "C-NEW"
    gone = complaints(archived, "case-file", "C-OLD")
    assert gone.exit_code == 3 and "no case file for C-OLD" in gone.output


def test_case_file_without_a_database_says_so_and_creates_nothing(tmp_path: Path) -> None:
    result = complaints(tmp_path, "case-file", "C-1")
    assert result.exit_code == 3 and "no app database" in result.output
    assert not (tmp_path / "complaints.db").exists()
