"""`complaints setup-schedules`: put Complaintflow's Temporal Schedules in place, or bring them to the settings.

Deployment runs it on every rollout (workers do the same at start): it creates the schedules
that are missing and updates the others to the current settings, keeping an operator's pause.
"""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_settings import SettingsError
from temporalio.client import Client

from infra.settings import Settings
from starter.cli.common import ExitCode, fail, run
from starter.client import first_line


def setup_schedules() -> None:
    """Create or update the schedules: case doctor, emerging-issue review, monthly report. Safe to run again."""
    from infra.schedules import KeptSchedule, keep_schedules  # the workflows' modules, only for this command

    try:
        settings = Settings()
    except (SettingsError, ValidationError) as exc:  # e.g. COMPLAINTS_EMERGING_WINDOW that is not whole days
        fail(ExitCode.INVALID, f"invalid settings: {first_line(str(exc))}")

    async def work(client: Client) -> tuple[str, list[tuple[KeptSchedule, bool]]]:
        return client.namespace, await keep_schedules(client, settings)

    namespace, kept = run(work)
    for schedule, created in kept:
        print(f"{schedule.id:<28} {'created' if created else 'updated':<8} {schedule.when}", flush=True)
    made = sum(created for _, created in kept)
    print(
        f"{made} created, {len(kept) - made} updated (namespace {namespace}, task queue {settings.task_queue})",
        flush=True,
    )
