"""Update ids derived from the caller's request, so a retried request is the same update.

Temporal runs an update at most once per id on a workflow run: a second call with the same id
(a retry after a timeout, a re-run command, a concurrent duplicate) gets the first call's
outcome and changes nothing. So the CLI and the HTTP API never send an update without an id,
and derive that id from the request itself:

- by default from what is asked: the update's name, the workflow id and the canonical JSON of
  the action (actor included). The action models carry no client-side timestamps, so running
  the same command again is the same request;
- from an explicit request id when the caller has one (`--request-id`, or the HTTP API's
  `Idempotency-Key` together with the calling system and the endpoint).

Temporal remembers update ids for the life of one workflow run; a validator's refusal is not
remembered (nothing was applied), so a refused request sent again is checked again.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from complaints.intake import workflow_id_for
from starter.client.lookup import complaint_id_of, get_complaint
from starter.client.updates import UPDATE_FOR_ACTION, update_name


def canonical(value: Any) -> str:
    """Key-sorted, whitespace-free JSON (models as their JSON form): equal requests, equal text."""
    return json.dumps(
        to_jsonable_python(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def sha256_of(value: Any) -> str:
    return hashlib.sha256(canonical(value).encode()).hexdigest()


def action_name(action: BaseModel) -> str:
    """The name of the update that carries this action (`approve`, `add_note`, …)."""
    update = UPDATE_FOR_ACTION.get(type(action))
    if update is None:
        raise TypeError(f"no workflow update takes a {type(action).__name__}")
    return update_name(update)


def update_id_for(action: BaseModel, reference: str, *, request_id: str | None = None) -> str:
    """The update id for sending `action` to a complaint.

    Without `request_id`: a hash of the update's name, the workflow id and the action, so the
    same action sent again is the same update. With one: a hash of the update's name, the
    workflow id and that id, so the caller decides what counts as the same request.
    """
    name = action_name(action)
    workflow_id = workflow_id_for(complaint_id_of(reference))
    if request_id is None:
        return f"{name}-{sha256_of(['action', name, workflow_id, action])}"
    return f"{name}-{sha256_of(['request', name, workflow_id, request_id])}"


def update_id_for_key(scope: str, caller: str, complaint_id: str, key: str) -> str:
    """The update id for an HTTP request carrying an `Idempotency-Key` (scoped like the stored key)."""
    workflow_id = workflow_id_for(complaint_id_of(complaint_id))
    return f"{scope}-{sha256_of(['idempotency-key', scope, caller, workflow_id, key])}"


async def accepted_action(client: Client, reference: str, update_id: str, action_type: type[BaseModel]) -> Any | None:
    """The action an earlier update with this id was accepted with on the complaint's current
    run, or None when no such update was accepted (never sent, or refused by the validator).

    Reads the run's history, so it is for one-off callers like the CLI, not for hot paths.
    """
    handle = await get_complaint(client, reference)
    async for event in handle.fetch_history_events():
        if event.event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            continue
        request = event.workflow_execution_update_accepted_event_attributes.accepted_request
        if request.meta.update_id != update_id:
            continue
        [decoded] = await client.data_converter.decode(request.input.args.payloads, [action_type])
        return decoded
    return None
