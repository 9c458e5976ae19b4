"""Changing a running case's task queue priority: after its acknowledgement, a case's later work
queues behind other cases' first contact (complaints/contracts.py FIRST_CONTACT_PRIORITY).

The workflow cannot change its own priority; this activity asks the server for it
(UpdateWorkflowExecutionOptions), for the run that called it. A server that cannot change
priorities (the time-skipping test server) leaves the case as it is: priority orders work, it
never decides whether work is done.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from google.protobuf.field_mask_pb2 import FieldMask
from temporalio import activity
from temporalio.api.common.v1 import Priority, WorkflowExecution
from temporalio.api.workflow.v1 import WorkflowExecutionOptions
from temporalio.api.workflowservice.v1 import UpdateWorkflowExecutionOptionsRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from complaints import contracts

UNSUPPORTED = (RPCStatusCode.UNIMPLEMENTED, RPCStatusCode.INVALID_ARGUMENT)


class CasePriority:
    def __init__(self, client: Client) -> None:
        self._client = client

    def all(self) -> list[Any]:
        return [self.set_case_priority]

    @activity.defn(name=contracts.SET_CASE_PRIORITY.name)
    async def set_case_priority(self, priority_key: int) -> None:
        info = activity.info()
        if info.workflow_id is None:
            return  # not called by a case: nothing to change
        request = UpdateWorkflowExecutionOptionsRequest(
            namespace=info.workflow_namespace or self._client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=info.workflow_id, run_id=info.workflow_run_id or ""),
            workflow_execution_options=WorkflowExecutionOptions(priority=Priority(priority_key=priority_key)),
            update_mask=FieldMask(paths=["priority"]),
        )
        try:
            await self._client.workflow_service.update_workflow_execution_options(
                request, retry=True, timeout=timedelta(seconds=10)
            )
        except RPCError as exc:
            if exc.status not in UNSUPPORTED:
                raise
            activity.logger.info("this server cannot change a run's priority (%s): the case keeps it", exc.message)
