"""The chaos benchmark: many complaints through every path while the worker is SIGKILLed and the
server restarted, then a check of what was paid, mailed and decided (issue 14).

    .venv/bin/python benchmarks/chaos.py --complaints 500 --kill-every 10 --server-restarts 2 [--data-dir DIR]
    .venv/bin/python benchmarks/chaos.py --complaints 60 --no-faults

It brings up a fresh system of its own on free ports in one data directory (a temporary one
unless --data-dir names a new or empty one): a Temporal dev server on a SQLite file (WAL), the
SMTP sink writing `.eml` files, and one worker process (`worker.py`), with rules derived from
config/demo.toml (chaos_plan.TIMINGS: offers lapse after 2 min, the reopen window is 90 s).

The complaints are spread evenly over six journeys: auto-approved (within auto-approval);
approved by two levels (a team lead's amount, left unanswered until the approval deadline
escalates it, then approved by the manager); declined, reviewed and accepted; countered (half
within auto-approval, half approved by a team lead); silent customer (the offer lapses and stands,
the survey expires); reopened within the window, reviewed and accepted again. For --conflict-fraction
of the auto and two-level cases two answers to one question are sent at once (accept and a
counter-offer; the manager's approval and a director's amendment): exactly one may be taken.
Staff and customers act through `starter.client.send_action`, with one update id per case, step
and answer, and retry it as it is after NoAnswer, timeouts and the server being away.

Faults: every ~--kill-every seconds (±30 %) the worker's process group gets SIGKILL and a new
worker starts at once; every --restart-every seconds, --server-restarts times, the dev server is
stopped (SIGTERM, SIGKILL after 15 s; every second restart SIGKILL at once) and started again on
the same SQLite file and ports. After each restart the benchmark checks that its own client
answers again and that the worker process that outlived it polls the new server (the dev server
keeps pollers in memory, so it lists the worker's identity again only once it reconnected), and
reports how long each took.

The checks, at the end, read sources independent of the drivers and of each other:
- closed / stuck: each workflow's status (a case not Closed by --time-limit is stuck; listed with
  its last stage);
- double payouts: a case with more ledger rows than its journey pays (0, 1, or 2 when reopened),
  or two rows for one proposal version;
- wrong amounts: the ledger's sum per case, and the case's own result (`remedy_total`), against
  what the journey must pay (the loss, the counter, the amendment, the second round's loss);
- second decisions: a history holding more accepted answers (findings, approve/amend/reject,
  offer responses, feedback) than the journey asks questions, or one update id accepted twice;
- duplicate mails: the same message (recipient, kind, case: the `X-Complaintflow-*` headers, and
  its key) stored more than once, or an acknowledgement, survey invitation or thank-you to one
  customer under two keys; split by recipient into customer and staff;
- kills in the send window: each copy of a message has a send window, from the sink storing it
  until the outbox marks it sent. A copy never marked (a later attempt sent the message again)
  had its attempt ended by the first SIGKILL after it arrived, if that came before the next copy
  and within the activity's 60 s start-to-close timeout: that kill landed in a send window. A
  copy with no such kill before the next one is a duplicate no kill explains. A kill lands in
  the window of every message between `250` and its mark at that moment; the worker hands over
  one message at a time, so the table's "most by one kill" should never pass 1. The table also
  gives the window's length, measured for every message that was marked.

Exit status 1 if any invariant fails: closed < N, stuck, double payouts, wrong amounts, second
decisions, duplicates no kill explains, more duplicates than kills that landed in a send window
(with --duplicates-bound windows: than send windows hit; with --no-faults: any duplicate), or a
client that did not reconnect after a server restart. 2 for bad options.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest, GetSystemInfoRequest
from temporalio.client import Client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chaos_checks import judge
from chaos_drive import Driver, Watcher, start_all
from chaos_plan import make_plans, write_rules
from chaos_report import Faults, report
from stack import TASK_QUEUE, Stack

RECONNECT_WITHIN = 60.0


@dataclass
class Options:
    complaints: int
    kill_every: float
    server_restarts: int
    restart_every: float
    time_limit: float
    conflict_fraction: float
    seed: int
    no_faults: bool
    bound: str = "kills"


async def restart_server(stack: Stack, client: Client, faults: Faults) -> None:
    """Stop and start the server (SIGTERM the first time, SIGKILL the second, and so on); then: does
    our client answer again, does the same worker process carry on?"""
    faults.server_away.append(await stack.restart_server(hard=len(faults.server_away) % 2 == 1))
    began = time.monotonic()
    client_back: float | None = None
    while time.monotonic() - began < RECONNECT_WITHIN:
        try:
            await client.workflow_service.get_system_info(GetSystemInfoRequest(), timeout=timedelta(seconds=2))
            client_back = time.monotonic() - began
            break
        except Exception:
            await asyncio.sleep(0.5)
    faults.client_back.append(client_back)
    faults.worker_back.append(await worker_polls_again(stack, client))
    stack.note(
        f"after the restart: client answered after {_s(client_back)}, "
        f"the same worker polled again after {_s(faults.worker_back[-1])}"
    )
    if faults.worker_back[-1] is None:  # it did not come back: a new worker settles it
        await stack.kill_worker()


async def worker_polls_again(stack: Stack, client: Client) -> float | None:
    """Seconds until the worker process that outlived the restart polls the new server: the dev
    server keeps its pollers in memory, so one listed with that process's identity has reconnected."""
    assert stack.worker is not None
    identity = f"{stack.worker.process.pid}@"
    request = DescribeTaskQueueRequest(
        namespace=client.namespace,
        task_queue=TaskQueue(name=TASK_QUEUE),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    began = time.monotonic()
    while time.monotonic() - began < RECONNECT_WITHIN:
        with contextlib.suppress(Exception):
            response = await client.workflow_service.describe_task_queue(request, timeout=timedelta(seconds=2))
            if any(poller.identity.startswith(identity) for poller in response.pollers):
                return time.monotonic() - began
        await asyncio.sleep(0.5)
    return None


def _s(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds:.1f}s"


async def make_chaos(stack: Stack, client: Client, options: Options, faults: Faults, stop: asyncio.Event) -> None:
    rng = random.Random(options.seed)

    def jitter() -> float:
        return options.kill_every * rng.uniform(0.7, 1.3)

    began = time.monotonic()
    restarts = [began + options.restart_every * (n + 1) for n in range(options.server_restarts)]
    next_kill = began + jitter()
    while not stop.is_set():
        now = time.monotonic()
        if restarts and now >= restarts[0]:
            restarts.pop(0)
            await restart_server(stack, client, faults)
            next_kill = time.monotonic() + jitter()
        elif options.kill_every > 0 and now >= next_kill:
            await stack.kill_worker()
            next_kill = now + jitter()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.25)


async def run(options: Options, data_dir: Path) -> int:
    began = time.monotonic()
    stack = Stack(data_dir, rules_file=write_rules(data_dir))
    faults = Faults()
    try:
        client = await stack.start_server()
        await stack.start_sink()
        await stack.start_worker(client)
        run_tag = f"{int(time.time()) % 100000:05d}"
        plans = make_plans(options.complaints, run_tag, options.conflict_fraction, options.seed)
        stop = asyncio.Event()
        watcher = Watcher(client)
        driver = Driver(client, watcher, stop)
        await start_all(client, plans, stack.rules_file, driver.retries)
        print(f"started {len(plans)} complaints in {time.monotonic() - began:.0f}s; data in {data_dir}", flush=True)
        watching = asyncio.create_task(watcher.run(stop))
        chaos = None if options.no_faults else asyncio.create_task(make_chaos(stack, client, options, faults, stop))
        progress = asyncio.create_task(print_progress(watcher, len(plans), began, stack, stop))
        remaining = max(1.0, options.time_limit - (time.monotonic() - began))
        timed_out = False
        try:
            await asyncio.wait_for(asyncio.gather(*(driver.drive(plan) for plan in plans)), remaining)
        except TimeoutError:
            timed_out = True
        stop.set()
        for task in (watching, chaos, progress):
            if task is not None:
                await task
        faults.kills = list(stack.kills)
        (data_dir / "kills.txt").write_text("".join(f"{kill:.6f}\n" for kill in stack.kills), encoding="utf-8")
        with contextlib.suppress(Exception):
            watcher.seen = await watcher._list()  # the last stage of any case left open
        verdict = await judge(client, plans, watcher, stack.database_url, stack.mail_dir, stack.kills)
        wall = time.monotonic() - began
        return report(options, plans, verdict, faults, driver, stack, wall, timed_out)
    finally:
        await stack.stop()


async def print_progress(watcher: Watcher, total: int, began: float, stack: Stack, stop: asyncio.Event) -> None:
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 30)
        stages = Counter(seen.stage for seen in watcher.seen.values())
        closed = stages.pop("Closed", 0)
        busy = ", ".join(f"{stage} {n}" for stage, n in stages.most_common())
        print(
            f"{time.monotonic() - began:6.0f}s  closed {closed}/{total}  kills {len(stack.kills)}  open: {busy}",
            flush=True,
        )


def main(
    complaints: Annotated[int, typer.Option("--complaints", "-n", min=1, help="how many complaints")] = 500,
    kill_every: Annotated[float, typer.Option(min=0, help="seconds between SIGKILLs of the worker (0: none)")] = 10.0,
    server_restarts: Annotated[int, typer.Option(min=0, help="how often the dev server is stopped and started")] = 2,
    restart_every: Annotated[float, typer.Option(min=10, help="seconds between server restarts")] = 120.0,
    data_dir: Annotated[
        Path | None, typer.Option(help="a new or empty directory for everything (default: a temp dir)")
    ] = None,
    no_faults: Annotated[bool, typer.Option("--no-faults", help="no kills, no restarts: duplicates must be 0")] = False,
    time_limit: Annotated[float, typer.Option(min=60, help="seconds after which open cases count as stuck")] = 3600.0,
    conflict_fraction: Annotated[
        float, typer.Option(min=0, max=1, help="share of auto and two-level cases answered twice at once")
    ] = 0.25,
    seed: Annotated[int, typer.Option(help="amounts, conflicts and kill times")] = 14,
    duplicates_bound: Annotated[
        str,
        typer.Option(
            help="kills: duplicates ≤ kills that landed in a send window (issue 14); windows: ≤ send windows "
            "hit (one duplicate per message in flight at a kill)"
        ),
    ] = "kills",
    keep: Annotated[bool, typer.Option(help="keep the temp data directory (kept anyway on a failure)")] = False,
) -> None:
    """Run complaints through every path under worker kills and server restarts; check the results."""
    if data_dir is not None and data_dir.exists() and any(data_dir.iterdir()):
        typer.echo(f"--data-dir {data_dir} is not empty: the benchmark starts a fresh system", err=True)
        raise typer.Exit(2)
    directory = (data_dir or Path(tempfile.mkdtemp(prefix="chaos-"))).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    options = Options(
        complaints, kill_every, server_restarts, restart_every, time_limit, conflict_fraction, seed, no_faults
    )
    if duplicates_bound not in ("kills", "windows"):
        typer.echo("--duplicates-bound is kills or windows", err=True)
        raise typer.Exit(2)
    options.bound = duplicates_bound
    if no_faults:
        options.kill_every, options.server_restarts = 0, 0
    code = asyncio.run(run(options, directory))
    if data_dir is None and code == 0 and not keep:
        shutil.rmtree(directory, ignore_errors=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # sdk-python #300: the interpreter may abort at exit after the work is done


if __name__ == "__main__":
    typer.run(main)
