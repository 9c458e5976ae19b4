"""load_case_rules refuses a broken rules file for good, naming the problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities import ComplaintActivities
from activities import rules_file as rules_file_module
from activities.rules_file import RulesFile
from complaints.rules import CaseRules, load_rules
from infra.settings import Settings

PROJECT_RULES = Path(__file__).resolve().parents[2] / "config" / "complaints.toml"


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


def extending(tmp_path: Path, version: str) -> Path:
    """A rules file extending the project's own (through a middle file), with its own version."""
    middle = tmp_path / "middle.toml"
    middle.write_text(f"extends = '{PROJECT_RULES}'\n")
    path = tmp_path / "rules.toml"
    path.write_text(f"extends = 'middle.toml'\nversion = \"{version}\"\n")
    return path


def test_rules_are_read_again_only_when_a_file_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = extending(tmp_path, "v1")
    reads: list[Path] = []
    real = load_rules

    def counted(path: Path, files: list[Path] | None = None) -> CaseRules:
        reads.append(path)
        return real(path, files)

    monkeypatch.setattr(rules_file_module, "load_rules", counted)
    rules = RulesFile(path)
    first = rules.load()
    assert rules.load() is first and len(reads) == 1  # unchanged: not parsed again

    path.write_text(path.read_text().replace('"v1"', '"v2-longer"'))
    assert rules.load().version == "v2-longer" and len(reads) == 2

    middle = tmp_path / "middle.toml"  # a file it extends changes: read again too
    middle.write_text(middle.read_text() + "\n")
    assert rules.load().version == "v2-longer" and len(reads) == 3

    (tmp_path / "middle.toml").unlink()
    with pytest.raises(FileNotFoundError):
        rules.load()
