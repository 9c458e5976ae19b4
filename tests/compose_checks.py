"""Consistency checks between docker-compose.yml / the Dockerfile and the application.

No Docker engine runs on the machines this project is developed and tested on, so the
production stack is checked statically: every function here returns a list of problems
(empty when all is well), which lets tests break one thing at a time and see it reported.
Services are found by what they are (image, command), not by their names, so a renamed
service is still checked and a wrong reference between services is caught.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Final

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from infra.search_attributes import cli_types
from infra.settings import ENV_PREFIX, env_names
from tests.compose_file import (
    Compose,
    Service,
    command,
    depends_on,
    environment,
    find,
    host_port,
    image_name,
    published_ports,
    services,
)

SUPPORTED_DATABASE_DRIVERS = frozenset({"postgresql+psycopg"})  # the `postgres` extra installs psycopg 3
TEMPORAL_SERVER_IMAGE = "temporalio/server"
MAILPIT_IMAGE = "axllent/mailpit"
POSTGRES_IMAGE = "postgres"
MAILPIT_DEFAULT_SMTP_PORT = 1025
TEMPORAL_DEFAULT_GRPC_PORT = 7233
POSTGRES_PORT = 5432
CONDITIONS = frozenset({"service_started", "service_healthy", "service_completed_successfully"})
LONG_RUNNING_RESTARTS = frozenset({"always", "unless-stopped"})

# The environment variables `temporalio.envconfig` reads (Temporal's environment configuration
# spec, as implemented by the SDK core in temporalio 1.35; `infra.connection` hands them to it
# unread), so the deployment files can be checked against them. `TEMPORAL_GRPC_META_<NAME>`
# adds a gRPC header and is matched by prefix.
ENVCONFIG_VARIABLES: Final = frozenset(
    {
        "TEMPORAL_CONFIG_FILE",
        "TEMPORAL_PROFILE",
        "TEMPORAL_ADDRESS",
        "TEMPORAL_NAMESPACE",
        "TEMPORAL_API_KEY",
        "TEMPORAL_TLS",
        "TEMPORAL_TLS_CLIENT_CERT_PATH",
        "TEMPORAL_TLS_CLIENT_CERT_DATA",
        "TEMPORAL_TLS_CLIENT_KEY_PATH",
        "TEMPORAL_TLS_CLIENT_KEY_DATA",
        "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
        "TEMPORAL_TLS_SERVER_CA_CERT_DATA",
        "TEMPORAL_TLS_SERVER_NAME",
        "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION",
        "TEMPORAL_CODEC_ENDPOINT",
        "TEMPORAL_CODEC_AUTH",
    }
)
ENVCONFIG_PREFIXES: Final = ("TEMPORAL_GRPC_META_",)


def is_envconfig_variable(name: str) -> bool:
    """True when `temporalio.envconfig` would read this variable."""
    return name in ENVCONFIG_VARIABLES or name.startswith(ENVCONFIG_PREFIXES)


def app_services(compose: Compose) -> dict[str, str]:
    """Service name → `complaints` subcommand (`worker`, `api`, …) for the app's own services."""
    result: dict[str, str] = {}
    for name, service in services(compose).items():
        argv = command(service)
        if argv[:1] == ["complaints"] and len(argv) > 1:
            result[name] = argv[1]
    return result


def _one(compose: Compose, what: str, matches: Callable[[Service], bool], problems: list[str]) -> str | None:
    names = find(compose, matches)
    if len(names) != 1:
        problems.append(f"expected exactly one {what} service, found {len(names)}: {names}")
        return None
    return names[0]


def _app(compose: Compose, subcommand: str, problems: list[str]) -> str | None:
    names = [name for name, sub in app_services(compose).items() if sub == subcommand]
    if len(names) != 1:
        problems.append(f"expected exactly one service running `complaints {subcommand}`, found {names}")
        return None
    return names[0]


# ---- the checks -------------------------------------------------------------------------------


def image_problems(compose: Compose) -> list[str]:
    """Every service runs a pinned image or one built here: `latest` or no tag drifts under you."""
    problems = []
    for name, service in services(compose).items():
        image = str(service.get("image", ""))
        if "build" in service and (not image or ":" in image.rsplit("/", 1)[-1]):
            continue
        if not image:
            problems.append(f"{name}: neither an image nor a build")
        elif "@sha256:" in image:
            continue
        elif ":" not in image.rsplit("/", 1)[-1]:
            problems.append(f"{name}: image {image} has no tag (pin a version)")
        elif image.rsplit(":", 1)[1] in {"latest", "stable", "main"}:
            problems.append(f"{name}: image {image} is not pinned to a version")
    return problems


def dependency_problems(compose: Compose) -> list[str]:
    """Start order that can actually be satisfied: known targets, health to wait for, one-shots."""
    problems = []
    known = services(compose)
    for name, service in known.items():
        for target, condition in depends_on(service).items():
            if target not in known:
                problems.append(f"{name}: depends on {target}, which is not a service")
                continue
            if condition not in CONDITIONS:
                problems.append(f"{name}: unknown condition {condition!r} for {target}")
            healthcheck = known[target].get("healthcheck") or {}
            if condition == "service_healthy" and (not healthcheck or healthcheck.get("disable")):
                problems.append(f"{name}: waits for {target} to be healthy, but {target} has no healthcheck")
            if condition == "service_completed_successfully" and known[target].get("restart") in LONG_RUNNING_RESTARTS:
                problems.append(f"{name}: waits for {target} to complete, but {target} restarts forever")
    return problems


def app_environment_problems(compose: Compose) -> list[str]:
    """The app's services set only variables the app reads: a typo would be silently ignored."""
    problems = []
    settings = env_names()
    for name in app_services(compose):
        for variable in environment(services(compose)[name]):
            if variable.startswith(ENV_PREFIX):
                if variable not in settings:
                    problems.append(f"{name}: {variable} is not a setting of infra.settings.Settings")
            elif variable.startswith("TEMPORAL_"):
                if not is_envconfig_variable(variable):
                    problems.append(f"{name}: {variable} is not read by temporalio.envconfig")
            else:
                problems.append(f"{name}: {variable} is read by neither Settings nor temporalio.envconfig")
    return problems


def mail_problems(compose: Compose) -> list[str]:
    """The workers' SMTP settings reach Mailpit's SMTP listener."""
    problems: list[str] = []
    mailpit = _one(compose, "Mailpit", lambda s: image_name(s) == MAILPIT_IMAGE, problems)
    worker = _app(compose, "worker", problems)
    if mailpit is None or worker is None:
        return problems
    env = environment(services(compose)[worker])
    host = env.get(f"{ENV_PREFIX}SMTP_HOST")
    if host != mailpit:
        problems.append(f"{worker}: {ENV_PREFIX}SMTP_HOST is {host!r}, not the Mailpit service {mailpit!r}")
    bind = environment(services(compose)[mailpit]).get("MP_SMTP_BIND_ADDR", f"0.0.0.0:{MAILPIT_DEFAULT_SMTP_PORT}")
    smtp_port = host_port(bind)[1]
    port = env.get(f"{ENV_PREFIX}SMTP_PORT")
    if port is None or not port.isdigit() or int(port) != smtp_port:
        problems.append(f"{worker}: {ENV_PREFIX}SMTP_PORT is {port!r}, but Mailpit's SMTP listens on {smtp_port}")
    if depends_on(services(compose)[worker]).get(mailpit) != "service_healthy":
        problems.append(f"{worker}: does not wait for {mailpit} to be healthy")
    return problems


def database_problems(compose: Compose) -> list[str]:
    """The workers' store is the app's own PostgreSQL (not Temporal's), through a supported driver."""
    problems: list[str] = []
    worker = _app(compose, "worker", problems)
    temporal = _one(compose, "Temporal server", lambda s: image_name(s) == TEMPORAL_SERVER_IMAGE, problems)
    if worker is None:
        return problems
    raw = environment(services(compose)[worker]).get(f"{ENV_PREFIX}DATABASE_URL")
    if raw is None:
        return [*problems, f"{worker}: {ENV_PREFIX}DATABASE_URL is not set (it would use SQLite in the container)"]
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        return [*problems, f"{worker}: {ENV_PREFIX}DATABASE_URL is not a database URL: {exc}"]
    if url.drivername not in SUPPORTED_DATABASE_DRIVERS:
        supported = sorted(SUPPORTED_DATABASE_DRIVERS)
        problems.append(f"{worker}: database driver {url.drivername!r} is not one of {supported}")
    db = services(compose).get(url.host or "")
    if db is None or image_name(db) != POSTGRES_IMAGE:
        return [*problems, f"{worker}: {ENV_PREFIX}DATABASE_URL host {url.host!r} is not a PostgreSQL service"]
    db_env = environment(db)
    expected = {
        "user": db_env.get("POSTGRES_USER", "postgres"),
        "password": db_env.get("POSTGRES_PASSWORD"),
        "database": db_env.get("POSTGRES_DB", db_env.get("POSTGRES_USER", "postgres")),
        "port": POSTGRES_PORT,
    }
    actual = {"user": url.username, "password": url.password, "database": url.database, "port": url.port}
    for part, value in expected.items():
        if actual[part] != value:
            problems.append(f"{worker}: {ENV_PREFIX}DATABASE_URL {part} is {actual[part]!r}, {url.host} has {value!r}")
    if temporal is not None:
        temporal_env = environment(services(compose)[temporal])
        if url.host == temporal_env.get("POSTGRES_SEEDS") or url.username == temporal_env.get("POSTGRES_USER"):
            problems.append(f"{worker}: the app's store must not share Temporal's database server or user")
    if depends_on(services(compose)[worker]).get(url.host or "") != "service_healthy":
        problems.append(f"{worker}: does not wait for {url.host} to be healthy")
    return problems


def temporal_problems(compose: Compose) -> list[str]:
    """Everyone reaches the Temporal frontend on the port it listens on, in the namespace set up."""
    problems: list[str] = []
    temporal = _one(compose, "Temporal server", lambda s: image_name(s) == TEMPORAL_SERVER_IMAGE, problems)
    if temporal is None:
        return problems
    server = services(compose)[temporal]
    server_env = environment(server)
    grpc_port = int(server_env.get("FRONTEND_GRPC_PORT", TEMPORAL_DEFAULT_GRPC_PORT))
    for name, service in services(compose).items():
        address = environment(service).get("TEMPORAL_ADDRESS")
        if address is None:
            continue
        host, port = host_port(address)
        if host != temporal or port != grpc_port:
            problems.append(f"{name}: TEMPORAL_ADDRESS is {address}, the server listens on {temporal}:{grpc_port}")
    for host_part, container_port in published_ports(server):
        if host_part is not None and container_port != str(grpc_port):
            problems.append(f"{temporal}: publishes container port {container_port}, the frontend is on {grpc_port}")
    for name in app_services(compose):
        if "TEMPORAL_ADDRESS" not in environment(services(compose)[name]):
            problems.append(f"{name}: TEMPORAL_ADDRESS is not set (it would try localhost:7233)")
    namespaces = {
        name: env["TEMPORAL_NAMESPACE"]
        for name, service in services(compose).items()
        if "TEMPORAL_NAMESPACE" in (env := environment(service))
    }
    if len(set(namespaces.values())) > 1:
        problems.append(f"services disagree on TEMPORAL_NAMESPACE: {namespaces}")
    creators = find(compose, lambda s: "namespace create" in " ".join(command(s)))
    if not creators:
        problems.append("no service creates the namespace (`temporal operator namespace create`)")
    problems += _persistence_problems(compose, temporal, server_env)
    return problems


def _persistence_problems(compose: Compose, temporal: str, server_env: Mapping[str, str]) -> list[str]:
    """The server's PostgreSQL and both its databases exist, set up by temporal-sql-tool first."""
    problems = []
    seeds = server_env.get("POSTGRES_SEEDS", "")
    db = services(compose).get(seeds)
    if server_env.get("DB") not in {"postgres12", "postgres12_pgx"} or db is None or image_name(db) != POSTGRES_IMAGE:
        return [f"{temporal}: must use PostgreSQL (DB=postgres12, POSTGRES_SEEDS naming a postgres service)"]
    db_env = environment(db)
    if server_env.get("POSTGRES_USER") != db_env.get("POSTGRES_USER", "postgres"):
        problems.append(f"{temporal}: POSTGRES_USER does not match {seeds}'s")
    if server_env.get("POSTGRES_PWD") != db_env.get("POSTGRES_PASSWORD"):
        problems.append(f"{temporal}: POSTGRES_PWD does not match {seeds}'s POSTGRES_PASSWORD")
    setup = [
        name
        for name, condition in depends_on(services(compose)[temporal]).items()
        if condition == "service_completed_successfully"
    ]
    script = " ".join(" ".join(command(services(compose)[name])) for name in setup if name in services(compose))
    if "temporal-sql-tool" not in script:
        problems.append(f"{temporal}: does not wait for a temporal-sql-tool schema setup to complete")
    for database in (server_env.get("DBNAME", "temporal"), server_env.get("VISIBILITY_DBNAME", "temporal_visibility")):
        if not re.search(rf"\b{re.escape(database)}\b", script):
            problems.append(f"{temporal}: database {database} is not set up by the schema service")
    for step in ("create-database", "setup-schema", "update-schema"):
        if step not in script:
            problems.append(f"{temporal}: the schema setup does not run {step}")
    return problems


def search_attribute_problems(compose: Compose) -> list[str]:
    """The one-shot setup registers exactly workflows/search_attributes.py, types included."""
    problems: list[str] = []
    setup = _one(
        compose,
        "search attribute setup",
        lambda s: command(s)[:4] == ["temporal", "operator", "search-attribute", "create"],
        problems,
    )
    if setup is None:
        return problems
    argv = command(services(compose)[setup])
    names = [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == "--name"]
    types = [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == "--type"]
    if len(names) != len(types):
        return [f"{setup}: {len(names)} --name but {len(types)} --type"]
    registered = dict(zip(names, types, strict=True))
    expected = cli_types()
    for name in sorted(set(expected) - set(registered)):
        problems.append(f"{setup}: {name} is not registered")
    for name in sorted(set(registered) - set(expected)):
        problems.append(f"{setup}: {name} is not in workflows/search_attributes.py")
    for name in sorted(set(expected) & set(registered)):
        if registered[name].lower() != expected[name].lower():
            problems.append(f"{setup}: {name} is registered as {registered[name]}, the app uses {expected[name]}")
    for name in app_services(compose):
        if depends_on(services(compose)[name]).get(setup) != "service_completed_successfully":
            problems.append(f"{name}: does not wait for {setup} to complete (upserts would fail)")
    return problems


def scaling_problems(compose: Compose) -> list[str]:
    """Workers scale with `--scale`: no fixed name, no host port, more than one by default."""
    problems: list[str] = []
    worker = _app(compose, "worker", problems)
    if worker is None:
        return problems
    service = services(compose)[worker]
    if "container_name" in service:
        problems.append(f"{worker}: container_name prevents running more than one")
    for host_part, container_port in published_ports(service):
        if host_part is not None:
            problems.append(f"{worker}: host port {host_part} for {container_port} prevents running more than one")
    replicas = (service.get("deploy") or {}).get("replicas", 1)
    if not isinstance(replicas, int) or replicas < 2:
        problems.append(f"{worker}: deploy.replicas is {replicas!r}; run at least 2 so one can restart")
    return problems


def api_problems(compose: Compose) -> list[str]:
    """The intake API is published on the port it is told to listen on."""
    problems: list[str] = []
    api = _app(compose, "api", problems)
    if api is None:
        return problems
    argv = command(services(compose)[api])
    port = argv[argv.index("--port") + 1] if "--port" in argv[:-1] else None
    published = {container: host for host, container in published_ports(services(compose)[api])}
    if port is None or port not in published:
        problems.append(f"{api}: listens on {port}, publishes container ports {sorted(published)}")
    return problems


def dockerfile_problems(dockerfile: str) -> list[str]:
    """The image runs as a non-root user and installs the PostgreSQL driver, not the dev tools."""
    problems = []
    joined = re.sub(r"\\\n", " ", dockerfile)  # continuation lines make one instruction
    lines = [line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    users = [line.split(None, 1)[1].split(":")[0] for line in lines if line.upper().startswith("USER ")]
    if not users or users[-1] in {"root", "0"}:
        problems.append(f"Dockerfile: the final USER is {users[-1] if users else 'not set'} (root)")
    installs = " ".join(line for line in lines if "pip install" in line)
    if "[postgres]" not in installs:
        problems.append("Dockerfile: the package is not installed with the postgres extra")
    if "dev]" in installs or "[dev" in installs:
        problems.append("Dockerfile: installs the dev extra")
    for line in lines:
        if line.upper().startswith("ENV "):
            problems += [
                f"Dockerfile: {name} is not a setting of infra.settings.Settings"
                for name in re.findall(rf"\b({ENV_PREFIX}[A-Z0-9_]+)=", line)
                if name not in env_names()
            ]
    return problems


COMPOSE_CHECKS: tuple[Callable[[Compose], list[str]], ...] = (
    image_problems,
    dependency_problems,
    app_environment_problems,
    mail_problems,
    database_problems,
    temporal_problems,
    search_attribute_problems,
    scaling_problems,
    api_problems,
)


def all_problems(compose: Compose, dockerfile: str) -> list[str]:
    """Every check on the stack and the image; empty means consistent with the app."""
    problems: list[str] = []
    for check in COMPOSE_CHECKS:
        problems += check(compose)
    return problems + dockerfile_problems(dockerfile)
