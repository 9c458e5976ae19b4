"""The shape a newcomer relies on: no module past 400 lines, and workflows built by
composition (no class in workflows/ inherits from another class of workflows/)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LIMIT = 400
PACKAGES = ("complaints", "workflows", "activities", "starter", "infra", "tests", "benchmarks")


def modules() -> list[Path]:
    found = [PROJECT_ROOT / "worker.py"]
    for package in PACKAGES:
        found += sorted((PROJECT_ROOT / package).rglob("*.py"))
    return found


@pytest.mark.parametrize("path", modules(), ids=lambda path: str(path.relative_to(PROJECT_ROOT)))
def test_no_module_is_over_400_lines(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= LIMIT, f"{path.relative_to(PROJECT_ROOT)} has {lines} lines: split it by concept"


def workflow_classes() -> dict[str, ast.ClassDef]:
    classes: dict[str, ast.ClassDef] = {}
    for path in sorted((PROJECT_ROOT / "workflows").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                classes[node.name] = node
    return classes


def test_no_workflows_class_inherits_from_another() -> None:
    classes = workflow_classes()
    assert "ComplaintWorkflow" in classes
    inheriting = {
        name: [ast.unparse(base) for base in node.bases if ast.unparse(base).split(".")[-1] in classes]
        for name, node in classes.items()
    }
    assert {name: bases for name, bases in inheriting.items() if bases} == {}


def test_the_check_sees_a_tower() -> None:
    tower = ast.parse("class Base:\n    pass\nclass Workflow(Base):\n    pass\n")
    classes = {node.name: node for node in ast.walk(tower) if isinstance(node, ast.ClassDef)}
    assert [ast.unparse(base) for base in classes["Workflow"].bases if ast.unparse(base) in classes] == ["Base"]
