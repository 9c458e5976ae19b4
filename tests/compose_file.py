"""Reading docker-compose.yml as compose itself reads it, for the checks in `tests/compose_checks.py`.

Interpolation with no variables set, environment and dependency lists in either syntax, ports
in short or long form: each reader returns what compose would use, so a check never depends on
which of the equivalent spellings the file happens to use.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping
from typing import Any

Compose = Mapping[str, Any]
Service = Mapping[str, Any]

_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?-)(?P<default>[^}]*))?\}")


def interpolate(value: object) -> str:
    """The value compose would use with no variables set: `${X:-default}` → default, `$$` → `$`."""
    text = str(value)
    text = _VARIABLE.sub(lambda m: m.group("default") if m.group("op") else f"<unset {m.group('name')}>", text)
    return text.replace("$$", "$")


def services(compose: Compose) -> Mapping[str, Service]:
    found = compose.get("services")
    return found if isinstance(found, Mapping) else {}


def environment(service: Service) -> dict[str, str]:
    """A service's environment as a dict, list form (`K=V`) or mapping form, interpolated."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        pairs = (str(item).partition("=") for item in raw)
        return {name: interpolate(value) for name, _, value in pairs}
    return {str(name): interpolate(value) for name, value in raw.items() if value is not None}


def command(service: Service) -> list[str]:
    raw = service.get("command") or []
    return shlex.split(raw) if isinstance(raw, str) else [str(part) for part in raw]


def image_name(service: Service) -> str:
    """The image's repository without registry prefix `docker.io/` or tag."""
    image = str(service.get("image", "")).removeprefix("docker.io/").split("@")[0]
    return image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image


def depends_on(service: Service) -> dict[str, str]:
    """Dependency → condition (the short list form means `service_started`)."""
    raw = service.get("depends_on") or {}
    if isinstance(raw, list):
        return {str(name): "service_started" for name in raw}
    return {str(name): str((spec or {}).get("condition", "service_started")) for name, spec in raw.items()}


def host_port(address: str) -> tuple[str, int | None]:
    host, _, port = address.rpartition(":")
    if not host:
        return address, None
    return host, int(port) if port.isdigit() else None


def published_ports(service: Service) -> list[tuple[str | None, str]]:
    """(host part or None, container port) for each `ports` entry, short or long syntax."""
    result: list[tuple[str | None, str]] = []
    for entry in service.get("ports") or []:
        if isinstance(entry, Mapping):
            published = entry.get("published")
            result.append((str(published) if published is not None else None, str(entry.get("target"))))
            continue
        parts = str(entry).split("/")[0].split(":")
        result.append((":".join(parts[:-1]) or None, parts[-1]))
    return result


def find(compose: Compose, matches: Callable[[Service], bool]) -> list[str]:
    return [name for name, service in services(compose).items() if matches(service)]
