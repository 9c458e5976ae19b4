"""How workflow code runs in the worker: Temporal's sandbox, with our own workflow modules passed through.

The sandbox re-imports every module that is not passed through for each new workflow run, to
keep one run's module state from leaking into another. For the `workflows` package that was the
worker's largest cost: 29 % of its CPU under load went to importing (and, where no bytecode is
cached, compiling) the same modules again for every case (`benchmarks/RESULTS.md`). Our workflow
modules hold no state of their own (constants, patch names and the read-only process table;
`tests/test_architecture.py` checks that nothing at module level can be changed), so they are
imported once and shared. The domain package `complaints` was passed through already.
The sandbox's runtime checks (no I/O, no wall clock, no threads in workflow code) still apply.
"""

from __future__ import annotations

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

# email_validator and idna: pydantic imports them on the first e-mail address it validates,
# which may happen inside a workflow run (decoding an input); they are deterministic libraries.
PASSED_THROUGH = ("workflows", "complaints", "email_validator", "idna")


def workflow_runner() -> SandboxedWorkflowRunner:
    """The runner for every worker and replayer, so that tests replay the way production runs."""
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH))
