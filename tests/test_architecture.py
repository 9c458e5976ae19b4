"""The domain stays pure: nothing under `complaints/` talks to Temporal, the environment or the outer layers.

The workflow sandbox imports the domain, and its unit tests run without a server; both rely
on `complaints/` being plain Python. The rules are checked on the syntax tree of every module,
so a comment or a string that merely names a module is not an import.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DOMAIN = PROJECT_ROOT / "complaints"

# The SDK, the layers built on the domain, and libraries whose job is reading the environment.
FORBIDDEN_IMPORTS = (
    "temporalio",
    "infra",
    "starter",
    "workflows",
    "activities",
    "worker",
    "pydantic_settings",
    "dotenv",
)
ENVIRONMENT_NAMES = frozenset({"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"})
DYNAMIC_IMPORTS = frozenset({"__import__", "import_module"})


def _forbidden(module: str) -> bool:
    return any(module == name or module.startswith(f"{name}.") for name in FORBIDDEN_IMPORTS)


def _imports(node: ast.AST) -> list[str]:
    """The absolute modules one node imports (a relative import leaving the package counts as `..`)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level > 1:
            return [".." + (node.module or "")]
        if node.level == 0 and node.module:
            return [node.module]
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in DYNAMIC_IMPORTS and node.args and isinstance(node.args[0], ast.Constant):
            return [str(node.args[0].value)]
    return []


def module_problems(source: str, name: str) -> list[str]:
    """Every rule one module breaks, each naming the line."""
    problems: list[str] = []
    for node in ast.walk(ast.parse(source, filename=name)):
        line = getattr(node, "lineno", 0)
        for module in _imports(node):
            if _forbidden(module):
                problems.append(f"{name}:{line}: imports {module}")
            elif module.startswith(".."):
                problems.append(f"{name}:{line}: a relative import leaves the domain package")
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            for alias in node.names:
                if alias.name in ENVIRONMENT_NAMES:
                    problems.append(f"{name}:{line}: reads the environment (from os import {alias.name})")
        if isinstance(node, ast.Attribute) and node.attr in ENVIRONMENT_NAMES:
            problems.append(f"{name}:{line}: reads the environment (.{node.attr})")
    return problems


def domain_problems(package: Path) -> list[str]:
    """Every rule broken anywhere in the package, plus any file that so much as names the SDK."""
    problems: list[str] = []
    for path in sorted(package.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        name = str(path.relative_to(package.parent))
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            problems += module_problems(text, name)
        if "temporalio" in text:
            problems.append(f"{name}: mentions temporalio")
    return problems


def test_the_domain_is_pure() -> None:
    assert domain_problems(DOMAIN) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import temporalio\n", "imports temporalio"),
        ("from temporalio.client import Client\n", "imports temporalio.client"),
        ("import temporalio.workflow as wf\n", "imports temporalio.workflow"),
        ("from infra.settings import Settings\n", "imports infra.settings"),
        ("from starter import client\n", "imports starter"),
        ("from workflows import ComplaintWorkflow\n", "imports workflows"),
        ("from activities.db import utcnow\n", "imports activities.db"),
        ("import worker\n", "imports worker"),
        ("from pydantic_settings import BaseSettings\n", "imports pydantic_settings"),
        ("import importlib\nimportlib.import_module('temporalio.client')\n", "imports temporalio.client"),
        ("__import__('infra')\n", "imports infra"),
        ("from .. import worker\n", "a relative import leaves the domain package"),
        ("import os\nurl = os.environ['DATABASE_URL']\n", "reads the environment (.environ)"),
        ("import os\nurl = os.getenv('DATABASE_URL')\n", "reads the environment (.getenv)"),
        ("from os import environ\n", "reads the environment (from os import environ)"),
    ],
)
def test_each_rule_catches_its_violation(source: str, expected: str) -> None:
    problems = module_problems(source, "complaints/broken.py")
    assert any(problem.endswith(expected) for problem in problems), problems


@pytest.mark.parametrize(
    "source",
    [
        "from complaints.intake import Priority\n",
        "from . import intake\n",
        "import os.path\nfrom pathlib import Path\n",
        '"""Not an import: from infra import settings."""\n',
        "from pydantic import BaseModel\nfrom workflows_like_name import x\n",
    ],
)
def test_what_the_domain_may_do(source: str) -> None:
    assert module_problems(source, "complaints/fine.py") == []


def test_every_package_is_installed() -> None:
    """The image installs the project (`pip install .`), not the source tree: a package left out
    of pyproject's list, a new sub-package of `starter/` say, would be missing there."""
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(pyproject["tool"]["setuptools"]["packages"])
    tops = {path.parent.name for path in PROJECT_ROOT.glob("*/__init__.py")} - {"tests"}
    found = {
        ".".join(path.parent.relative_to(PROJECT_ROOT).parts)
        for top in tops
        for path in (PROJECT_ROOT / top).rglob("__init__.py")
    }
    assert listed == found


def infra_users(package: Path) -> list[str]:
    """Modules of `package` that import the infrastructure package."""
    found = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = [module for node in ast.walk(tree) for module in _imports(node)]
        if any(module == "infra" or module.startswith("infra.") for module in modules):
            found.append(str(path.relative_to(package)))
    return found


@pytest.mark.parametrize("package", ["complaints", "workflows", "activities"])
def test_only_the_worker_and_the_starter_use_infra(package: str) -> None:
    """Connection, settings, logging and registration are the processes' business, not the case's."""
    assert infra_users(PROJECT_ROOT / package) == []


def test_infra_users_sees_an_import(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text("from complaints.case import Stage\n")
    (tmp_path / "uses.py").write_text("from infra.settings import Settings\n")
    assert infra_users(tmp_path) == ["uses.py"]


# -- the shape of the code: no module past 400 lines, workflows by composition -------------------

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


# -- workflow modules are shared by every run (infra/sandbox.py): nothing at module level may change --

MUTABLE_LITERALS = (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)
MUTABLE_CALLS = {"dict", "list", "set", "defaultdict", "Counter", "OrderedDict", "deque", "bytearray"}


def mutable_module_values(source: str) -> list[str]:
    """Names bound at module level to a container that can be changed, and `global` statements."""
    found = []
    tree = ast.parse(source)
    for node in tree.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        if value is None:
            continue
        called = value.func.id if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) else ""
        if isinstance(value, MUTABLE_LITERALS) or called in MUTABLE_CALLS:
            found += [ast.unparse(target) for target in targets if not ast.unparse(target).startswith("__")]
    found += [f"global {', '.join(n.names)}" for n in ast.walk(tree) if isinstance(n, ast.Global)]
    return found


@pytest.mark.parametrize("path", sorted((PROJECT_ROOT / "workflows").glob("*.py")), ids=lambda path: path.name)
def test_workflow_modules_hold_nothing_a_run_could_change(path: Path) -> None:
    """The sandbox imports these modules once for all runs: module state would leak between cases."""
    assert mutable_module_values(path.read_text()) == []


def test_mutable_module_values_finds_them() -> None:
    source = "A = {}\nB: list[int] = []\nC = dict(x=1)\nD = (1, 2)\nE = frozenset()\ndef f():\n    global D\n"
    assert mutable_module_values(source) == ["A", "B", "C", "global D"]
