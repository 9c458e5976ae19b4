"""Reaching the customer: questions and replies, a refused address, other channels, survey fatigue.

Time-skipping server, real activities: mail goes over SMTP to the session's sink, which
refuses mailboxes named `nosuchuser…` as a real mail server refuses unknown ones.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from activities import ComplaintActivities
from activities.outbox import OUTBOX
from complaints.actions import (
    ContactCorrection,
    CustomerMessage,
    Feedback,
    InformationRequest,
    Withdrawal,
)
from complaints.case import Stage
from complaints.intake import ContactChannel
from infra.settings import Settings
from starter.dev.mailsink import read_mail, stored_mail_files
from tests.support import (
    Handle,
    mail_arrives,
    mail_kinds,
    reach,
    skip,
    start_case,
    status,
    timeline_kinds,
    to_follow_up,
)
from workflows import ComplaintWorkflow


def reference_of(handle: Handle) -> str:
    return handle.id.removeprefix("complaint-")


def mail_of(mail_dir: Path, reference: str, kind: str) -> list[tuple[str, str, str]]:
    """(To, Subject, text part) of every message of `kind` for one complaint."""
    found = []
    for path in stored_mail_files(mail_dir):
        message = read_mail(path)
        if message["X-Complaintflow-Reference"] == reference and message["X-Complaintflow-Kind"] == kind:
            body = message.get_body(preferencelist=("plain",))
            assert body is not None
            found.append((str(message["To"]), str(message["Subject"]), body.get_content()))
    return found


async def refusal(handle: Handle, update: object, argument: object) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await handle.execute_update(update, argument)  # type: ignore[call-overload]
    return str(failure.value.cause)


async def test_a_question_to_the_customer_pauses_until_their_reply_which_reaches_the_owner(
    client: Client, settings: Settings
) -> None:
    handle = await start_case(client)
    reference = reference_of(handle)
    await reach(handle, Stage.INVESTIGATING)

    question = "Which card was charged the second time: the one ending 4242 or the one ending 1881?"
    answer = str(
        await handle.execute_update(
            ComplaintWorkflow.request_information, InformationRequest(by="alex", questions=question)
        )
    )
    assert "clock pauses" in answer
    asked = await status(handle)
    assert asked.waiting_for == "the customer's answer to our question (the clock is paused)"
    [(to, subject, text)] = mail_of(settings.mail_dir, reference, "information_request")
    assert "ada@example.com" in to and reference in subject
    assert "4242" in " ".join(text.split()) and text.startswith("Dear Ada Lovelace,")
    again = await refusal(handle, ComplaintWorkflow.request_information, InformationRequest(by="sam", questions="?"))
    assert "a question is already open (asked by alex)" in again

    reply = CustomerMessage(text="It was the card ending 1881, on 4 November.", message_id="crm-77")
    recorded = str(await handle.execute_update(ComplaintWorkflow.add_customer_message, reply))
    assert "Alex Morgan has been told" in recorded
    repeated = str(await handle.execute_update(ComplaintWorkflow.add_customer_message, reply))
    assert repeated.startswith("Already recorded")

    kinds = await timeline_kinds(handle)
    assert kinds.count("customer message") == 1
    assert kinds.index("information requested") < kinds.index("clock paused") < kinds.index("clock resumed")
    assert kinds.index("customer message") < kinds.index("information received")
    assert (await status(handle)).waiting_for == "findings from Billing"
    replies = mail_of(settings.mail_dir, reference, "customer_reply")
    recipients = sorted(to for to, _, _ in replies)
    assert recipients == ["Alex Morgan <alex.morgan@complaintflow.example>", "Billing <billing@complaintflow.example>"]
    assert all("card ending 1881" in " ".join(text.split()) for _, _, text in replies)
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal(reason="test over"))


async def test_a_refused_address_alerts_staff_and_the_case_waits_for_a_corrected_one(
    client: Client, settings: Settings
) -> None:
    customer = {"id": "cust-bad-address", "name": "Ada Lovelace", "email": "nosuchuser.ada@example.com"}
    handle = await start_case(client, customer=customer)
    reference = reference_of(handle)

    await mail_arrives(settings.mail_dir, reference, "contact_failed", count=2)
    waiting = await status(handle)
    assert waiting.stage is Stage.RECEIVED  # the acknowledgement has not reached anyone yet
    assert waiting.waiting_for == "staff to correct the customer's address (our mail was refused)"
    alerted = sorted(to for to, _, _ in mail_of(settings.mail_dir, reference, "contact_failed"))
    assert alerted == [
        "Alex Morgan <alex.morgan@complaintflow.example>",
        "Jordan Lee <jordan.lee@complaintflow.example>",
    ]
    assert "acknowledgement" not in mail_kinds(settings.mail_dir, reference)

    same = await refusal(
        handle, ComplaintWorkflow.correct_contact, ContactCorrection(by="alex", email="nosuchuser.ada@example.com")
    )
    assert same == "Refused: email: nosuchuser.ada@example.com is the address that was refused; give a corrected one"

    await handle.execute_update(
        ComplaintWorkflow.correct_contact, ContactCorrection(by="alex", email="ada@example.com")
    )
    await reach(handle, Stage.INVESTIGATING)
    [(to, _, text)] = mail_of(settings.mail_dir, reference, "acknowledgement")
    assert to == "Ada Lovelace <ada@example.com>" and text.startswith("Dear Ada Lovelace,")
    kinds = await timeline_kinds(handle)
    assert kinds.count("customer unreachable") == 1 and "contact corrected" in kinds
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal(reason="test over"))


async def test_after_a_refusal_staff_may_choose_the_phone_and_the_owner_gets_every_message(
    client: Client, settings: Settings
) -> None:
    customer = {"id": "cust-phone", "name": "Grace Hopper", "email": "nosuchuser.grace@example.com"}
    handle = await start_case(client, customer=customer)
    reference = reference_of(handle)
    await mail_arrives(settings.mail_dir, reference, "contact_failed", count=2)

    correction = ContactCorrection(by="alex", channel=ContactChannel.PHONE, note="she prefers calls")
    await handle.execute_update(ComplaintWorkflow.correct_contact, correction)
    await reach(handle, Stage.INVESTIGATING)
    [(to, subject, text)] = mail_of(settings.mail_dir, reference, "acknowledgement")
    assert to == "Alex Morgan <alex.morgan@complaintflow.example>"
    assert subject.startswith("[deliver by phone to Grace Hopper] ")
    assert "Please deliver this message to Grace Hopper by phone" in text
    assert "Dear Grace Hopper," in text  # the customer's own letter follows the instruction
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal(reason="test over"))


async def test_a_customer_who_prefers_post_is_written_to_through_the_owner(client: Client, settings: Settings) -> None:
    customer = {"id": "cust-post", "name": "Ada Lovelace", "email": "ada@example.com", "preferred_channel": "post"}
    handle = await start_case(client, customer=customer)
    reference = reference_of(handle)
    await reach(handle, Stage.INVESTIGATING)
    [(to, subject, _)] = mail_of(settings.mail_dir, reference, "acknowledgement")
    assert to == "Alex Morgan <alex.morgan@complaintflow.example>"
    assert subject.startswith("[deliver by post to Ada Lovelace] ")
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal(reason="test over"))


async def _to_survey(env: WorkflowEnvironment, handle: Handle) -> None:
    await to_follow_up(handle)
    await skip(env, days=14, minutes=1)


@pytest.mark.parametrize(("days_ago", "suppressed"), [(30, True), (120, False)])
async def test_no_survey_if_another_case_surveyed_the_customer_recently(
    time_env: WorkflowEnvironment,
    client: Client,
    settings: Settings,
    activities: ComplaintActivities,
    days_ago: int,
    suppressed: bool,
) -> None:
    customer_id = f"cust-fatigue-{days_ago}"
    key = f"complaint-EARLIER-{customer_id}:survey_invitation:9"
    await activities.outbox.begin_attempt(key, "survey_invitation", "ada@example.com", "survey", customer_id)
    await activities.outbox.mark_sent(key)
    # stamp it on the test server's clock, which runs ahead of the wall clock
    sent_at = await time_env.get_current_time() - timedelta(days=days_ago)
    async with activities.engine.begin() as conn:
        await conn.execute(update(OUTBOX).where(OUTBOX.c.idempotency_key == key).values(sent_at=sent_at))

    customer = {"id": customer_id, "name": "Ada Lovelace", "email": "ada@example.com"}
    handle = await start_case(client, customer=customer)
    reference = reference_of(handle)
    await _to_survey(time_env, handle)
    if suppressed:
        outcome = await handle.result()
        assert outcome.csat is None
        kinds = mail_kinds(settings.mail_dir, reference)
        assert "survey_invitation" not in kinds and kinds[-1] == "thank_you"
        assert "survey suppressed" in await timeline_kinds(handle)
    else:
        await reach(handle, Stage.AWAITING_FEEDBACK)
        await handle.execute_update(ComplaintWorkflow.submit_feedback, Feedback(csat=4))
        await handle.result()
        assert mail_kinds(settings.mail_dir, reference).count("survey_invitation") == 1
        assert "survey suppressed" not in await timeline_kinds(handle)
