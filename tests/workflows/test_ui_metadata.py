"""What an engineer sees in the Web UI, read back through the client on a real dev server.

The Web UI shows exactly what these calls return: the workflow id, the static summary and
details set at start (describe), the current details and the handlers' descriptions (the
SDK's built-in `__temporal_workflow_metadata` query), the summary on each activity and timer
(user metadata on the history events), and the search attributes its filters use. The
time-skipping server keeps no user metadata, hence the dev server.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from temporalio.api.enums.v1 import EventType
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from complaints.case import Stage
from complaints.intake import ComplaintInput
from starter.client import (
    UPDATE_FOR_ACTION,
    NoAnswer,
    QueryFailed,
    details_for,
    query_status,
    send_action,
    start_complaints,
    summary_for,
    update_name,
)
from starter.dev.mailsink import MailSink
from tests.conftest import settings_for
from tests.support import (  # FINDINGS: 114.90 GBP, needs a team lead
    FINDINGS,
    event_summaries,
    make_complaint,
    timers_started,
    wait_until,
)
from worker import running_worker

pytestmark = pytest.mark.devserver

TASK_QUEUE = f"ui-metadata-{uuid.uuid4().hex[:8]}"
METADATA_QUERY = "__temporal_workflow_metadata"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def client(
    dev_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory, session_mail_sink: MailSink
) -> AsyncIterator[Client]:
    """The dev server's client, with the production worker wiring polling TASK_QUEUE."""
    settings = settings_for(tmp_path_factory.mktemp("ui-metadata"), session_mail_sink, task_queue=TASK_QUEUE)
    async with running_worker(dev_env.client, settings):
        yield dev_env.client


async def at_stage(client: Client, complaint_id: str, stage: Stage) -> None:
    async def current() -> Stage | None:
        try:
            return (await query_status(client, complaint_id)).stage
        except (NoAnswer, QueryFailed):  # the first workflow task may not have run yet
            return None

    await wait_until(
        current, lambda now: now is stage, lambda now: f"{complaint_id} never reached {stage.value}; it is {now}"
    )


async def started(client: Client) -> tuple[ComplaintInput, WorkflowHandle[Any, Any]]:
    """A new complaint, acknowledged and waiting for the department's findings.

    Reaching `Investigating` is not enough: the investigation request may still be in flight,
    and findings sent then are accepted before the reminder timer ever starts. The case waits
    for findings once that timer runs, so that is what this waits for.
    """
    complaint = make_complaint()
    (result,) = await start_complaints(client, [complaint], TASK_QUEUE)
    handle = client.get_workflow_handle(result.workflow_id)
    await at_stage(client, complaint.id, Stage.INVESTIGATING)
    await timers_started(handle, ["investigation reminder", "next progress update"])
    return complaint, handle


async def metadata(handle: WorkflowHandle[Any, Any]) -> WorkflowMetadata:
    found: WorkflowMetadata = await handle.query(METADATA_QUERY, result_type=WorkflowMetadata)
    return found


async def test_the_workflow_id_is_readable(client: Client) -> None:
    complaint, handle = await started(client)
    assert handle.id == f"complaint-{complaint.id}"
    assert (await handle.describe()).workflow_type == "ComplaintWorkflow"


async def test_static_summary_and_details_from_the_start(client: Client) -> None:
    complaint, handle = await started(client)
    description = await handle.describe()
    assert await description.static_summary() == summary_for(complaint)
    assert await description.static_summary() == f"Complaint {complaint.id} · Ada Lovelace · billing · high"
    details = await description.static_details()
    assert details == details_for(complaint)
    assert f"**Customer:** Ada Lovelace <ada@example.com> (id `{complaint.customer.id}`)" in details
    assert "**Claimed:** 89.90" in details
    assert "> I was charged twice for my November invoice." in details


async def test_current_details_say_what_the_case_waits_for_and_follow_the_stage(client: Client) -> None:
    complaint, handle = await started(client)
    details = (await metadata(handle)).current_details
    assert details.startswith("**Investigating** — waiting for findings from Billing, due ")
    assert "Owner: Alex Morgan (alex). Customer: Ada Lovelace." in details

    await send_action(client, complaint.id, FINDINGS)
    await at_stage(client, complaint.id, Stage.AWAITING_APPROVAL)
    details = (await metadata(handle)).current_details
    assert details.startswith("**AwaitingApproval** — waiting for approval by a team_lead, due ")


async def test_every_update_query_and_signal_has_a_description(client: Client) -> None:
    _, handle = await started(client)
    definition = (await metadata(handle)).definition
    assert definition.type == "ComplaintWorkflow"
    updates = {d.name: d.description for d in definition.update_definitions}
    queries = {d.name: d.description for d in definition.query_definitions if not d.name.startswith("__")}
    signals = {d.name: d.description for d in definition.signal_definitions}

    sent = {update_name(update) for update in UPDATE_FOR_ACTION.values()}
    assert sent <= set(updates), "an action the client sends has no update"
    assert {"status", "timeline"} <= set(queries)
    assert "decide" in signals
    undescribed = [name for name, text in (updates | queries | signals).items() if not text.strip()]
    assert not undescribed, f"handlers without a description: {undescribed}"


async def test_every_activity_and_timer_has_a_summary(client: Client) -> None:
    complaint, handle = await started(client)
    await send_action(client, complaint.id, FINDINGS)
    await at_stage(client, complaint.id, Stage.AWAITING_APPROVAL)
    # The approval request goes out after the stage changes, and its reminder timer after that.
    timers = await timers_started(handle, ["approval reminder"])

    activities = await event_summaries(handle, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    assert all(activities), f"an activity without a summary: {activities}"
    assert activities[0] == "load and pin the case rules"
    for expected in (
        "send acknowledgement to Ada Lovelace",
        "send investigation request to Billing",
        "read the customer's payouts and complaints of the last 12 months, and this month's budget",
    ):
        assert expected in activities, f"{expected!r} not among {activities}"
    assert any(summary.startswith("send approval request to ") for summary in activities), activities

    assert all(timers), f"a timer without a summary: {timers}"
    assert {"investigation reminder", "next progress update", "approval reminder"} <= set(timers), timers


async def test_the_search_attribute_filter_finds_an_investigating_case(client: Client) -> None:
    complaint, handle = await started(client)
    query = 'ComplaintStage="Investigating" AND SlaBreached=false'
    mine = f'{query} AND CustomerId="{complaint.customer.id}"'

    async def matches() -> int:
        return (await client.count_workflows(mine)).count

    # Visibility follows the upsert shortly.
    await wait_until(matches, lambda count: count == 1, lambda count: f"{mine!r} found {count}, not {handle.id}")
    assert handle.id in [execution.id async for execution in client.list_workflows(query)]
    assert [execution.id async for execution in client.list_workflows(mine)] == [handle.id]
