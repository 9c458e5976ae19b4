"""A proactive case: one customer of an incident, contacted before they complained.

It opens with the incident's findings and the scheme's approved offer, so there is no
investigation round, and it keeps the incident's one budget true: the offer's hold was taken
by the fan-out; a later offer, a payment, a decline and the closure each move it once (by a
key from the workflow id). A case that is not an incident's does nothing here.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from temporalio import workflow

from workflows.outward import DURABLE_RETRY
from workflows.record import CaseRecord

with workflow.unsafe.imports_passed_through():
    from complaints import contracts
    from complaints.actions import OfferAnswer, OfferResponse
    from complaints.case import Stage
    from complaints.incident import IncidentLink
    from complaints.incident_records import AffectedStatus, BudgetMove, BudgetMoveKind, BudgetMoveResult
    from complaints.messages import MessageKind
    from complaints.remedies import Proposal


class IncidentBudgetShort(ValueError):
    """A payment the incident's budget cannot hold: a data error, so staff are alerted and the
    stage waits for `resume` (once the budget is raised)."""


def offer_key(workflow_id: str, proposal_version: int) -> str:
    """The key of the hold for an offer: the fan-out takes the first one's under this key too."""
    return f"{workflow_id}:offer-{proposal_version}"


class IncidentCase:
    def __init__(self, case: CaseRecord) -> None:
        self._case = case

    @property
    def _link(self) -> IncidentLink | None:
        return self._case.state.incident

    def open(self) -> Stage:
        """The findings are the incident's and the offer was approved with the scheme: offer it."""
        case, state, link = self._case, self._case.state, self._link
        assert link is not None
        state.findings = state.findings_by_round[state.investigation_round] = link.findings
        state.proposal, state.proposal_versions = link.offer, link.offer.version
        state.proposals.append(link.offer)
        state.approved_by = link.approved_by
        case.record("incident", f"{link.title} (incident {link.incident_id}): we write first, with an offer")
        items = "; ".join(f"{item.kind} {item.amount:.2f}" for item in link.offer.items)
        total = f"{link.offer.total:.2f} {link.offer.currency}"
        case.record("proposal", f"v1: {items} = {total} (scheme v{link.scheme_version}, band {link.band})")
        case.record("approved", f"with the incident's scheme, by {link.approved_by}", actor=link.approved_by)
        return Stage.AWAITING_CUSTOMER

    def offer_kind(self, proposal: Proposal) -> MessageKind:
        """The first letter says what happened and offers the scheme's remedy; later ones are offers."""
        return MessageKind.INCIDENT_OFFER if self._link is not None and proposal.version == 1 else MessageKind.OFFER

    def offer_note(self, proposal: Proposal) -> str:
        link = self._link
        return link.what_happened if link is not None and proposal.version == 1 else ""

    async def offered(self, proposal: Proposal) -> None:
        """A later offer (after a review) holds its amount; the first one's hold is the fan-out's."""
        if self._link is None or proposal.version == 1:
            return
        await self._hold(proposal.total, f"offer-{proposal.version}", AffectedStatus.OFFERED)

    async def answered(self, response: OfferResponse | None) -> None:
        if self._link is None or response is None or response.answer is OfferAnswer.ACCEPT:
            return
        proposal = self._case.state.proposal
        version = proposal.version if proposal is not None else 0
        if response.answer is OfferAnswer.DECLINE:
            await self._move(BudgetMoveKind.RELEASE, Decimal("0"), f"declined-{version}", AffectedStatus.DECLINED)
        else:
            await self._move(BudgetMoveKind.RESERVE, _counter(response), f"counter-{version}", AffectedStatus.COUNTERED)

    async def lapsed(self) -> None:
        """No answer by the deadline: the offer stands, but its hold goes back (taken again if accepted)."""
        proposal = self._case.state.proposal
        if self._link is not None and proposal is not None:
            await self._move(BudgetMoveKind.RELEASE, Decimal("0"), f"lapsed-{proposal.version}", AffectedStatus.LAPSED)

    async def before_paying(self, amount_due: Decimal, proposal_version: int) -> None:
        if self._link is None:
            return
        await self._hold(amount_due, f"accepted-{proposal_version}", AffectedStatus.ACCEPTED)

    async def paid(self, amount: Decimal, proposal_version: int) -> None:
        if self._link is not None:
            await self._move(BudgetMoveKind.PAY, amount, f"paid-{proposal_version}", AffectedStatus.PAID)

    async def closed(self) -> None:
        """Whatever is still held goes back to the budget (a lapsed offer, a withdrawal)."""
        if self._link is not None:
            await self._move(BudgetMoveKind.RELEASE, Decimal("0"), "closed", AffectedStatus.CLOSED)

    async def _hold(self, amount: Decimal, key_part: str, status: AffectedStatus) -> None:
        if not await self._move(BudgetMoveKind.RESERVE, amount, key_part, status):
            link = self._link
            assert link is not None
            raise IncidentBudgetShort(
                f"the budget of incident {link.incident_id} cannot hold {amount:.2f} more: raise it, then resume"
            )

    async def _move(self, kind: BudgetMoveKind, amount: Decimal, key_part: str, status: AffectedStatus) -> bool:
        """Apply one move (once per key); False if the budget could not hold it."""
        link, complaint = self._link, self._case.state.complaint
        assert link is not None
        move = BudgetMove(
            incident_id=link.incident_id,
            case_id=complaint.id,
            customer_id=complaint.customer.id,
            key=f"{workflow.info().workflow_id}:{key_part}",
            kind=kind,
            amount=amount,
            status=status,
        )
        contract = contracts.MOVE_INCIDENT_BUDGET
        result: BudgetMoveResult = await workflow.execute_activity(
            contract.name,
            move,
            result_type=contract.result,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=DURABLE_RETRY,
            summary=f"incident budget: {kind.value} {amount:.2f} ({status.value})",
        )
        return result.fits


def _counter(response: OfferResponse) -> Decimal:
    return response.counter_amount or Decimal("0")
