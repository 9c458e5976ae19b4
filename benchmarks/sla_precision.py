"""How close to their due time SLA warnings and breaches fire, with many complaints open.

    .venv/bin/python benchmarks/sla_precision.py [--cases 1000] [--target-seconds 240]
                                                 [--database-url URL] [--workers N] [--spread-seconds S]

Starts a real dev server (SQLite file, WAL), the mail sink and a worker process, opens
`--cases` complaints whose first-response clock has a short calendar-time target (see
sla_precision.toml), waits until every one has warned at 50 % and 75 % and breached, then
compares each timeline event's time with the due time computed here from the clock's start
and target. Prints the lateness distribution. A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from complaints.case import CaseStatus, TimelineEvent  # noqa: E402
from complaints.intake import ComplaintInput  # noqa: E402
from complaints.sla import ClockKind  # noqa: E402
from starter.client import start_complaints  # noqa: E402
from starter.dev import SQLITE_WAL_FLAGS  # noqa: E402
from starter.dev.mailsink import MailSink, free_port  # noqa: E402
from workflows.search_attributes import ALL as ALL_SEARCH_ATTRIBUTES  # noqa: E402

RULES = Path(__file__).resolve().parent / "sla_precision.toml"
TASK_QUEUE = "sla-precision"


def complaint(number: int) -> ComplaintInput:
    return ComplaintInput.model_validate(
        {
            "id": f"B-{uuid.uuid4().hex[:8]}-{number}",
            "customer": {"id": f"bench-{number}", "name": "Ada Lovelace", "email": "ada@example.com"},
            "category": "billing",
            "priority": "high",
            "description": "I was charged twice for my November subscription.",
        }
    )


async def wait_for_events(handles: list[WorkflowHandle[Any, Any]], deadline: float) -> dict[str, list[TimelineEvent]]:
    """Each case's timeline once it holds its breach (or the deadline passes)."""
    timelines: dict[str, list[TimelineEvent]] = {}
    pending = list(handles)
    while pending and time.monotonic() < deadline:
        still: list[WorkflowHandle[Any, Any]] = []
        for handle in pending:
            timeline = await handle.query("timeline", result_type=list[TimelineEvent])
            if any(event.kind == "sla breached" for event in timeline):
                timelines[handle.id] = timeline
            else:
                still.append(handle)
        pending = still
        if pending:
            await asyncio.sleep(2)
    return timelines


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def measure(
    cases: int, target: timedelta, data_dir: Path, database_url: str | None, workers: int, spread: float
) -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=ALL_SEARCH_ATTRIBUTES,
        ui=False,
        dev_server_database_filename=str(data_dir / "temporal.db"),
        dev_server_log_level="error",
        dev_server_extra_args=list(SQLITE_WAL_FLAGS),
    )
    sink = MailSink(data_dir / "mail", port=free_port()).start()
    client: Client = env.client
    worker_env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "COMPLAINTS_"))}
    worker_env.update(
        TEMPORAL_ADDRESS=client.service_client.config.target_host,
        COMPLAINTS_DATA_DIR=str(data_dir),
        COMPLAINTS_RULES_FILE=str(RULES),
        COMPLAINTS_TASK_QUEUE=TASK_QUEUE,
        COMPLAINTS_SMTP_PORT=str(sink.port),
        COMPLAINTS_LOG_LEVEL="WARNING",
        COMPLAINTS_LOG_FORMAT="json",  # as in production: no rendering of rich tracebacks under load
    )
    if database_url:
        worker_env["COMPLAINTS_DATABASE_URL"] = database_url
    processes = [
        await asyncio.create_subprocess_exec(sys.executable, str(ROOT / "worker.py"), env=worker_env, cwd=ROOT)
        for _ in range(workers)
    ]
    try:
        began = time.monotonic()
        results = []
        batch_size = 100 if spread == 0 else 10
        for start in range(0, cases, batch_size):
            batch = [complaint(n) for n in range(start, min(cases, start + batch_size))]
            results += await start_complaints(client, batch, TASK_QUEUE)
            if spread:  # pace the starts, so the cases come due spread over `spread` seconds
                await asyncio.sleep(max(0.0, began + spread * (start + batch_size) / cases - time.monotonic()))
        started_in = time.monotonic() - began
        print(
            f"started {len(results)} complaints in {started_in:.1f} s ({len(results) / started_in:.0f}/s), "
            f"{workers} worker process(es); every case warns at 50 %, 75 % and breaches {target} after its start"
        )
        handles = [client.get_workflow_handle(result.workflow_id) for result in results]
        timelines = await wait_for_events(handles, time.monotonic() + target.total_seconds() * 2 + started_in + 120)

        late: list[float] = []
        missing = cases - len(timelines)
        for handle in handles:
            timeline = timelines.get(handle.id)
            if timeline is None:
                continue
            status: CaseStatus = await handle.query("status", result_type=CaseStatus)
            clock = next(c for c in status.clocks if c.kind is ClockKind.FIRST_RESPONSE)
            due = [clock.started_at + target * 0.5, clock.started_at + target * 0.75, clock.started_at + target]
            fired = sorted(
                e.at for e in timeline if e.kind in ("sla warning", "sla breached") and "first_response" in e.detail
            )
            if len(fired) != 3:
                missing += 1
                continue
            late += [(at - expected).total_seconds() for at, expected in zip(fired, due, strict=True)]
        print(f"events measured: {len(late)} (3 per case: 50 %, 75 %, breach); cases missing events: {missing}")
        if late:
            print(
                "lateness (s): "
                f"min {min(late):.3f}  median {statistics.median(late):.3f}  "
                f"p95 {percentile(late, 0.95):.3f}  p99 {percentile(late, 0.99):.3f}  worst {max(late):.3f}"
            )
            print(f"within 1 s of due: {sum(1 for value in late if value <= 1.0)}/{len(late)}")
        for handle in handles:
            await handle.terminate("benchmark over")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                await asyncio.wait_for(process.wait(), timeout=30)
            except TimeoutError:
                process.kill()
        sink.stop()
        await env.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--target-seconds", type=int, default=240, help="must match sla_precision.toml")
    parser.add_argument("--workers", type=int, default=1, help="worker processes on the task queue")
    parser.add_argument(
        "--spread-seconds", type=float, default=0, help="start the cases over this long (default: as fast as possible)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    parser.add_argument(
        "--database-url", help="the app's store (default: SQLite in the data directory), e.g. postgresql+psycopg://..."
    )
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="sla-precision-"))
    try:
        target = timedelta(seconds=args.target_seconds)
        asyncio.run(measure(args.cases, target, data_dir, args.database_url, args.workers, args.spread_seconds))
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    sys.stdout.flush()
    os._exit(0)  # sdk-python #300: the interpreter may abort at exit after the work is done


if __name__ == "__main__":
    main()
