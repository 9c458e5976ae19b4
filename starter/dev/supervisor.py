"""The `complaints dev` run: bring the stack up, watch it, and on Ctrl-C or a death stop it all in order."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from infra.settings import Settings
from starter.dev.config import EXIT_CANNOT_START, EXIT_CHILD_DIED, EXIT_OK
from starter.dev.processes import Child, DevError, race, say
from starter.dev.stack import bring_up, shutdown


async def supervise(data_dir: Path, example: bool) -> int:
    """0 when stopped by Ctrl-C / SIGTERM, 1 when a child died, 4 when the stack could not come up."""
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


def run_dev(data_dir: Path | None = None, example: bool = True) -> int:
    """Entry point for `complaints dev`; returns the exit code."""
    directory = (data_dir or Settings().data_dir).expanduser().resolve()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        say("dev", f"cannot create the data directory {directory}: {exc}", error=True)
        return EXIT_CANNOT_START
    return asyncio.run(supervise(directory, example))
