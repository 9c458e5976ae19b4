"""A case file is read from the archive after Temporal has deleted the case's history.

On the real dev server: a case runs to Closed (continuing as new on the way), its execution
is deleted, as the namespace's retention would, and `complaints case-file` still shows it all.
"""

from __future__ import annotations

from pathlib import Path

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from complaints.actions import Approval, Feedback, OfferAnswer, OfferResponse
from complaints.case import Stage
from complaints.case_file import CaseFile
from tests.support import FINDINGS, reach, run_cli, start_case, wait_until
from tests.workflows.test_durability import short_history_worker as short_history_worker
from workflows import ComplaintWorkflow


async def history_gone(env: WorkflowEnvironment, workflow_id: str) -> bool:
    try:
        await env.client.get_workflow_handle(workflow_id).fetch_history()
    except RPCError as exc:
        return exc.status == RPCStatusCode.NOT_FOUND
    return False


async def test_the_case_file_is_read_after_the_history_is_deleted(
    dev_env: WorkflowEnvironment, short_history_worker: str, tmp_path: Path
) -> None:
    handle = await start_case(dev_env.client, task_queue=short_history_worker)
    await reach(handle, Stage.INVESTIGATING)
    await handle.execute_update(ComplaintWorkflow.submit_findings, FINDINGS)
    await reach(handle, Stage.AWAITING_APPROVAL)
    await handle.execute_update(ComplaintWorkflow.approve, Approval(approver_id="tl-jordan"))
    await reach(handle, Stage.AWAITING_CUSTOMER)
    await handle.execute_update(ComplaintWorkflow.respond_to_offer, OfferResponse(answer=OfferAnswer.ACCEPT))
    await reach(handle, Stage.AWAITING_FEEDBACK)
    await handle.execute_update(ComplaintWorkflow.submit_feedback, Feedback(csat=5, comment="Thank you"))
    await handle.result()
    timeline = await handle.query(ComplaintWorkflow.timeline)

    # Every run of the case (it continued as new), by run id: the server deletes them in the background.
    async def listed_runs() -> list[str]:
        return [run.run_id async for run in dev_env.client.list_workflows(f'WorkflowId = "{handle.id}"')]

    runs = await wait_until(listed_runs, lambda runs: len(runs) >= 2, lambda runs: f"runs listed: {runs}")
    for run_id in runs:
        execution = WorkflowExecution(workflow_id=handle.id, run_id=run_id)
        request = DeleteWorkflowExecutionRequest(namespace=dev_env.client.namespace, workflow_execution=execution)
        await dev_env.client.workflow_service.delete_workflow_execution(request)
    await wait_until(
        lambda: history_gone(dev_env, handle.id), bool, lambda _: f"{handle.id} was not deleted", within=120
    )

    data_dir = {"COMPLAINTS_DATA_DIR": str(tmp_path)}
    shown = await run_cli(dev_env, short_history_worker, "admin", "show", handle.id, settings=data_dir)
    assert shown.returncode == 3, shown.stderr  # Temporal no longer knows the case
    as_json = await run_cli(dev_env, short_history_worker, "case-file", handle.id, "--json", settings=data_dir)
    assert as_json.returncode == 0, as_json.stderr
    archived = CaseFile.model_validate_json(as_json.stdout)
    assert [(e.kind, e.detail) for e in archived.events] == [(e.kind, e.detail) for e in timeline]
    assert archived.csat == 5 and archived.csat_comment == "Thank you"
    assert "continued as new" in [e.kind for e in archived.events]
    assert [m.kind for m in archived.messages].count("acknowledgement") == 1
    reference = handle.id.removeprefix("complaint-")
    table = await run_cli(dev_env, short_history_worker, "case-file", reference, settings=data_dir)
    assert table.returncode == 0, table.stderr
    assert f"Case file {reference}" in table.stdout and "tl-jordan (team_lead)" in table.stdout
    missing = await run_cli(dev_env, short_history_worker, "case-file", "C-NOPE", settings=data_dir)
    assert missing.returncode == 3 and "no case file for C-NOPE" in missing.stderr
