"""The Temporal server settings Complaintflow relies on, in one place: passed as flags to every
dev server (`complaints dev`, the tests, the benchmarks) and written in
deploy/temporal/dynamicconfig.yaml for docker-compose (`tests/system/test_compose.py` checks the two agree).
"""

from __future__ import annotations

# After this many workflow task failures in a row the server sets `TemporalReportedProblems`
# on the run, which is how `complaints admin doctor` finds it.
REPORTED_PROBLEMS_AFTER = 3

DYNAMIC_CONFIG: dict[str, bool | int] = {
    "system.numConsecutiveWorkflowTaskProblemsToTriggerSearchAttribute": REPORTED_PROBLEMS_AFTER,
    # Task queue priority (first contact first, complaints/contracts.py): the matcher that honours
    # priority keys. The default since server 1.31, stated because first contact relies on it:
    # with it off, a priority-1 task waited behind 100 others (tests/workflows/test_first_contact.py).
    "matching.useNewMatcher": True,
}


def dynamic_config_flags() -> list[str]:
    """`--dynamic-config-value key=value` flags for `temporal server start-dev`."""
    flags: list[str] = []
    for key, value in DYNAMIC_CONFIG.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        flags += ["--dynamic-config-value", f"{key}={text}"]
    return flags
