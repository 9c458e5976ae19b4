"""The chaos benchmark's table, the details behind any figure that is not zero, and the exit status."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chaos_checks import Verdict
from chaos_drive import Driver
from chaos_plan import Journey, Plan
from rich.console import Console
from rich.table import Table
from stack import Stack

if TYPE_CHECKING:
    from chaos import Options

DETAILS_SHOWN = 15


@dataclass
class Faults:
    kills: list[float] = field(default_factory=list)
    server_away: list[float] = field(default_factory=list)  # seconds from SIGTERM to answering again
    client_back: list[float | None] = field(default_factory=list)  # our client answering after the restart
    worker_back: list[float | None] = field(default_factory=list)  # the same worker polling again


def _seconds(values: list[float | None]) -> str:
    return ", ".join("never" if value is None else f"{value:.1f}s" for value in values) or "-"


def report(
    options: Options,
    plans: list[Plan],
    verdict: Verdict,
    faults: Faults,
    driver: Driver,
    stack: Stack,
    wall: float,
    timed_out: bool,
) -> int:
    console = Console(width=120)
    allowed = 0 if options.no_faults else verdict.kills_in_window if options.bound == "kills" else verdict.windows_hit
    reconnected = all(value is not None for value in faults.client_back)
    rows = [
        ("cases closed", f"{verdict.closed}/{verdict.complaints}", verdict.closed == verdict.complaints),
        ("stuck cases", str(len(verdict.stuck)), not verdict.stuck),
        ("double payouts", str(len(verdict.double_payouts)), not verdict.double_payouts),
        ("wrong amounts", str(len(verdict.wrong_amounts)), not verdict.wrong_amounts),
        ("second decisions", str(len(verdict.second_decisions)), not verdict.second_decisions),
        ("duplicate mails: customer", str(len(verdict.customer_duplicates)), None),
        ("duplicate mails: staff", str(len(verdict.staff_duplicates)), None),
        (
            f"duplicate mails (allowed ≤ {allowed}: {options.bound})",
            str(verdict.duplicates),
            verdict.duplicates <= allowed,
        ),
        ("  of them with no kill in their send window", str(len(verdict.unexplained)), not verdict.unexplained),
        ("worker kills (SIGKILL)", str(verdict.kills), None),
        ("kills that landed in a send window", str(verdict.kills_in_window), None),
        ("send windows hit / most by one kill", f"{verdict.windows_hit} / {verdict.most_from_one_kill}", None),
        ("send window: median / p99 / max", verdict.window_figures(), None),
        ("server restarts: away", _seconds(list(faults.server_away)), None),
        ("  client answered again after", _seconds(faults.client_back), reconnected),
        ("  same worker polling again after", _seconds(faults.worker_back), None),
        ("wall time", f"{wall:.0f}s ({wall / 60:.1f} min){' - time limit reached' if timed_out else ''}", None),
    ]
    table = Table(title=f"Chaos benchmark: {len(plans)} complaints", show_lines=False)
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("", justify="center")
    for name, value, ok in rows:
        table.add_row(name, value, "" if ok is None else ("[green]ok[/]" if ok else "[red]FAIL[/]"))
    console.print(table)

    journeys = Counter(plan.journey.value for plan in plans)
    conflicts = Counter(
        f"{plan.journey.value}: {plan.taken.get('approval' if plan.journey is Journey.TWO_LEVELS else 'offer-1')}"
        for plan in plans
        if plan.conflict
    )
    skipped = Counter(step for plan in plans for step in plan.skipped)
    console.print(f"journeys: {dict(journeys)}")
    console.print(f"conflicting answers sent: {sum(conflicts.values())}, taken: {dict(conflicts)}")
    console.print(f"optional steps refused for good (window closed): {dict(skipped) or 'none'}")
    console.print(
        f"mails {verdict.mails}, ledger rows {verdict.ledger_rows}, outbox rows retried {verdict.retried_sends}, "
        f"worker starts {stack.worker_starts}, refusals {len(driver.refusals)}, retries {dict(driver.retries)}"
    )
    for title, lines in (
        ("stuck", verdict.stuck),
        ("double payouts", verdict.double_payouts),
        ("wrong amounts", verdict.wrong_amounts),
        ("second decisions", verdict.second_decisions),
        ("duplicate mails (customer)", verdict.customer_duplicates),
        ("duplicate mails (staff)", verdict.staff_duplicates),
        ("duplicates with no kill in their send window", verdict.unexplained),
        ("driver anomalies", driver.anomalies),
    ):
        if lines:
            console.print(f"[bold]{title}[/] ({len(lines)}):")
            for line in lines[:DETAILS_SHOWN]:
                console.print(f"  {line}", markup=False)
    for event in stack.events:
        console.print(f"  {event}", markup=False)

    failed = [name for name, _, ok in rows if ok is False]
    if failed:
        console.print(f"[red]FAILED[/]: {', '.join(failed)}; data kept in {stack.data_dir}")
        return 1
    console.print("[green]all invariants held[/]")
    return 0
