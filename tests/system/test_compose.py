"""docker-compose.yml, the Dockerfile and the README agree with the application.

No Docker engine runs where this project is developed and tested, so the production stack is
checked here instead of by starting it: `tests/compose_checks.py` holds the checks, each
returning problems. The real files must have none, and every check is shown to catch a
broken variant, so a check that could never fail would be noticed.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.dynamic_config import DYNAMIC_CONFIG
from infra.settings import env_names, reference_table
from tests.compose_checks import all_problems, dockerfile_problems

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
README = ROOT / "README.md"

Mutation = Callable[[dict[str, Any]], None]


def load_compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_the_stack_is_consistent_with_the_app() -> None:
    assert all_problems(load_compose(), DOCKERFILE.read_text(encoding="utf-8")) == []


def _env(service: str, **changes: str | None) -> Mutation:
    def mutate(compose: dict[str, Any]) -> None:
        env = compose["services"][service].setdefault("environment", {})
        for name, value in changes.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value

    return mutate


def _set(service: str, key: str, value: Any) -> Mutation:
    def mutate(compose: dict[str, Any]) -> None:
        compose["services"][service][key] = value

    return mutate


def _drop(service: str, key: str) -> Mutation:
    def mutate(compose: dict[str, Any]) -> None:
        compose["services"][service].pop(key, None)

    return mutate


def _search_attribute(name: str, new_type: str | None) -> Mutation:
    """Change one attribute's type in the setup command, or drop it (None)."""

    def mutate(compose: dict[str, Any]) -> None:
        argv: list[str] = compose["services"]["temporal-search-attributes"]["command"]
        at = argv.index(name)
        if new_type is None:
            del argv[at - 1 : at + 3]
        else:
            argv[at + 2] = new_type

    return mutate


def _add_search_attribute(compose: dict[str, Any]) -> None:
    compose["services"]["temporal-search-attributes"]["command"] += ["--name", "Unused", "--type", "Int"]


def _depend(service: str, target: str, condition: str | None) -> Mutation:
    def mutate(compose: dict[str, Any]) -> None:
        deps = compose["services"][service].setdefault("depends_on", {})
        if condition is None:
            deps.pop(target, None)
        else:
            deps[target] = {"condition": condition}

    return mutate


BROKEN: dict[str, tuple[Mutation, str]] = {
    # pinned images
    "floating tag": (_set("temporal", "image", "temporalio/server:latest"), "temporal: image"),
    "no tag": (_set("mailpit", "image", "axllent/mailpit"), "has no tag"),
    "neither image nor build": (_drop("temporal-ui", "image"), "neither an image nor a build"),
    # dependencies
    "unknown dependency": (_depend("worker", "redis", "service_started"), "depends on redis, which is not"),
    "healthy without healthcheck": (_drop("app-db", "healthcheck"), "app-db has no healthcheck"),
    "bad condition": (_depend("worker", "app-db", "service_ready"), "unknown condition"),
    "one-shot that never completes": (
        _set("temporal-schema", "restart", "unless-stopped"),
        "temporal-schema restarts forever",
    ),
    # the app's environment
    "setting typo": (_env("worker", COMPLAINTS_SMTP_HOSTNAME="mailpit"), "COMPLAINTS_SMTP_HOSTNAME is not a setting"),
    "temporal typo": (_env("api", TEMPORAL_HOST="temporal:7233"), "TEMPORAL_HOST is not read by temporalio.envconfig"),
    "foreign variable": (_env("worker", DATABASE_URL="x"), "DATABASE_URL is read by neither"),
    # mail
    "smtp host": (_env("worker", COMPLAINTS_SMTP_HOST="localhost"), "not the Mailpit service 'mailpit'"),
    "smtp port": (_env("worker", COMPLAINTS_SMTP_PORT="25"), "Mailpit's SMTP listens on 1025"),
    "mailpit moved": (_env("mailpit", MP_SMTP_BIND_ADDR="0.0.0.0:2525"), "Mailpit's SMTP listens on 2525"),
    # the app's database
    "database unset": (_env("worker", COMPLAINTS_DATABASE_URL=None), "would use SQLite"),
    "unsupported driver": (
        _env("worker", COMPLAINTS_DATABASE_URL="postgresql+asyncpg://complaints:complaints@app-db:5432/complaints"),
        "driver 'postgresql+asyncpg'",
    ),
    "database on temporal's server": (
        _env("worker", COMPLAINTS_DATABASE_URL="postgresql+psycopg://temporal:temporal@temporal-db:5432/temporal"),
        "must not share Temporal's",
    ),
    "wrong password": (
        _env("worker", COMPLAINTS_DATABASE_URL="postgresql+psycopg://complaints:secret@app-db:5432/complaints"),
        "password is 'secret'",
    ),
    "not a postgres service": (
        _env("worker", COMPLAINTS_DATABASE_URL="postgresql+psycopg://complaints:complaints@mailpit:5432/complaints"),
        "'mailpit' is not a PostgreSQL service",
    ),
    # Temporal
    "wrong temporal host": (_env("worker", TEMPORAL_ADDRESS="localhost:7233"), "TEMPORAL_ADDRESS is localhost:7233"),
    "wrong temporal port": (_env("api", TEMPORAL_ADDRESS="temporal:7234"), "the server listens on temporal:7233"),
    "server moved": (_env("temporal", FRONTEND_GRPC_PORT="7000"), "the server listens on temporal:7000"),
    "no temporal address": (_env("worker", TEMPORAL_ADDRESS=None), "TEMPORAL_ADDRESS is not set"),
    "namespaces disagree": (_env("api", TEMPORAL_NAMESPACE="complaints"), "disagree on TEMPORAL_NAMESPACE"),
    "no namespace creation": (_drop("temporal-namespace", "command"), "no service creates the namespace"),
    "server password": (_env("temporal", POSTGRES_PWD="other"), "POSTGRES_PWD does not match"),
    "visibility database not set up": (
        _env("temporal", VISIBILITY_DBNAME="visibility2"),
        "database visibility2 is not set up",
    ),
    "server starts before its schema": (
        _depend("temporal", "temporal-schema", None),
        "does not wait for a temporal-sql-tool schema setup",
    ),
    # search attributes
    "attribute missing": (_search_attribute("SlaBreached", None), "SlaBreached is not registered"),
    "attribute with the wrong type": (
        _search_attribute("CompensationAmount", "Int"),
        "CompensationAmount is registered as Int, the app uses Double",
    ),
    "attribute the app does not have": (_add_search_attribute, "Unused is not in workflows/search_attributes.py"),
    "worker before attributes": (
        _depend("worker", "temporal-search-attributes", None),
        "worker: does not wait for temporal-search-attributes",
    ),
    # scaling
    "container name": (_set("worker", "container_name", "worker"), "container_name prevents"),
    "host port": (_set("worker", "ports", ["9000:9000"]), "host port 9000"),
    "single replica": (_set("worker", "deploy", {"replicas": 1}), "deploy.replicas is 1"),
    # the API
    "api port": (_set("api", "ports", ["8080:8080"]), "api: listens on 8000"),
}


@pytest.mark.parametrize(("mutate", "expected"), BROKEN.values(), ids=BROKEN.keys())
def test_each_check_catches_its_broken_variant(mutate: Mutation, expected: str) -> None:
    compose = copy.deepcopy(load_compose())
    mutate(compose)
    problems = all_problems(compose, DOCKERFILE.read_text(encoding="utf-8"))
    assert any(expected in problem for problem in problems), problems


def test_an_env_list_is_read_like_a_mapping() -> None:
    """Compose allows `- NAME=value` lists too; the checks must read them the same way."""
    compose = copy.deepcopy(load_compose())
    worker = compose["services"]["worker"]
    worker["environment"] = [f"{name}={value}" for name, value in worker["environment"].items()]
    assert all_problems(compose, DOCKERFILE.read_text(encoding="utf-8")) == []
    worker["environment"].append("COMPLAINTS_NO_SUCH_SETTING=1")
    assert any("COMPLAINTS_NO_SUCH_SETTING" in p for p in all_problems(compose, DOCKERFILE.read_text()))


DOCKERFILE_BROKEN = {
    "root at the end": (lambda text: text + "USER root\n", "the final USER is root"),
    "no user": (lambda text: re.sub(r"(?m)^USER .*$", "", text), "the final USER is not set"),
    "no postgres driver": (lambda text: text.replace(".[postgres]", "."), "not installed with the postgres extra"),
    "dev tools": (lambda text: text.replace(".[postgres]", ".[postgres,dev]"), "installs the dev extra"),
    "unknown setting": (
        lambda text: text.replace("COMPLAINTS_LOG_FORMAT=json", "COMPLAINTS_LOGFORMAT=json"),
        "COMPLAINTS_LOGFORMAT is not a setting",
    ),
}


@pytest.mark.parametrize(("mutate", "expected"), DOCKERFILE_BROKEN.values(), ids=DOCKERFILE_BROKEN.keys())
def test_each_dockerfile_check_catches_its_broken_variant(mutate: Callable[[str], str], expected: str) -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert dockerfile_problems(text) == []
    broken = mutate(text)
    assert broken != text, "the mutation must change the Dockerfile"
    assert any(expected in problem for problem in dockerfile_problems(broken)), dockerfile_problems(broken)


def test_the_build_context_leaves_local_state_out() -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".venv", ".data", ".git", "tests/histories", ".pytest_cache", ".mypy_cache", ".ruff_cache"} <= ignored


def test_the_readme_settings_reference_is_generated_from_settings() -> None:
    """The table is `python -m infra.settings`; a new or changed setting fails until it is pasted in."""
    readme = README.read_text(encoding="utf-8")
    table = reference_table()
    assert table in readme, "README's Settings reference is stale: paste the output of `python -m infra.settings`"
    rows = {m.group(1) for m in re.finditer(r"^\| `(COMPLAINTS_[A-Z0-9_]+)` \|", readme, flags=re.MULTILINE)}
    assert rows == set(env_names())


def test_the_readme_describes_the_production_stack() -> None:
    readme = README.read_text(encoding="utf-8")
    section = readme.split("## Production stack (docker-compose)", 1)[1].split("\n## ", 1)[0]
    for fact in ("8080", "8025", "8000", "docker compose up --scale worker=4", "tests/system/test_compose.py"):
        assert fact in section
    for service in load_compose()["services"]:
        assert f"`{service}`" in section, f"the README does not describe the {service} service"


def compose_dynamic_config(text: str) -> dict[str, object]:
    """The global (unconstrained) value of each key in a Temporal dynamic config file."""
    return {key: entries[0]["value"] for key, entries in yaml.safe_load(text).items()}


def test_the_compose_server_gets_the_dev_servers_dynamic_config() -> None:
    """Priority and the reported-problems attribute must hold on the production stack too."""
    path = ROOT / "deploy" / "temporal" / "dynamicconfig.yaml"
    found = compose_dynamic_config(path.read_text(encoding="utf-8"))
    assert {key: found.get(key) for key in DYNAMIC_CONFIG} == DYNAMIC_CONFIG
    broken = path.read_text(encoding="utf-8").replace("useNewMatcher", "useOldMatcher")
    assert compose_dynamic_config(broken).get("matching.useNewMatcher") is None
