"""Where a worker's CPU goes: py-spy samples a running process, and the folded stacks it writes
are summed here into the functions that cost most (inclusive: on the stack; self: at the top).

    .venv/bin/python benchmarks/profiling.py FOLDED [--top 25] [--match complaints]
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer


async def record(pid: int, seconds: int, folded: Path) -> asyncio.subprocess.Process:
    """Start py-spy on `pid` for `seconds` (the thread holding the GIL), writing folded stacks."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return await asyncio.create_subprocess_exec(
        spy,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(seconds),
        "--rate",
        "200",
        "--format",
        "raw",
        "--nonblocking",
        "--gil",  # only the thread holding the GIL: where Python's CPU goes, waiting left out
        "--output",
        str(folded),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


def _frame_name(frame: str) -> str:
    """`function (path/to/module.py:123)` -> `function (module.py)`: lines of one function merge."""
    name, _, where = frame.partition(" (")
    file = where.rsplit(":", 1)[0].rstrip(")")
    parts = Path(file).parts
    short = "/".join(parts[-2:]) if parts else file
    return f"{name} ({short})"


def summarize(folded: Path, top: int = 20, match: str = "") -> str:
    """The `top` functions by inclusive share of samples (each counted once per stack), with
    their self share; `match` keeps only frames whose name contains it."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in folded.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_frame_name(frame) for frame in stack.split(";") if frame]
        for name in set(frames):
            inclusive[name] += count
        if frames:
            own[frames[-1]] += count
    if not total:
        return f"{folded}: no samples"
    rows = [f"{'incl %':>7} {'self %':>7}  function ({total} samples)"]
    for name, count in inclusive.most_common():
        if match and match not in name:
            continue
        rows.append(f"{100 * count / total:7.1f} {100 * own[name] / total:7.1f}  {name}")
        if len(rows) > top:
            break
    return "\n".join(rows)


def main(
    folded: Path,
    top: Annotated[int, typer.Option(min=1)] = 25,
    match: Annotated[str, typer.Option(help="only frames whose name contains this")] = "",
) -> None:
    typer.echo(summarize(folded, top, match))


if __name__ == "__main__":
    typer.run(main)
