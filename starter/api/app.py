"""The HTTP intake API: how other systems (CRM, web forms, the call centre) open complaints, pass
on what customers send and flag a case as more urgent, without speaking Temporal.

Every route goes through `starter.client` with the same models as `complaints start` and
`complaints admin`, so the CLI, the library and the API validate the same way, start the same
idempotent way and refuse with the workflow's own reason. One Temporal client serves the app
for its whole life. Run it with `complaints api`. In front of the routes: `guards` (keys, body
size); behind them: `errors` (one status code per failure). Every update carries an update id
derived from the request (`starter.client.request_ids`); `request_keys` keeps the answers to
`Idempotency-Key`s.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import timedelta
from typing import Final, Literal

import structlog
import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from temporalio.client import Client
from temporalio.service import RPCError

from complaints.actions import CustomerMessage, Feedback, OfferResponse, PriorityRaise
from complaints.case import CaseStatus, Stage
from complaints.intake import ComplaintInput, workflow_id_for
from infra.settings import Settings
from starter.api.dependencies import AppSettings, Caller, IdempotencyKey, Keys, Temporal, authenticate
from starter.api.errors import ERROR_RESPONSES, Problem, add_error_handlers
from starter.api.guards import API_KEY_HEADER, ApiKeys, BodySizeLimit
from starter.api.incidents import incidents
from starter.api.request_keys import Answer, KeyedRequest, RequestKeys
from starter.client import (
    IntakeChecks,
    complaint_id_of,
    connect_or_explain,
    find_complaint,
    first_line,
    query_status,
    send_action,
    sha256_of,
    start_complaint,
    ui_link,
    update_id_for,
    update_id_for_key,
)
from starter.client.incident_matching import read_open_incidents
from workflows.search_attributes import COMPLAINT_STAGE

READY_TIMEOUT: Final = timedelta(seconds=3)

log = structlog.get_logger("complaintflow.api")


class ComplaintReceipt(BaseModel):
    """What `POST /complaints` answers, whether it started the complaint or found it."""

    complaint_id: str
    workflow_id: str
    run_id: str
    outcome: Literal["started", "existing", "offered", "refused", "own_case"] = Field(
        description="`started` (201) or `existing` (200). A complaint naming an incident, or matched to an open one "
        "by its categories, products and dates, joins it: `offered` (the scheme's offer), `refused` (not eligible: "
        "see `note`) or `own_case` (handled on its own), 201; `existing` (their case already there: the complaint "
        "is added to it), 200."
    )
    incident_id: str | None = Field(default=None, description="The incident the complaint joined, if any.")
    note: str = Field(
        default="", description="Which incident it was matched to and why; why it was refused the scheme's offer."
    )
    stage: Stage | None = Field(description="Where the case stands (its `ComplaintStage` search attribute).")
    closed: bool = Field(description="The complaint has finished (closed or withdrawn); it is never restarted.")
    url: str = Field(description="The complaint in the Temporal Web UI.")


class ActionReceipt(BaseModel):
    """The workflow accepted what was sent."""

    complaint_id: str
    workflow_id: str
    result: str = Field(description="The workflow's confirmation, verbatim.")


# -- routes -----------------------------------------------------------------------------------

health = APIRouter(prefix="/health", tags=["health"])


@health.get("/live", summary="The process is up")
async def live() -> dict[str, str]:
    """For a liveness probe: answers while the process serves HTTP. No key needed."""
    return {"status": "ok"}


@health.get("/ready", summary="Temporal is reachable", responses={503: {"model": Problem}})
async def ready(client: Temporal, response: Response) -> dict[str, str]:
    """For a readiness probe: the Temporal frontend's own health check; 503 while it fails. No key needed."""
    try:
        healthy = await client.service_client.check_health(timeout=READY_TIMEOUT)
        reason = "" if healthy else "Temporal reports it is not serving"
    except RPCError as exc:
        healthy, reason = False, f"{exc.status.name}: {exc.message}"
    except RuntimeError as exc:  # a client that has not connected yet reports a failed connect this way
        healthy, reason = False, first_line(str(exc))
    if not healthy:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        response.headers["Retry-After"] = "1"
        return {"status": "unavailable", "detail": f"cannot reach Temporal: {reason}"}
    return {"status": "ok", "namespace": client.namespace}


complaints = APIRouter(prefix="/complaints", tags=["complaints"])


@complaints.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ComplaintReceipt,
    summary="Open a complaint (idempotent on its id)",
    responses={200: {"model": ComplaintReceipt, "description": "It already existed with this same content."}},
)
async def open_complaint(
    complaint: ComplaintInput, caller: Caller, client: Temporal, settings: AppSettings, keys: Keys, key: IdempotencyKey
) -> Response:
    """Start the complaint's workflow: 201 when this call started it, 200 when the same complaint
    already existed (running or closed; it is never started twice), 409 when its id is taken by
    a complaint with other content (which is left unchanged). 422 also for a complaint that is well
    formed but would fail in its case: an unknown `regulatory_profile`, a `received_at` outside the
    window (the rules file and the window are the worker's settings). With an `Idempotency-Key`,
    a repeat gets the first answer (201 again, not 200)."""

    async def work() -> Answer:
        checks = await asyncio.to_thread(IntakeChecks.from_settings, settings)  # reads the rules file
        incidents = await read_open_incidents(settings)
        if incidents.problem:
            log.warning("complaint not matched to incidents", complaint_id=complaint.id, problem=incidents.problem)
        result = await start_complaint(client, complaint, settings.task_queue, checks=checks, incidents=incidents)
        log.info("complaint received", caller=caller, complaint_id=complaint.id, outcome=result.outcome)
        if result.same_input is False:
            detail = f"complaint {complaint.id} already exists with different content; it was not changed"
            return status.HTTP_409_CONFLICT, {"detail": detail}
        stage: Stage | None = Stage.RECEIVED
        if not result.started:
            _, description = await find_complaint(client, result.complaint_id)
            stage = _stage(description.typed_search_attributes.get(COMPLAINT_STAGE))
        receipt = ComplaintReceipt(
            complaint_id=result.complaint_id,
            workflow_id=result.workflow_id,
            run_id=result.run_id,
            outcome=result.outcome,
            incident_id=result.incident_id,
            note=result.reason,
            stage=stage,
            closed=result.closed,
            url=ui_link(settings.web_ui_url, client.namespace, result.workflow_id),
        )
        return (status.HTTP_201_CREATED if result.started else status.HTTP_200_OK), receipt.model_dump(mode="json")

    if key is None:
        code, body = await work()
        return JSONResponse(body, status_code=code)
    keyed = KeyedRequest("complaints", caller, complaint_id_of(complaint.id), key, sha256_of(complaint))
    return await keys.answer_once(keyed, work)


@complaints.get("/{complaint_id}", summary="Where a complaint stands")
async def complaint_status(complaint_id: str, caller: Caller, client: Temporal) -> CaseStatus:
    """The workflow's `status` query: stage, what it waits for and until when, owner, remedy."""
    return await query_status(client, complaint_id)


@complaints.post(
    "/{complaint_id}/messages", response_model=ActionReceipt, summary="Pass on something the customer sent"
)
async def customer_message(
    complaint_id: str, message: CustomerMessage, caller: Caller, client: Temporal, keys: Keys, key: IdempotencyKey
) -> Response:
    """New information or a reply from the customer, as the `add_customer_message` update.

    The same `message_id` twice is recorded once, so retrying is safe. Without a `channel`,
    the calling system's name is used.
    """
    if "channel" not in message.model_fields_set:
        message = message.model_copy(update={"channel": caller})
    log.info("customer message", caller=caller, complaint_id=complaint_id, message_id=message.message_id)
    return await _send(client, keys, "messages", caller, complaint_id, message, key)


@complaints.post(
    "/{complaint_id}/offer-response", response_model=ActionReceipt, summary="The customer's answer to the offer"
)
async def offer_response(
    complaint_id: str, answer: OfferResponse, caller: Caller, client: Temporal, keys: Keys, key: IdempotencyKey
) -> Response:
    """Accept, decline (with a reason) or counter (with an amount), as the `respond_to_offer` update.

    `recorded_by` (default `customer`) is recorded with the calling system: `customer via crm`.
    """
    answer = answer.model_copy(update={"recorded_by": f"{answer.recorded_by} via {caller}"})
    log.info("offer response", caller=caller, complaint_id=complaint_id, answer=answer.answer.value)
    return await _send(client, keys, "offer-response", caller, complaint_id, answer, key)


@complaints.post("/{complaint_id}/feedback", response_model=ActionReceipt, summary="The customer's survey answer")
async def feedback(
    complaint_id: str, answer: Feedback, caller: Caller, client: Temporal, keys: Keys, key: IdempotencyKey
) -> Response:
    """CSAT 1-5 and a comment, as the `submit_feedback` update."""
    log.info("feedback", caller=caller, complaint_id=complaint_id, csat=answer.csat)
    return await _send(client, keys, "feedback", caller, complaint_id, answer, key)


@complaints.post("/{complaint_id}/priority", response_model=ActionReceipt, summary="Raise the priority")
async def raise_priority(
    complaint_id: str, change: PriorityRaise, caller: Caller, client: Temporal, keys: Keys, key: IdempotencyKey
) -> Response:
    """A higher priority (say, a vulnerable customer flagged in the CRM), as the `raise_priority` update:
    every SLA clock takes the shorter targets from its own start.

    `by` is the staff member who decided (a known staff id); the calling system is recorded with
    the reason: `vulnerable customer (via crm)`. A priority that is not higher is refused (409).
    """
    change = change.model_copy(update={"reason": f"{change.reason} (via {caller})"})
    log.info("priority raise", caller=caller, complaint_id=complaint_id, priority=change.priority.value, by=change.by)
    return await _send(client, keys, "priority", caller, complaint_id, change, key)


async def _send(
    client: Client, keys: RequestKeys, scope: str, caller: str, reference: str, action: BaseModel, key: str | None
) -> Response:
    """Send `action` as its update, with an update id derived from the request.

    Without a key the id comes from the action itself (as the CLI's does), so an identical
    retry is the same update. With one it comes from the key, scoped by endpoint, calling system
    and complaint, and the answer to the key is stored (`request_keys`).
    """
    complaint_id = complaint_id_of(reference)
    if key is None:
        update_id = update_id_for(action, complaint_id)
    else:
        update_id = update_id_for_key(scope, caller, complaint_id, key)

    async def work() -> Answer:
        result = await send_action(client, complaint_id, action, update_id=update_id)
        return status.HTTP_200_OK, _receipt(complaint_id, result).model_dump(mode="json")

    if key is None:
        code, body = await work()
        return JSONResponse(body, status_code=code)
    return await keys.answer_once(KeyedRequest(scope, caller, complaint_id, key, sha256_of(action)), work)


def _stage(value: str | None) -> Stage | None:
    try:
        return Stage(value) if value is not None else None
    except ValueError:  # a stage this version does not know
        return None


def _receipt(reference: str, result: str) -> ActionReceipt:
    complaint_id = complaint_id_of(reference)
    return ActionReceipt(complaint_id=complaint_id, workflow_id=workflow_id_for(complaint_id), result=result)


# -- the app ----------------------------------------------------------------------------------


def create_app(
    settings: Settings | None = None,
    *,
    keys: ApiKeys | None = None,
    insecure_dev: bool = False,
    client: Client | None = None,
) -> FastAPI:
    """The API with its own Temporal client, connected at startup (via envconfig) unless given.

    Raises `ApiConfigError` when no API keys are configured and `insecure_dev` is not set.
    """
    settings = settings or Settings()
    keys = keys or ApiKeys(settings.api_keys, insecure_dev=insecure_dev)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.temporal = client or await connect_or_explain()
        # The answers to `Idempotency-Key`s are kept in the app database (the worker's).
        app.state.request_keys = RequestKeys(settings.effective_database_url, settings.data_dir)
        if keys.insecure_dev:
            log.warning("serving WITHOUT API keys (--insecure-dev): for this machine only")
        log.info("HTTP intake API ready", namespace=app.state.temporal.namespace, systems=keys.systems)
        try:
            yield
        finally:
            await app.state.request_keys.close()

    app = FastAPI(
        title="Complaintflow intake API",
        version="1",
        description=(
            "Open complaints, pass on what customers send, raise a case's priority. Every `/complaints` route "
            f"needs the calling system's key in the `{API_KEY_HEADER}` header. Errors are JSON with a `detail`: "
            "401 bad key, 404 unknown complaint, 409 refused by the workflow (its reason, verbatim), "
            "413 body too large, 422 invalid input (each problem names its field), 503 Temporal or the worker "
            "did not answer."
        ),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.api_keys = keys
    app.add_middleware(BodySizeLimit, max_bytes=settings.api_max_body_bytes)
    add_error_handlers(app)
    app.include_router(health)
    app.include_router(complaints, dependencies=[Depends(authenticate)], responses=ERROR_RESPONSES)
    app.include_router(incidents, dependencies=[Depends(authenticate)], responses=ERROR_RESPONSES)
    return app


async def serve(app: FastAPI, host: str, port: int) -> bool:
    """Serve until Ctrl-C / SIGTERM, then return; False when it could not start (port taken, startup failed).

    uvicorn stops gracefully on those signals and then raises them again, which would kill the
    process (SIGTERM: status 143) after a clean stop; here that second signal is let go.
    """
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_config=None, lifespan="on"))
    with _signals_after_uvicorn_ignored():
        try:
            await server.serve()
        except SystemExit:  # uvicorn exits this way when it cannot bind
            return False
    return server.started


@contextmanager
def _signals_after_uvicorn_ignored() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
