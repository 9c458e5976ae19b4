"""The incident store on SQLite and PostgreSQL: each customer staged once, assessed and offered once,
every budget move applied once per key."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from activities.db import as_utc
from activities.incident_store import IncidentStore
from complaints.incident import case_id_for
from complaints.incident_records import (
    AffectedStatus,
    BudgetMoveResult,
    IncidentOpening,
)
from complaints.scheme import Assessment, assess
from tests.activities.incident_books import (
    DECLARED_AT,
    PAY,
    RELEASE,
    RESERVE,
    Database,
    _incidents,
    committed,
    declaration,
    holds,
    listed,
    move,
    new_incident,
    recorded_moves,
    with_offered_customers,
)

# -- opening, staging, assessing, offering -------------------------------------------------------------


async def test_an_incident_is_opened_once_and_keeps_its_declaration(store: IncidentStore) -> None:
    incident_id = await new_incident(store, "2500.00")
    again = IncidentOpening(declaration=declaration(incident_id, "9.00"), declared_at=DECLARED_AT)
    assert not await store.open(again)
    found = await store.declaration(incident_id)
    assert found is not None and found.scheme.budget == Decimal("2500.00") and found.products == ("broadband",)
    assert await store.remaining(incident_id) == Decimal("2500.00")
    assert await store.declaration("INC-nobody") is None

    await store.amend(declaration(incident_id, "3000.00", version=2))
    amended = await store.declaration(incident_id)
    assert amended is not None and amended.scheme.version == 2
    assert await store.remaining(incident_id) == Decimal("3000.00")

    listing = {entry.incident_id: entry for entry in await store.figures.incidents()}[incident_id]
    assert (listing.status, listing.budget, listing.committed, listing.currency) == (
        "open",
        Decimal("3000.00"),
        Decimal("0.00"),
        "GBP",
    )
    assert listing.declared_at == DECLARED_AT


async def test_closing_is_once_and_keeps_the_report(store: IncidentStore, database: Database) -> None:
    incident_id = await new_incident(store)
    assert incident_id in {found.id for found in await store.open_declarations()}
    closed_at = DECLARED_AT + timedelta(days=20)
    await store.close(incident_id, closed_at, {"lessons": "more capacity"})
    assert incident_id not in {found.id for found in await store.open_declarations()}  # complaints no longer match it
    await store.close(incident_id, closed_at + timedelta(days=1), {"lessons": "second close"})
    stats = await store.figures.stats(incident_id)
    assert stats is not None and stats.status == "closed"
    async with database.engine.connect() as conn:
        row = (await conn.execute(select(_incidents).where(_incidents.c.incident_id == incident_id))).one()
    assert row.report == {"lessons": "more capacity"}
    assert as_utc(row.closed_at) == closed_at


async def test_a_customer_is_staged_once_per_incident(store: IncidentStore) -> None:
    incident_id = await new_incident(store)
    first = await store.stage(incident_id, listed("c-1", "c-2"))
    assert (first.added, first.already_listed) == (2, [])
    second = await store.stage(incident_id, listed("c-2", "c-3", first_row=10), source="complaint")
    assert (second.added, second.already_listed) == (1, ["c-2"])

    kept = await store.find(incident_id, "c-2")
    assert kept is not None and (kept.row, kept.source, kept.status) == (3, "list", AffectedStatus.LISTED)
    assert kept.customer.email == "c-2@example.com" and kept.customer.hours_without_service == Decimal("5")
    assert (kept.case_id, kept.eligible, kept.offer, kept.scheme_version) == (None, None, None, None)
    added = await store.find(incident_id, "c-3")
    assert added is not None and (added.row, added.source) == (11, "complaint")
    assert await store.find(incident_id, "c-4") is None

    other = await new_incident(store)
    assert (await store.stage(other, listed("c-1"))).added == 1  # another incident: another listing
    stats = await store.figures.stats(incident_id)
    assert stats is not None and stats.affected == 3 and stats.by_status["listed"] == 3


async def test_assessments_are_saved_and_each_eligible_customer_is_offered_once(store: IncidentStore) -> None:
    incident_id = await new_incident(store)
    declared = declaration(incident_id)
    await store.stage(incident_id, [*listed("c-1", "c-2"), *listed("c-3", first_row=4, hours="1")])
    waiting = await store.not_offered_under(incident_id, 1, limit=10)
    assert [entry.customer.customer_id for entry in waiting] == ["c-1", "c-2", "c-3"]
    assert [entry.customer.customer_id for entry in await store.not_offered_under(incident_id, 1, limit=2)] == [
        "c-1",
        "c-2",
    ]

    assessed = [
        (entry.customer.customer_id, assess(entry.customer.impact, declared.scheme, declared.facts))
        for entry in waiting
    ]
    refused = Assessment(scheme_version=1, eligible=False, refusal="rule window: affected at some other time")
    assessed[1] = ("c-2", refused)
    await store.save_assessments(incident_id, assessed)

    assert await store.not_offered_under(incident_id, 1, limit=10) == []
    assert len(await store.not_offered_under(incident_id, 2, limit=10)) == 3  # a new version: all again
    c1 = await store.find(incident_id, "c-1")
    assert c1 is not None and c1.eligible and c1.band == "long" and c1.scheme_version == 1
    assert c1.offer is not None and c1.offer.total == Decimal("20.00")
    c2 = await store.find(incident_id, "c-2")
    assert c2 is not None and c2.eligible is False and c2.refusal == refused.refusal and c2.offer is None

    to_offer = await store.next_to_offer(incident_id, 1, limit=10)
    assert [(entry.customer.customer_id, entry.band) for entry in to_offer] == [("c-1", "long"), ("c-3", "short")]
    assert [entry.customer.customer_id for entry in await store.next_to_offer(incident_id, 1, limit=1)] == ["c-1"]
    assert await store.next_to_offer(incident_id, 2, limit=10) == []
    assert await store.eligible_totals(incident_id, 1) == (0, Decimal("0.00"), 2, Decimal("25.00"))

    case_id = case_id_for(incident_id, "c-1")
    await store.mark_offered(incident_id, {"c-1": case_id})
    await store.mark_offered(incident_id, {"c-1": "another-case"})  # a second offer changes nothing
    offered = await store.find(incident_id, "c-1")
    assert offered is not None and offered.case_id == case_id and offered.status is AffectedStatus.OFFERED
    assert [entry.customer.customer_id for entry in await store.next_to_offer(incident_id, 1, limit=10)] == ["c-3"]
    assert [entry.customer.customer_id for entry in await store.not_offered_under(incident_id, 2, limit=10)] == [
        "c-2",
        "c-3",
    ]
    assert await store.eligible_totals(incident_id, 1) == (1, Decimal("20.00"), 1, Decimal("5.00"))

    # A new scheme version re-assesses whoever is not offered; the offered customer keeps their offer.
    bigger = Assessment(scheme_version=2, eligible=True, band="long", offer=c1.offer)
    await store.save_assessments(incident_id, [("c-1", bigger.model_copy(update={"offer": None})), ("c-3", bigger)])
    still = await store.find(incident_id, "c-1")
    assert still is not None and still.scheme_version == 1 and still.offer == c1.offer
    c3 = await store.find(incident_id, "c-3")
    assert c3 is not None and c3.scheme_version == 2 and c3.band == "long"


# -- budget moves ---------------------------------------------------------------------------------------


async def test_budget_moves_reserve_adjust_pay_and_release(store: IncidentStore, database: Database) -> None:
    incident_id, (case, other) = await with_offered_customers(store, 2, budget="100.00")

    def check(result: BudgetMoveResult, applied: bool, fits: bool, reserved: str, paid: str, remaining: str) -> None:
        found = (result.applied, result.fits, result.reserved, result.paid, result.remaining)
        assert found == (applied, fits, Decimal(reserved), Decimal(paid), Decimal(remaining))

    check(await store.move(move(incident_id, case, "r1", RESERVE, "30.00")), True, True, "30.00", "0.00", "70.00")
    # Another reserve with another key sets the hold: up, then down.
    check(await store.move(move(incident_id, case, "r2", RESERVE, "45.00")), True, True, "45.00", "0.00", "55.00")
    check(await store.move(move(incident_id, case, "r3", RESERVE, "40.00")), True, True, "40.00", "0.00", "60.00")
    # The same key again changes nothing, whatever it carries now.
    check(await store.move(move(incident_id, case, "r1", RESERVE, "30.00")), False, True, "40.00", "0.00", "60.00")
    check(await store.move(move(incident_id, case, "r2", RESERVE, "99.00")), False, True, "40.00", "0.00", "60.00")
    assert await committed(database, incident_id) == Decimal("40.00")

    # Another case cannot reserve beyond what is left: nothing changes, and its retry finds the same.
    check(await store.move(move(incident_id, other, "o1", RESERVE, "60.01")), False, False, "0.00", "0.00", "60.00")
    check(await store.move(move(incident_id, other, "o1", RESERVE, "60.01")), False, False, "0.00", "0.00", "60.00")
    assert await committed(database, incident_id) == Decimal("40.00")
    check(await store.move(move(incident_id, other, "o2", RESERVE, "60.00")), True, True, "60.00", "0.00", "0.00")
    # Nor raise its own hold beyond it.
    check(await store.move(move(incident_id, case, "r4", RESERVE, "40.01")), False, False, "40.00", "0.00", "0.00")

    # Paying part of the hold moves it to paid; releasing frees the rest.
    paying = move(incident_id, case, "p1", PAY, "25.00", status=AffectedStatus.PAID)
    check(await store.move(paying), True, True, "15.00", "25.00", "0.00")
    check(await store.move(paying), False, True, "15.00", "25.00", "0.00")
    released = move(incident_id, case, "x1", RELEASE, status=AffectedStatus.CLOSED)
    check(await store.move(released), True, True, "0.00", "25.00", "15.00")
    check(await store.move(released), False, True, "0.00", "25.00", "15.00")
    # A payment beyond the hold needs room for the difference.
    check(await store.move(move(incident_id, other, "o3", PAY, "75.01")), False, False, "60.00", "0.00", "15.00")
    check(await store.move(move(incident_id, other, "o4", PAY, "75.00")), True, True, "0.00", "75.00", "0.00")

    assert await committed(database, incident_id) == Decimal("100.00")
    assert await holds(database, incident_id) == {
        case: (Decimal("0.00"), Decimal("25.00")),
        other: (Decimal("0.00"), Decimal("75.00")),
    }
    # Only the moves that were made are recorded: one that did not fit keeps no key.
    moves = await recorded_moves(database, incident_id)
    assert sorted(key.removeprefix(f"{incident_id}:") for key, _, _ in moves) == [
        "o2",
        "o4",
        "p1",
        "r1",
        "r2",
        "r3",
        "x1",
    ]
    assert all(fits for _, _, fits in moves)
    assert {case_id for _, case_id, _ in moves} == {case_id_for(incident_id, case), case_id_for(incident_id, other)}
    found = await store.find(incident_id, case)
    assert found is not None and found.status is AffectedStatus.CLOSED  # the status the last move carried
    stats = await store.figures.stats(incident_id)
    assert stats is not None and stats.by_status["paid"] == 0 and stats.by_status["closed"] == 1


async def test_a_move_for_an_unlisted_customer_is_refused_and_leaves_no_trace(
    store: IncidentStore, database: Database
) -> None:
    incident_id, (customer,) = await with_offered_customers(store, 1)
    with pytest.raises(LookupError, match="is not listed"):
        await store.move(move(incident_id, "c-nobody", "k1", RESERVE, "5.00"))
    assert await recorded_moves(database, incident_id) == []
    assert await committed(database, incident_id) == Decimal("0.00")
    # The key was not used up: the same key for a listed customer applies.
    assert (await store.move(move(incident_id, customer, "k1", RESERVE, "5.00"))).applied


async def test_a_larger_budget_lets_the_same_reserve_fit(store: IncidentStore) -> None:
    incident_id, (case,) = await with_offered_customers(store, 1, budget="10.00")
    short = move(incident_id, case, "a", RESERVE, "12.00")
    assert (await store.move(short)).fits is False
    await store.set_budget(incident_id, Decimal("12.00"))
    result = await store.move(short)  # the same key, tried again once the budget is raised
    assert (result.applied, result.fits, result.reserved, result.remaining) == (
        True,
        True,
        Decimal("12.00"),
        Decimal("0.00"),
    )
    # A budget cut below what is committed leaves nothing to reserve, and releasing still works.
    await store.set_budget(incident_id, Decimal("5.00"))
    assert await store.remaining(incident_id) == Decimal("-7.00")
    assert not (await store.move(move(incident_id, case, "c", RESERVE, "12.01"))).fits
    released = await store.move(move(incident_id, case, "d", RELEASE))
    assert (released.fits, released.reserved, released.remaining) == (True, Decimal("0.00"), Decimal("5.00"))


async def test_a_batch_of_holds_stops_at_the_first_that_does_not_fit_and_applies_each_once(
    store: IncidentStore, database: Database
) -> None:
    incident_id, cases = await with_offered_customers(store, 4, budget="25.00")
    holds = [move(incident_id, case, f"hold-{case}", RESERVE, "10.00") for case in cases]
    assert await store.reserve_until_short(holds) == 2  # the third would take 30.00 of 25.00
    assert await committed(database, incident_id) == Decimal("20.00")
    assert sorted(key for key, *_ in await recorded_moves(database, incident_id)) == [
        f"{incident_id}:hold-c-0",
        f"{incident_id}:hold-c-1",
    ]  # the one that did not fit left no key: it may be tried again
    assert await store.reserve_until_short(holds[:2]) == 2  # a retried batch: held already, nothing added
    assert await committed(database, incident_id) == Decimal("20.00")
    await store.set_budget(incident_id, Decimal("40.00"))
    assert await store.reserve_until_short(holds) == 4
    assert await committed(database, incident_id) == Decimal("40.00")


async def test_the_stats_count_sum_and_time_what_happened(store: IncidentStore) -> None:
    incident_id, cases = await with_offered_customers(store, 4, budget="500.00")
    await store.stage(incident_id, listed("c-listed", first_row=9))
    await store.save_assessments(
        incident_id,
        [
            ("c-listed", Assessment(scheme_version=1, eligible=True, band="long")),  # not offered yet
        ],
    )
    await store.move(move(incident_id, cases[0], "r0", RESERVE, "20.00"))
    await store.move(move(incident_id, cases[1], "r1", RESERVE, "30.00", status=AffectedStatus.ACCEPTED))
    await store.move(move(incident_id, cases[2], "r2", RESERVE, "40.00"))
    await store.move(move(incident_id, cases[2], "p2", PAY, "40.00", status=AffectedStatus.PAID))
    await store.move(move(incident_id, cases[3], "r3", RESERVE, "50.00"))
    await store.move(move(incident_id, cases[3], "p3", PAY, "35.00", status=AffectedStatus.PAID))
    await store.move(move(incident_id, cases[3], "x3", RELEASE, status=AffectedStatus.CLOSED))

    stats = await store.figures.stats(incident_id)
    assert stats is not None
    assert (stats.incident_id, stats.title, stats.status, stats.currency) == (
        incident_id,
        "The broadband outage",
        "open",
        "GBP",
    )
    assert (stats.budget, stats.reserved, stats.paid, stats.remaining) == (
        Decimal("500.00"),
        Decimal("50.00"),
        Decimal("75.00"),
        Decimal("375.00"),
    )
    assert stats.budget - stats.reserved - stats.paid == stats.remaining
    assert (stats.affected, stats.eligible) == (5, 1)
    nobody = {status.value: 0 for status in AffectedStatus}
    assert stats.by_status == {**nobody, "listed": 1, "offered": 1, "accepted": 1, "paid": 1, "closed": 1}
    assert stats.open_cases == 3  # offered, accepted, paid: not the listed one, not the closed one
    # Two payments, made moments after the offers.
    assert stats.days_to_payment_p50 is not None and stats.days_to_payment_p90 is not None
    assert 0 <= stats.days_to_payment_p50 <= stats.days_to_payment_p90 < 0.01
    assert await store.figures.stats("INC-nobody") is None


async def test_an_incident_without_payments_has_no_payment_times(store: IncidentStore) -> None:
    incident_id = await new_incident(store)
    stats = await store.figures.stats(incident_id)
    assert stats is not None
    assert (stats.affected, stats.reserved, stats.paid, stats.open_cases) == (0, Decimal("0.00"), Decimal("0.00"), 0)
    assert (stats.days_to_payment_p50, stats.days_to_payment_p90) == (None, None)
