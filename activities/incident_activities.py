"""An incident's activities: its rows in the app database, and starting its proactive cases.

The fan-out (`offer_page`) takes one page of eligible customers not offered yet; for each it
holds the offer in the budget (once per key), starts the case `complaint-<incident>.<customer>`
(REJECT_DUPLICATE: never a second case, never a second letter) and marks the customer
offered. Killed at any point and retried, it finds the hold and the case already there and
goes on: nobody is offered twice, and nobody is skipped.
"""

from __future__ import annotations

import asyncio
import re
import tomllib
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.common import (
    Priority,
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from activities.config import ActivityConfig
from activities.incident_store import IncidentStore, StoredCustomer
from activities.rules_file import RulesFile
from complaints import contracts
from complaints.actions import CustomerMessage
from complaints.case import ComplaintWorkflowInput
from complaints.incident import IncidentDeclaration, IncidentLink, Origin, case_id_for
from complaints.incident_records import (
    AffectedStatus,
    AssessRequest,
    AssessResult,
    BudgetChange,
    BudgetMove,
    BudgetMoveKind,
    BudgetMoveResult,
    IncidentClosing,
    IncidentOpening,
    JoinOutcome,
    JoinRequest,
    JoinResult,
    OfferPageRequest,
    OfferPageResult,
)
from complaints.intake import ComplaintInput, Customer, workflow_id_for
from complaints.rules import CaseRules
from complaints.scheme import BandTotal, SchemeEstimate, assess

# What the cases carry (workflows/search_attributes.py; a test keeps them equal). Activities do
# not import the workflows package.
INCIDENT_ID = SearchAttributeKey.for_keyword("IncidentId")
CUSTOMER_ID = SearchAttributeKey.for_keyword("CustomerId")
COMPLAINT_CATEGORY = SearchAttributeKey.for_keyword("ComplaintCategory")
CASE_WORKFLOW = "ComplaintWorkflow"
ADD_CUSTOMER_MESSAGE = "add_customer_message"
ASSESS_PAGE = 500
ZERO = Decimal("0")
_RULE = re.compile(r"^rule (\w+):")


class IncidentActivities:
    def __init__(
        self, client: Client, settings: ActivityConfig, engine: AsyncEngine, rules: RulesFile | None = None
    ) -> None:
        self._client = client
        self._settings = settings
        self._rules = rules  # the cases' rules, pinned when each is started (else each loads them)
        self.store = IncidentStore(engine)

    def all(self) -> list[Any]:
        return [
            self.open_incident,
            self.amend_incident,
            self.assess_incident,
            self.set_incident_budget,
            self.move_incident_budget,
            self.offer_page,
            self.join_incident,
            self.close_incident,
        ]

    @activity.defn(name=contracts.OPEN_INCIDENT.name)
    async def open_incident(self, opening: IncidentOpening) -> None:
        await self.store.open(opening)

    @activity.defn(name=contracts.AMEND_INCIDENT.name)
    async def amend_incident(self, declaration: IncidentDeclaration) -> None:
        await self.store.amend(declaration)

    @activity.defn(name=contracts.SET_INCIDENT_BUDGET.name)
    async def set_incident_budget(self, change: BudgetChange) -> None:
        await self.store.set_budget(change.incident_id, change.budget)

    @activity.defn(name=contracts.MOVE_INCIDENT_BUDGET.name)
    async def move_incident_budget(self, move: BudgetMove) -> BudgetMoveResult:
        return await self.store.move(move)

    @activity.defn(name=contracts.ASSESS_INCIDENT.name)
    async def assess_incident(self, request: AssessRequest) -> AssessResult:
        """Every customer not offered yet under the current scheme, in pages; then the totals."""
        declaration = await self._declaration(request.incident_id)
        scheme, facts = declaration.scheme, declaration.facts
        while page := await self.store.not_offered_under(declaration.id, scheme.version, ASSESS_PAGE):
            assessed = [(entry.customer.customer_id, assess(entry.customer.impact, scheme, facts)) for entry in page]
            await self.store.save_assessments(declaration.id, assessed)
            activity.heartbeat(len(assessed))
        bands, refusals = await self.store.assessment_totals(declaration.id)
        refused: dict[str, int] = {}
        for refusal, count in refusals.items():
            match = _RULE.match(refusal)
            refused[match.group(1) if match else "other"] = refused.get(match.group(1) if match else "other", 0) + count
        totals = [
            BandTotal(band=b.name, customers=bands.get(b.name, (0, ZERO))[0], amount=bands.get(b.name, (0, ZERO))[1])
            for b in scheme.bands
        ]
        eligible = sum(band.customers for band in totals)
        offered, _, to_offer, to_offer_total = await self.store.eligible_totals(declaration.id, scheme.version)
        estimate = SchemeEstimate(
            scheme_version=scheme.version,
            currency=scheme.currency,
            affected=eligible + sum(refused.values()),
            eligible=eligible,
            bands=totals,
            refused_by_rule=refused,
            total=sum((band.amount for band in totals), ZERO),
        )
        committed = scheme.budget - await self.store.remaining(declaration.id)
        return AssessResult(
            estimate=estimate, offered=offered, to_offer=to_offer, to_offer_total=to_offer_total, committed=committed
        )

    @activity.defn(name=contracts.OFFER_PAGE.name)
    async def offer_page(self, request: OfferPageRequest) -> OfferPageResult:
        """Offer the next page of eligible customers, `incident_concurrency` at a time, until the
        budget runs short. A retried page finds its holds made and its cases started: no customer
        is written to twice."""
        declaration = await self._declaration(request.incident_id)
        version = declaration.scheme.version
        page = await self.store.next_to_offer(declaration.id, version, self._settings.incident_page_size)
        pace = _Pace(self._settings.incident_offers_per_second)
        rules = self._case_rules()  # read once for the page's cases
        size = self._settings.incident_concurrency
        offered = already = 0
        short = False
        for first in range(0, len(page), size):
            batch = page[first : first + size]
            started, short = await self._offer_batch(declaration, batch, pace, request.approved_by, rules)
            offered, already = offered + sum(started), already + len(started) - sum(started)
            activity.heartbeat(offered + already)
            if short:
                break
        more = bool(await self.store.next_to_offer(declaration.id, version, 1))
        in_all, _, _, _ = await self.store.eligible_totals(declaration.id, version)
        return OfferPageResult(offered=offered, already=already, budget_short=short, more=more, offered_in_all=in_all)

    @activity.defn(name=contracts.JOIN_INCIDENT.name)
    async def join_incident(self, request: JoinRequest) -> JoinResult:
        """A customer complained about the incident: their case, a new offer, or a refusal naming the rule.

        One customer and one incident make one case: the case id is derived from both, so a
        customer offered already gets their message added to that case.
        """
        complaint = ComplaintInput.model_validate_json(request.complaint_json)
        declaration = await self._declaration(request.incident_id)
        customer_id = complaint.customer.id
        case_id = case_id_for(declaration.id, customer_id)
        listed = await self.store.find(declaration.id, customer_id)
        if listed is not None and listed.case_id is not None:
            await self._add_message(listed.case_id, complaint)
            return JoinResult(outcome=JoinOutcome.EXISTING, case_id=listed.case_id)
        if listed is None:
            await self.store.stage_complaint(declaration.id, complaint)
            listed = await self.store.find(declaration.id, customer_id)
            assert listed is not None
        if not request.approved_by:
            await self._start_complaint(complaint, case_id, declaration.id)
            await self.store.mark_own_case(declaration.id, customer_id, case_id)
            reason = "the incident's scheme is not approved yet: the complaint is handled on its own"
            return JoinResult(outcome=JoinOutcome.OWN_CASE, case_id=case_id, reason=reason)
        assessment = assess(listed.customer.impact, declaration.scheme, declaration.facts)
        await self.store.save_assessments(declaration.id, [(customer_id, assessment)])
        listed = await self.store.find(declaration.id, customer_id)
        assert listed is not None
        if not assessment.eligible:
            await self._start_complaint(complaint, case_id, declaration.id)
            await self.store.mark_own_case(declaration.id, customer_id, case_id)
            return JoinResult(outcome=JoinOutcome.REFUSED, case_id=case_id, reason=assessment.refusal or "")
        if not await self._hold_first_offer(declaration, listed, case_id):
            await self._start_complaint(complaint, case_id, declaration.id)
            await self.store.mark_own_case(declaration.id, customer_id, case_id)
            reason = "the incident's budget cannot hold another offer now: the complaint is handled on its own"
            return JoinResult(outcome=JoinOutcome.OWN_CASE, case_id=case_id, reason=reason)
        started = await self._start_case(
            declaration, listed, case_id, request.approved_by, self._case_rules(), note=complaint.description
        )
        await self.store.mark_offered(declaration.id, {customer_id: case_id})
        if not started:
            await self._add_message(case_id, complaint)
            return JoinResult(outcome=JoinOutcome.EXISTING, case_id=case_id)
        return JoinResult(outcome=JoinOutcome.OFFERED, case_id=case_id)

    @activity.defn(name=contracts.CLOSE_INCIDENT.name)
    async def close_incident(self, closing: IncidentClosing) -> None:
        stats = await self.store.figures.stats(closing.incident_id)
        report = {
            "closed_by": closing.closed_by,
            "lessons": closing.lessons,
            "preventive_measures": closing.preventive_measures,
            "figures": stats.model_dump(mode="json") if stats is not None else {},
        }
        await self.store.close(closing.incident_id, closing.closed_at, report)

    # -- helpers ----------------------------------------------------------------------------------------

    async def _declaration(self, incident_id: str) -> IncidentDeclaration:
        declaration = await self.store.declaration(incident_id)
        if declaration is None:
            raise LookupError(f"incident {incident_id} has no row in the app database")
        return declaration

    async def _offer_batch(
        self,
        declaration: IncidentDeclaration,
        batch: list[StoredCustomer],
        pace: _Pace,
        approved_by: str,
        rules: CaseRules | None,
    ) -> tuple[list[bool], bool]:
        """Hold the batch's offers (one transaction, up to the first the budget cannot cover),
        start their cases at once (paced: each mails its letter), then mark them offered (one
        transaction): (started by this call, for each case; the budget ran short)."""
        cases = {entry.customer.customer_id: case_id_for(declaration.id, entry.customer.customer_id) for entry in batch}
        moves = [self._first_offer(declaration, entry, cases[entry.customer.customer_id]) for entry in batch]
        held = batch[: await self.store.reserve_until_short(moves)]

        async def start(entry: StoredCustomer) -> bool:
            await pace.wait()
            return await self._start_case(declaration, entry, cases[entry.customer.customer_id], approved_by, rules)

        started = list(await asyncio.gather(*(start(entry) for entry in held)))
        await self.store.mark_offered(
            declaration.id, {e.customer.customer_id: cases[e.customer.customer_id] for e in held}
        )
        return started, len(held) < len(batch)

    def _case_rules(self) -> CaseRules | None:
        """The rules file as the cases would load it; None if it cannot be read now: each case then
        loads it itself, and a broken file shows on the case as it does on any complaint."""
        if self._rules is None:
            return None
        try:
            return self._rules.load()
        except (OSError, tomllib.TOMLDecodeError, ValidationError) as error:
            activity.logger.warning("cases will load their rules themselves: %s", type(error).__name__)
            return None

    async def _hold_first_offer(self, declaration: IncidentDeclaration, entry: StoredCustomer, case_id: str) -> bool:
        return (await self.store.move(self._first_offer(declaration, entry, case_id))).fits

    @staticmethod
    def _first_offer(declaration: IncidentDeclaration, entry: StoredCustomer, case_id: str) -> BudgetMove:
        """The hold of a customer's first offer, under the key the case itself would use for it."""
        assert entry.offer is not None
        return BudgetMove(
            incident_id=declaration.id,
            case_id=case_id,
            customer_id=entry.customer.customer_id,
            key=f"{workflow_id_for(case_id)}:offer-1",  # workflows/incident_case.offer_key: the case's own key
            kind=BudgetMoveKind.RESERVE,
            amount=entry.offer.total,
            status=AffectedStatus.OFFERED,
        )

    async def _start_case(
        self,
        declaration: IncidentDeclaration,
        entry: StoredCustomer,
        case_id: str,
        approved_by: str,
        rules: CaseRules | None,
        note: str = "",
    ) -> bool:
        """Start the proactive case with its rules pinned (None: it loads them); False if it existed
        (an earlier attempt started it)."""
        assert entry.offer is not None and entry.band is not None and entry.scheme_version is not None
        customer = entry.customer
        complaint = ComplaintInput(
            id=case_id,
            customer=Customer(
                id=customer.customer_id,
                name=customer.name,
                email=customer.email,
                language=customer.language,
                timezone=customer.timezone,
            ),
            category=declaration.categories[0],
            description=note or declaration.description,
            product=customer.product,
            channel="email" if note else "proactive",
            incident_id=declaration.id,
        )
        link = IncidentLink(
            incident_id=declaration.id,
            title=declaration.title,
            what_happened=declaration.description,
            origin=Origin.CUSTOMER if note else Origin.PROACTIVE,
            findings=declaration.findings(customer.proven_loss),
            offer=entry.offer,
            band=entry.band,
            scheme_version=entry.scheme_version,
            approved_by=approved_by,
            customer_note=note,
        )
        try:
            await self._client.start_workflow(
                CASE_WORKFLOW,
                ComplaintWorkflowInput(complaint=complaint, incident=link, rules=rules),
                id=workflow_id_for(case_id),
                task_queue=activity.info().task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                search_attributes=_case_attributes(complaint, declaration.id),
                static_summary=f"{customer.name}: {declaration.title} (incident {declaration.id})",
                priority=Priority(priority_key=contracts.ROUTINE_PRIORITY),  # behind complaints' first contact
            )
        except WorkflowAlreadyStartedError:
            return False
        return True

    async def _start_complaint(self, complaint: ComplaintInput, case_id: str, incident_id: str) -> None:
        """The customer's own complaint, handled as any other (investigated), linked to the incident."""
        own = complaint.model_copy(update={"id": case_id, "incident_id": incident_id})
        try:
            await self._client.start_workflow(
                CASE_WORKFLOW,
                ComplaintWorkflowInput(complaint=own),
                id=workflow_id_for(case_id),
                task_queue=activity.info().task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                search_attributes=_case_attributes(own, incident_id),
                priority=Priority(priority_key=contracts.FIRST_CONTACT_PRIORITY),
            )
        except WorkflowAlreadyStartedError:
            await self._add_message(case_id, complaint)

    async def _add_message(self, case_id: str, complaint: ComplaintInput) -> None:
        handle: WorkflowHandle[Any, Any] = self._client.get_workflow_handle(workflow_id_for(case_id))
        message = CustomerMessage(
            text=complaint.description,
            channel=complaint.channel,
            message_id=f"complaint-{complaint.id}",
            received_at=complaint.received_at,
        )
        await handle.execute_update(ADD_CUSTOMER_MESSAGE, message, result_type=str)


def _case_attributes(complaint: ComplaintInput, incident_id: str) -> TypedSearchAttributes:
    return TypedSearchAttributes(
        [
            SearchAttributePair(INCIDENT_ID, incident_id),
            SearchAttributePair(CUSTOMER_ID, complaint.customer.id),
            SearchAttributePair(COMPLAINT_CATEGORY, complaint.category.value),
        ]
    )


class _Pace:
    """At most `per_second` starts a second, spread evenly (each case mails its letter at once)."""

    def __init__(self, per_second: float) -> None:
        self._interval = 1.0 / per_second
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            loop = asyncio.get_running_loop()
            now = loop.time()
            delay = max(self._next - now, 0.0)
            self._next = max(self._next, now) + self._interval
        if delay:
            await asyncio.sleep(delay)
