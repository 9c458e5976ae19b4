"""Child processes of `complaints dev`: each in its own process group, its output prefixed with its name."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
import socket
import sys
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from infra.settings import PROJECT_ROOT

HOST: Final = "127.0.0.1"  # everything the dev stack runs listens on loopback only

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


async def died(child: Child, what: str) -> DevError:
    """The error for a child that exited while it should have been starting or serving."""
    await asyncio.sleep(0.2)  # let its last words reach the terminal first
    return DevError(f"{child.name} exited with code {child.process.returncode} {what} (see its output above)")


async def wait_for_port(child: Child, port: int, within: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not port_in_use(port):
        if child.process.returncode is not None:
            raise await died(child, what)
        if asyncio.get_running_loop().time() > deadline:
            raise DevError(f"{what} did not listen on {HOST}:{port} within {within:.0f}s")
        await asyncio.sleep(0.2)


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
