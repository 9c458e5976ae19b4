"""load_case_rules refuses a broken rules file for good, naming the problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities import ComplaintActivities
from infra.settings import Settings


async def load(tmp_path: Path, text: str | None) -> None:
    rules_file = tmp_path / "complaints.toml"
    if text is not None:
        rules_file.write_text(text)
    activities = ComplaintActivities(Settings(data_dir=tmp_path / "data", rules_file=rules_file))
    try:
        await ActivityEnvironment().run(activities.load_case_rules)
    finally:
        await activities.close()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("version = ", "not valid TOML"),
        ('version = "1"\nroles = []\nstaff = []\n', "routing"),
        (None, "not found"),
    ],
    ids=["syntax", "invalid", "missing"],
)
async def test_broken_rules_file_is_not_retried(tmp_path: Path, text: str | None, expected: str) -> None:
    with pytest.raises(ApplicationError) as failure:
        await load(tmp_path, text)
    assert failure.value.non_retryable
    assert failure.value.type == "InvalidRules"
    assert expected in str(failure.value)


async def test_project_rules_file_loads(tmp_path: Path) -> None:
    activities = ComplaintActivities(Settings(data_dir=tmp_path / "data"))
    try:
        rules = await ActivityEnvironment().run(activities.load_case_rules)
    finally:
        await activities.close()
    assert rules.staff and rules.routing
