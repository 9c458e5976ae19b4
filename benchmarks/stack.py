"""A benchmark's own system: a dev server on a SQLite file, the mail sink and a worker process,
on free ports in one data directory; and the faults the chaos benchmark does to it (SIGKILL of
the worker, a stop and start of the server on the same file and ports).

It reuses `starter.dev` (the `temporal` binary, the WAL flags, the search-attribute flags,
supervised children in their own process group); only the ports and where output goes differ
from `complaints dev`: each child writes to `<data dir>/logs/<name>.log`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from infra.search_attributes import dev_server_flags
from starter.dev.config import NAMESPACE, SQLITE_WAL_FLAGS
from starter.dev.mailsink import free_port
from starter.dev.processes import HOST, Child, DevError, died, stop_child, wait_for_port
from starter.dev.stack import temporal_binary, wait_for_worker

ROOT = Path(__file__).resolve().parent.parent
TASK_QUEUE = "chaos"
OUR_WORKER = [sys.executable, str(ROOT / "worker.py")]
SERVER_READY_WITHIN = 90.0


@dataclass(frozen=True)
class Ports:
    temporal: int
    http: int
    metrics: int
    smtp: int

    @classmethod
    def free(cls) -> Ports:
        return cls(free_port(), free_port(), free_port(), free_port())


@dataclass
class Stack:
    """The processes of one benchmark run; every start and fault is logged with its time."""

    data_dir: Path
    rules_file: Path
    task_queue: str = TASK_QUEUE
    extra_env: dict[str, str] = field(default_factory=dict)  # e.g. COMPLAINTS_DATABASE_URL
    ports: Ports = field(default_factory=Ports.free)
    server: Child | None = None
    sink: Child | None = None
    worker: Child | None = None
    extras: list[Child] = field(default_factory=list)  # e.g. the HTTP API
    kills: list[float] = field(default_factory=list)  # time.time() of each SIGKILL sent to the worker
    worker_starts: int = 0
    events: list[str] = field(default_factory=list)
    _logs: list[IO[bytes]] = field(default_factory=list)
    _client: Client | None = None

    @property
    def address(self) -> str:
        return f"{HOST}:{self.ports.temporal}"

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def database_url(self) -> str:
        """The worker's app database: COMPLAINTS_DATABASE_URL from `extra_env`, else SQLite in the data directory."""
        return self.extra_env.get("COMPLAINTS_DATABASE_URL", f"sqlite+aiosqlite:///{self.data_dir / 'complaints.db'}")

    async def client(self) -> Client:
        """One client to the server for the whole run (after a server restart: start_server's)."""
        if self._client is None:
            self._client = await connect(self.address)
        return self._client

    def note(self, text: str) -> None:
        self.events.append(f"{time.strftime('%H:%M:%S')} {text}")

    def child_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "COMPLAINTS_"))}
        env.update(
            TEMPORAL_ADDRESS=self.address,
            TEMPORAL_NAMESPACE=NAMESPACE,
            COMPLAINTS_DATA_DIR=str(self.data_dir),
            COMPLAINTS_RULES_FILE=str(self.rules_file),
            COMPLAINTS_TASK_QUEUE=self.task_queue,
            COMPLAINTS_SMTP_HOST=HOST,
            COMPLAINTS_SMTP_PORT=str(self.ports.smtp),
            COMPLAINTS_LOG_FORMAT="json",
            COMPLAINTS_LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    async def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Child:
        (self.data_dir / "logs").mkdir(parents=True, exist_ok=True)
        log = (self.data_dir / "logs" / f"{name}.log").open("ab")
        self._logs.append(log)
        process = await asyncio.create_subprocess_exec(
            *argv,
            cwd=ROOT,
            env={**self.child_env(), **(env or {})},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            process_group=0,  # its own group: a SIGKILL reaches it and its children, nothing else
        )
        return Child(name, process, asyncio.create_task(asyncio.sleep(0)))

    # -- the server ------------------------------------------------------------------------------

    def server_command(self) -> list[str]:
        return [
            temporal_binary(),
            "server",
            "start-dev",
            "--db-filename",
            str(self.data_dir / "temporal.db"),
            *SQLITE_WAL_FLAGS,
            "--ip",
            HOST,
            "--port",
            str(self.ports.temporal),
            "--http-port",
            str(self.ports.http),
            "--metrics-port",
            str(self.ports.metrics),
            "--headless",
            "--log-level",
            "error",
            *dev_server_flags(),
        ]

    async def start_server(self) -> Client:
        """Start the server on the data directory's SQLite file and return a client once it answers."""
        self.server = await self._spawn("server", self.server_command())
        deadline = time.monotonic() + SERVER_READY_WITHIN
        while True:
            if not self.server.running:
                raise await died(self.server, "while starting")
            try:
                self._client = await connect(self.address)
                return self._client
            except RuntimeError as exc:
                if time.monotonic() > deadline:
                    raise DevError(f"the dev server did not answer on {self.address}: {exc}") from exc
                await asyncio.sleep(0.3)

    async def restart_server(self, hard: bool = False) -> float:
        """Stop the server (SIGTERM, SIGKILL after 15 s; or SIGKILL at once when `hard`) and start it
        again on the same file and ports; the seconds until it answered again."""
        assert self.server is not None
        began = time.monotonic()
        sig = signal.SIGKILL if hard else signal.SIGTERM
        self.note(f"server: {sig.name}")
        await stop_child(self.server, sig, 15.0)
        await self.start_server()
        away = time.monotonic() - began
        self.note(f"server: answering again after {away:.1f}s")
        return away

    # -- the sink and the worker -------------------------------------------------------------------

    async def start_sink(self) -> None:
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "starter.dev.mailsink", "--dir", str(self.mail_dir)]
        argv += ["--port", str(self.ports.smtp)]
        self.sink = await self._spawn("mail", argv)
        await wait_for_port(self.sink, self.ports.smtp, 15.0, "the SMTP sink")

    async def start_worker(
        self, client: Client | None = None, argv: list[str] | None = None, task_queue: str | None = None
    ) -> None:
        """Start a worker process (ours, or `argv`); with `client`, wait until it polls its task queue."""
        self.worker = await self._spawn("worker", argv or OUR_WORKER)
        self.worker_starts += 1
        if client is not None:
            await wait_for_worker(self.worker, client, task_queue or self.task_queue)

    async def stop_worker(self) -> None:
        """Stop the worker gracefully (SIGTERM), as an operator would."""
        if self.worker is not None:
            await stop_child(self.worker, signal.SIGTERM, 20.0)
            self.worker = None

    async def kill_worker(self) -> None:
        """SIGKILL the worker's process group (no graceful shutdown), then start a new one at once."""
        assert self.worker is not None
        if self.worker.running:
            self.kills.append(time.time())
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.worker.process.pid, signal.SIGKILL)
            await self.worker.process.wait()
        await self.start_worker()

    async def start_extra(
        self, name: str, argv: list[str], port: int | None = None, env: dict[str, str] | None = None
    ) -> Child:
        """Another process of the system (the HTTP API, a second worker), with `env` added to the children's;
        with `port`, ready once it listens there. Stopped first by `stop`."""
        child = await self._spawn(name, argv, env)
        self.extras.append(child)
        if port is not None:
            await wait_for_port(child, port, 30.0, name)
        return child

    async def start_named_worker(self, client: Client, name: str, argv: list[str], task_queue: str) -> Child:
        """One more worker process (ours or `argv`), named `name` in histories; ready once it polls `task_queue`."""
        child = await self.start_extra(name, argv, env={"COMPLAINTS_WORKER_IDENTITY": name})
        await wait_for_worker(child, client, task_queue)
        return child

    async def stop_extras(self) -> None:
        for extra in self.extras:
            await stop_child(extra, signal.SIGTERM, 20.0)
        self.extras.clear()

    async def stop(self) -> None:
        """The extras, the worker (graceful), the sink, then the server; closes the log files."""
        await self.stop_extras()
        for child, sig, within in (
            (self.worker, signal.SIGTERM, 20.0),
            (self.sink, signal.SIGTERM, 5.0),
            (self.server, signal.SIGINT, 15.0),
        ):
            if child is not None:
                await stop_child(child, sig, within)
        for log in self._logs:
            log.close()


async def connect(address: str) -> Client:
    return await Client.connect(address, namespace=NAMESPACE, data_converter=pydantic_data_converter)
