"""Finding a complaint's workflow from the reference people use (`C-1` or `complaint-C-1`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

from temporalio import workflow
from temporalio.client import Client, WorkflowExecutionDescription, WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from complaints.intake import WORKFLOW_ID_PREFIX, workflow_id_for
from starter.client.errors import UnknownComplaint
from workflows import ComplaintWorkflow

#: The workflow type, for visibility queries (`WorkflowType = 'ComplaintWorkflow'`): the workflow's own name.
WORKFLOW_TYPE: Final[str] = workflow._Definition.must_from_class(ComplaintWorkflow).name or "ComplaintWorkflow"


def complaint_id_of(reference: str) -> str:
    """`C-1` or `complaint-C-1` -> `C-1`."""
    return reference.strip().removeprefix(WORKFLOW_ID_PREFIX)


def ui_link(web_ui_url: str, namespace: str, workflow_id: str) -> str:
    """Where an engineer sees this complaint in the Temporal Web UI."""
    return f"{web_ui_url.rstrip('/')}/namespaces/{namespace}/workflows/{workflow_id}"


async def find_complaint(
    client: Client, reference: str, *, rpc_timeout: timedelta | None = None
) -> tuple[WorkflowHandle[Any, Any], WorkflowExecutionDescription]:
    """Handle (following the latest run) and description of an existing complaint."""
    handle = client.get_workflow_handle(workflow_id_for(complaint_id_of(reference)))
    try:
        description = await handle.describe(rpc_timeout=rpc_timeout)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise UnknownComplaint(complaint_id_of(reference)) from exc
        raise
    return handle, description


async def get_complaint(client: Client, reference: str) -> WorkflowHandle[Any, Any]:
    """Handle of an existing complaint (`C-1` or `complaint-C-1`); `UnknownComplaint` if none."""
    handle, _ = await find_complaint(client, reference)
    return handle


def is_closed(description: WorkflowExecutionDescription) -> bool:
    """The workflow has finished (closed, withdrawn, failed): it takes no more actions."""
    return description.status is not None and description.status != WorkflowExecutionStatus.RUNNING
