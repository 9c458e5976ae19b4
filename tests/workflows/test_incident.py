"""An incident on the time-skipping server with the real activities: declare, approve, offer, answer.

Each proactive case is a real ComplaintWorkflow sending real mail to the session's sink; the
customers are staged in the session's SQLite database, as `complaints incident customers` does.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from activities import ComplaintActivities
from activities.incident_store import IncidentStore
from complaints.actions import OfferAnswer, OfferResponse
from complaints.case import Stage
from complaints.incident import IncidentStage, case_id_for
from complaints.incident_records import AffectedStatus, JoinOutcome, JoinResult
from complaints.incident_state import BudgetRaise, SchemeAmendment, SchemeApproval
from complaints.intake import ComplaintInput
from complaints.scheme import Scheme
from infra.settings import Settings
from tests.incident_support import (
    IncidentHandle,
    customers,
    declaration,
    declare,
    list_customers,
    reach_stage,
    scheme,
    terminate_when_idle,
)
from tests.support import (
    Handle,
    accepted_update_names,
    mail_arrives,
    mail_kinds,
    make_complaint,
    reach,
    skip,
    timers_started,
    wait_until,
)
from workflows import ComplaintWorkflow
from workflows.incident import IncidentComplaint, IncidentWorkflow


async def refused_update(handle: IncidentHandle, update: str, argument: object) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await handle.execute_update(update, argument, result_type=str)
    return str(failure.value.cause)


async def refused(handle: IncidentHandle, approval: SchemeApproval) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await handle.execute_update(IncidentWorkflow.approve, approval)
    return str(failure.value.cause)


@pytest.fixture
def store(activities: ComplaintActivities) -> IncidentStore:
    return IncidentStore(activities.engine)


def case_of(client: Client, incident_id: str, customer_id: str) -> Handle:
    return client.get_workflow_handle_for(ComplaintWorkflow.run, f"complaint-{case_id_for(incident_id, customer_id)}")


async def test_four_eyes_and_the_approval_level_refuse_without_a_trace(
    client: Client, store: IncidentStore, time_env: WorkflowEnvironment
) -> None:
    declared = declaration()
    handle = await declare(client, declared)
    listed = customers(6) + customers(2, hours="30", prefix="long") + customers(1, hours="0.5", prefix="brief")
    await list_customers(store, handle, declared.id, listed)

    waiting = await reach_stage(handle, IncidentStage.AWAITING_APPROVAL)
    # 6 x 10.00 (short) + 2 x 25.00 (long; no proven loss) = 110.00; the half-hour customer is in no band
    assert (waiting.eligible, waiting.affected, waiting.estimated_total) == (8, 9, Decimal("110.00"))
    assert "cannot approve it too (four eyes)" in await refused(handle, SchemeApproval(approver_id="mgr-dana"))
    assert "alex may approve up to 100.00 GBP; 110.00 GBP needs a team_lead" in await refused(
        handle, SchemeApproval(approver_id="alex")
    )
    assert "'nobody' is not a member of staff" in await refused(handle, SchemeApproval(approver_id="nobody"))
    assert "approve" not in await accepted_update_names(handle)
    assert (await handle.query(IncidentWorkflow.summary)).stage is IncidentStage.AWAITING_APPROVAL
    await terminate_when_idle(handle)


async def test_fifty_customers_offered_once_each_and_their_answers_move_the_budget(
    client: Client, time_env: WorkflowEnvironment, store: IncidentStore, settings: Settings
) -> None:
    declared = declaration()
    handle = await declare(client, declared)
    await list_customers(store, handle, declared.id, customers(40) + customers(10, hours="30", prefix="long"))
    waiting = await reach_stage(handle, IncidentStage.AWAITING_APPROVAL)
    assert waiting.estimated_total == Decimal("650.00")  # 40 x 10 + 10 x 25: a manager's approval
    await handle.execute_update(IncidentWorkflow.approve, SchemeApproval(approver_id="dir-rowan"))

    done = await reach_stage(handle, IncidentStage.OFFERED, offered=50)
    assert done.approved_by == "dir-rowan" and done.approved_total == Decimal("650.00")
    ids = [f"cust-{n}" for n in range(40)] + [f"long-{n}" for n in range(10)]
    for customer_id in ids:
        kinds = await mail_arrives(settings.mail_dir, case_id_for(declared.id, customer_id), "incident_offer")
        assert kinds == ["incident_offer"], customer_id  # one letter, no acknowledgement first

    accepting, declining, countering = ids[:5], ids[5:8], ids[8]
    for customer_id in accepting:
        case = case_of(client, declared.id, customer_id)
        await reach(case, Stage.AWAITING_CUSTOMER)
        await case.execute_update(ComplaintWorkflow.respond_to_offer, OfferResponse(answer=OfferAnswer.ACCEPT))
    for customer_id in declining:
        await case_of(client, declared.id, customer_id).execute_update(
            ComplaintWorkflow.respond_to_offer, OfferResponse(answer=OfferAnswer.DECLINE, reason="not enough")
        )
    counter = OfferResponse(answer=OfferAnswer.COUNTER, counter_amount=Decimal("15.00"), reason="two days lost")
    await case_of(client, declared.id, countering).execute_update(ComplaintWorkflow.respond_to_offer, counter)

    async def settled() -> dict[str, AffectedStatus]:
        return {
            c: row.status for c in [*accepting, *declining, countering] if (row := await store.find(declared.id, c))
        }

    await wait_until(
        settled,
        lambda now: (
            all(now.get(c) is AffectedStatus.PAID for c in [*accepting, countering])
            and all(now.get(c) is AffectedStatus.DECLINED for c in declining)
        ),
        lambda now: f"answers not reflected: {now}",
    )
    stats = await store.figures.stats(declared.id)
    assert stats is not None
    assert stats.paid == Decimal("65.00")  # 5 x 10.00 accepted + the counter of 15.00
    assert stats.reserved == Decimal("650.00") - Decimal("50.00") - Decimal("10.00") - Decimal("30.00")
    assert stats.remaining == Decimal("5000.00") - stats.paid - stats.reserved

    await terminate_when_idle(handle)
    for customer_id in ids:
        await terminate_when_idle(case_of(client, declared.id, customer_id))


async def test_an_offer_not_answered_by_its_deadline_gives_its_hold_back(
    client: Client, time_env: WorkflowEnvironment, store: IncidentStore, settings: Settings
) -> None:
    declared = declaration()
    handle = await declare(client, declared)
    await list_customers(store, handle, declared.id, customers(1, prefix="silent"))
    await reach_stage(handle, IncidentStage.AWAITING_APPROVAL)
    await handle.execute_update(IncidentWorkflow.approve, SchemeApproval(approver_id="alex"))
    await reach_stage(handle, IncidentStage.OFFERED, offered=1)
    await terminate_when_idle(handle)  # offered: the rest is the case's
    case = case_of(client, declared.id, "silent-0")
    await reach(case, Stage.AWAITING_CUSTOMER)
    await timers_started(case, ["offer reminder"])
    held = await store.find(declared.id, "silent-0")
    assert held is not None and held.status is AffectedStatus.OFFERED
    await mail_arrives(settings.mail_dir, case_id_for(declared.id, "silent-0"), "incident_offer")
    clocks = {clock.kind.value: clock for clock in (await case.query(ComplaintWorkflow.status)).clocks}
    for met in ("acknowledgement", "first_response"):  # the offer letter is both: no SLA alert follows
        assert clocks[met].stopped_at is not None, clocks[met]

    await skip(time_env, days=11)  # past the offer's deadline: it stands, and its hold goes back
    lapsed = await wait_until(
        lambda: store.find(declared.id, "silent-0"),
        lambda row: row is not None and row.status is AffectedStatus.LAPSED,
        lambda row: f"the offer never lapsed: {row}",
    )
    assert lapsed is not None
    assert await store.remaining(declared.id) == Decimal("5000.00")
    assert "offer_standing" in mail_kinds(settings.mail_dir, case_id_for(declared.id, "silent-0"))
    await terminate_when_idle(case)


async def test_the_budget_runs_out_and_the_scheme_asks_for_more(
    client: Client, store: IncidentStore, settings: Settings
) -> None:
    declared = declaration(scheme={**declaration().scheme.model_dump(mode="json"), "budget": "55.00"})
    handle = await declare(client, declared)
    await list_customers(store, handle, declared.id, customers(10))
    await reach_stage(handle, IncidentStage.AWAITING_APPROVAL)  # approves the 55.00 the budget holds
    await handle.execute_update(IncidentWorkflow.approve, SchemeApproval(approver_id="alex"))

    short = await reach_stage(handle, IncidentStage.AWAITING_BUDGET)
    assert short.offered == 5  # 5 x 10.00 fit in 55.00; the sixth did not

    async def written_to() -> list[int]:  # the page is done: its five cases are all started
        return [n for n in range(10) if mail_kinds(settings.mail_dir, case_id_for(declared.id, f"cust-{n}"))]

    await wait_until(written_to, lambda found: len(found) >= 5, lambda found: f"offer letters: {found}")
    assert len(await written_to()) == 5
    assert await store.remaining(declared.id) == Decimal("5.00")
    raise_ = BudgetRaise(approver_id="tl-jordan", budget=Decimal("200.00"), reason="ten more customers than expected")
    answer = await handle.execute_update("raise_budget", raise_, result_type=str)
    assert answer == "budget raised to 200.00 GBP"

    done = await reach_stage(handle, IncidentStage.OFFERED, offered=10)
    assert done.budget == Decimal("200.00")
    for n in range(10):
        await mail_arrives(settings.mail_dir, case_id_for(declared.id, f"cust-{n}"), "incident_offer")
    assert await store.remaining(declared.id) == Decimal("100.00")
    await terminate_when_idle(handle)


async def test_an_amended_scheme_applies_to_the_customers_not_offered_yet(
    client: Client, store: IncidentStore, settings: Settings
) -> None:
    declared = declaration(scheme={**declaration().scheme.model_dump(mode="json"), "budget": "30.00"})
    handle = await declare(client, declared)
    await list_customers(store, handle, declared.id, customers(6))
    await reach_stage(handle, IncidentStage.AWAITING_APPROVAL)
    await handle.execute_update(IncidentWorkflow.approve, SchemeApproval(approver_id="alex"))
    await reach_stage(handle, IncidentStage.AWAITING_BUDGET, offered=3)  # 3 x 10.00 = the 30.00 budget

    richer = scheme(budget="100.00", version=2, short_credit="20.00")
    amendment = SchemeAmendment(by="mgr-dana", scheme=Scheme.model_validate(richer), reason="the outage ran longer")
    assert "scheme.version: must be 2" in str(
        await refused_update(handle, "amend_scheme", amendment.model_copy(update={"scheme": declared.scheme}))
    )
    await handle.execute_update("amend_scheme", amendment, result_type=str)
    again = await reach_stage(handle, IncidentStage.AWAITING_APPROVAL)  # the total rose: approved again
    assert (again.scheme_version, again.estimated_total) == (2, Decimal("90.00"))  # 3 x 10 offered + 3 x 20
    await handle.execute_update(IncidentWorkflow.approve, SchemeApproval(approver_id="tl-jordan"))

    await reach_stage(handle, IncidentStage.OFFERED, offered=6)
    amounts: dict[str, Decimal] = {}
    for n in range(6):
        row = await store.find(declared.id, f"cust-{n}")
        assert row is not None and row.offer is not None and row.case_id is not None
        amounts[f"cust-{n}"] = row.offer.total
        await mail_arrives(settings.mail_dir, row.case_id, "incident_offer")
    assert sorted(amounts.values()) == [Decimal("10.00")] * 3 + [Decimal("20.00")] * 3  # v1 kept, v2 for the rest
    await terminate_when_idle(handle)
    for customer_id in amounts:
        await terminate_when_idle(case_of(client, declared.id, customer_id))


def own_complaint(customer_id: str, incident_id: str, **fields: Any) -> ComplaintInput:
    customer = {"id": customer_id, "name": f"Customer {customer_id}", "email": f"{customer_id}@example.com"}
    return make_complaint(customer=customer, category="service", incident_id=incident_id, **fields)


async def test_customers_who_complain_on_their_own_join_the_incident_once(
    client: Client, store: IncidentStore, settings: Settings
) -> None:
    declared = declaration()
    handle = await declare(client, declared)
    await list_customers(store, handle, declared.id, customers(2))
    await reach_stage(handle, IncidentStage.AWAITING_APPROVAL)

    early = own_complaint("cust-1", declared.id, product="broadband")
    before = await handle.execute_update("join", IncidentComplaint(complaint=early), result_type=JoinResult)
    assert before.outcome is JoinOutcome.OWN_CASE and "not approved yet" in before.reason
    assert before.case_id == case_id_for(declared.id, "cust-1")
    await mail_arrives(settings.mail_dir, before.case_id, "acknowledgement")  # handled at once, on its own

    await handle.execute_update(IncidentWorkflow.approve, SchemeApproval(approver_id="alex"))
    await reach_stage(handle, IncidentStage.OFFERED, offered=1)  # cust-1 has their own case: never offered too
    offered_id = case_id_for(declared.id, "cust-0")
    await mail_arrives(settings.mail_dir, offered_id, "incident_offer")
    assert "incident_offer" not in mail_kinds(settings.mail_dir, before.case_id)

    late = own_complaint("cust-0", declared.id, description="No internet for six hours!")
    after = await handle.execute_update("join", IncidentComplaint(complaint=late), result_type=JoinResult)
    assert (after.outcome, after.case_id) == (JoinOutcome.EXISTING, offered_id)
    case = case_of(client, declared.id, "cust-0")
    timeline = await case.query(ComplaintWorkflow.timeline)
    assert any("No internet for six hours!" in event.detail for event in timeline)

    stranger = own_complaint("x-9", declared.id, product="mobile")
    refused_join = await handle.execute_update("join", IncidentComplaint(complaint=stranger), result_type=JoinResult)
    assert refused_join.outcome is JoinOutcome.REFUSED
    assert refused_join.reason.startswith("rule products: product 'mobile' is not one of the products hit")
    await mail_arrives(settings.mail_dir, refused_join.case_id, "acknowledgement")  # investigated on its own
    row = await store.find(declared.id, "x-9")
    assert row is not None and row.status is AffectedStatus.COMPLAINED

    await terminate_when_idle(handle)
    for case_id in (before.case_id, offered_id, refused_join.case_id):
        await terminate_when_idle(client.get_workflow_handle(f"complaint-{case_id}"))
