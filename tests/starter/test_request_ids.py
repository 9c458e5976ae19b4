"""Issue 14: every staff/customer update carries an update id derived from the caller's request.

The derivation is checked on its own (equal requests, equal ids; any difference, another id),
then against the real dev server and the real workflow: one update id sent twice, one after the
other and both at once, is applied once and both callers get the first answer; a CLI command
run twice is one update. Every check counts what reached the history and the timeline, so a
random id (or none) would fail it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities import ComplaintActivities
from complaints.actions import Approval, Note, PriorityRaise
from complaints.case import Stage
from complaints.intake import Priority
from starter.client import (
    Refused,
    accepted_action,
    query_timeline,
    send_action,
    start_complaints,
    update_id_for,
    update_id_for_key,
)
from starter.dev.mailsink import MailSink
from tests.conftest import settings_for
from tests.support import Handle, accepted_update_ids, make_complaint, reach, run_cli
from worker import running_worker
from workflows import ComplaintWorkflow

TASK_QUEUE = f"request-ids-{uuid.uuid4().hex[:8]}"

# -- the derivation ----------------------------------------------------------------------------


def test_the_same_request_is_the_same_update_id() -> None:
    note = Note(author="alex", text="Called the customer")
    same = Note.model_validate({"text": "Called the customer", "author": "alex"})  # built another way
    assert update_id_for(note, "C-1") == update_id_for(same, "C-1") == update_id_for(note, "complaint-C-1")
    assert update_id_for(note, "C-1").startswith("add_note-")


def test_any_difference_in_the_request_is_another_update_id() -> None:
    note = Note(author="alex", text="Called the customer")
    ids = {
        update_id_for(note, "C-1"),
        update_id_for(note, "C-2"),  # another complaint
        update_id_for(Note(author="sam", text="Called the customer"), "C-1"),  # another actor
        update_id_for(Note(author="alex", text="Called the customer again"), "C-1"),
        update_id_for(Approval(approver_id="alex"), "C-1"),  # another action
        update_id_for(Approval(approver_id="alex", comment="fine"), "C-1"),
        update_id_for(note, "C-1", request_id="r-1"),
        update_id_for(note, "C-1", request_id="r-2"),
        update_id_for_key("messages", "crm", "C-1", "k-1"),
        update_id_for_key("feedback", "crm", "C-1", "k-1"),  # another endpoint
        update_id_for_key("messages", "webform", "C-1", "k-1"),  # another calling system
        update_id_for_key("messages", "crm", "C-2", "k-1"),
    }
    assert len(ids) == 12


def test_an_explicit_request_id_names_the_request_whatever_it_carries() -> None:
    first = update_id_for(Note(author="alex", text="one"), "C-1", request_id="r-1")
    assert update_id_for(Note(author="alex", text="one"), "C-1", request_id="r-1") == first
    # The CLI checks the payload behind a reused request id (see the round trip below).
    assert update_id_for(Note(author="alex", text="two"), "C-1", request_id="r-1") == first
    assert update_id_for(Note(author="alex", text="one"), "C-1") != first


# -- against the real server ---------------------------------------------------------------------


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def real_worker(
    dev_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory, session_mail_sink: MailSink
) -> AsyncIterator[ComplaintActivities]:
    settings = settings_for(tmp_path_factory.mktemp("request-ids"), session_mail_sink, task_queue=TASK_QUEUE)
    async with running_worker(dev_env.client, settings) as activities:
        yield activities


@pytest.fixture
def client(dev_env: WorkflowEnvironment, real_worker: ComplaintActivities) -> Client:
    return dev_env.client


async def investigating(client: Client) -> Handle:
    complaint = make_complaint()
    (result,) = await start_complaints(client, [complaint], TASK_QUEUE)
    assert result.started
    handle: Handle = client.get_workflow_handle_for(ComplaintWorkflow.run, complaint.workflow_id)
    await reach(handle, Stage.INVESTIGATING)
    return handle


async def notes(client: Client, handle: Handle) -> list[str]:
    return [event.detail for event in await query_timeline(client, handle.id) if event.kind == "note"]


@pytest.mark.devserver
async def test_a_retried_update_with_the_same_id_is_applied_once(client: Client) -> None:
    handle = await investigating(client)
    note = Note(author="alex", text="Called the customer")

    # One after the other: the retry gets the first answer and adds nothing.
    first = await send_action(client, handle.id, note, update_id="note-1")
    again = await send_action(client, handle.id, note, update_id="note-1")
    assert first == again == "Note added."
    # Both at once.
    together = await asyncio.gather(*(send_action(client, handle.id, note, update_id="note-2") for _ in range(2)))
    assert together == ["Note added.", "Note added."]

    assert await accepted_update_ids(handle) == ["note-1", "note-2"]
    assert await notes(client, handle) == ["Called the customer", "Called the customer"]

    # The control: other ids are other updates, so the counts above could have been higher.
    await send_action(client, handle.id, note, update_id="note-3")
    assert await notes(client, handle) == ["Called the customer"] * 3


@pytest.mark.devserver
async def test_the_retry_gets_the_first_answer_not_a_second_application(client: Client) -> None:
    """A raise applied twice would be refused the second time ("already urgent"): the retry is not."""
    handle = await investigating(client)
    cid = handle.id.removeprefix("complaint-")
    urgent = PriorityRaise(priority=Priority.URGENT, by="tl-jordan", reason="vulnerable customer")
    update_id = update_id_for(urgent, cid)
    answers = await asyncio.gather(*(send_action(client, cid, urgent, update_id=update_id) for _ in range(3)))
    later = await send_action(client, cid, urgent, update_id=update_id)
    assert [*answers, later] == [f"{cid} is now urgent; its deadlines are recomputed."] * 4
    assert await accepted_update_ids(handle) == [update_id]
    timeline = await query_timeline(client, cid)
    assert [event.kind for event in timeline].count("priority raised") == 1

    # Under another id it is a second request, and the workflow refuses it.
    with pytest.raises(Refused, match="already urgent"):
        await send_action(client, cid, urgent, update_id=update_id_for(urgent, cid, request_id="again"))


@pytest.mark.devserver
async def test_a_refused_update_is_not_remembered_so_its_id_can_be_accepted_later(client: Client) -> None:
    handle = await investigating(client)
    cid = handle.id.removeprefix("complaint-")
    approval = Approval(approver_id="tl-jordan")
    update_id = update_id_for(approval, cid)
    with pytest.raises(Refused, match="not AwaitingApproval"):
        await send_action(client, cid, approval, update_id=update_id)
    assert await accepted_update_ids(handle) == []
    assert await accepted_action(client, cid, update_id, Approval) is None


@pytest.mark.devserver
async def test_the_cli_run_twice_is_one_update(dev_env: WorkflowEnvironment, client: Client) -> None:
    handle = await investigating(client)
    cid = handle.id.removeprefix("complaint-")
    command = ("admin", "note", cid, "Called the customer", "--by", "alex")

    first = await run_cli(dev_env, TASK_QUEUE, *command)
    assert (first.returncode, first.stdout.strip(), first.stderr) == (0, "Note added.", "")
    again = await run_cli(dev_env, TASK_QUEUE, *command)
    assert (again.returncode, again.stdout.strip()) == (0, "Note added."), again.stderr
    assert "already done" in again.stderr and "--request-id" in again.stderr

    expected_id = update_id_for(Note(author="alex", text="Called the customer"), cid)
    assert await accepted_update_ids(handle) == [expected_id]
    assert await notes(client, handle) == ["Called the customer"]
    decoded = await accepted_action(client, cid, expected_id, Note)
    assert decoded == Note(author="alex", text="Called the customer")

    # A new --request-id is a new request: done again, on purpose; repeating it is one update too.
    for _ in range(2):
        on_purpose = await run_cli(dev_env, TASK_QUEUE, *command, "--request-id", "second-call")
        assert on_purpose.returncode == 0, on_purpose.stderr
    assert await notes(client, handle) == ["Called the customer", "Called the customer"]

    # A request id already used for another request is refused before anything is sent.
    reused = await run_cli(
        dev_env, TASK_QUEUE, "admin", "note", cid, "Other", "--by", "alex", "--request-id", "second-call"
    )
    assert reused.returncode == 2
    assert "--request-id 'second-call' was already used on this complaint for a different request" in reused.stderr
    assert await notes(client, handle) == ["Called the customer", "Called the customer"]
    assert len(await accepted_update_ids(handle)) == 2


def test_the_cli_documents_request_id() -> None:
    from typer.testing import CliRunner

    from starter.cli.app import app

    shown = CliRunner().invoke(app, ["admin", "approve", "--help"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0
    assert "--request-id" in shown.output
    assert "running the same command again" in " ".join(shown.output.split())
