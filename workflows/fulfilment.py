"""Stage 6: paying a remedy exactly once, and the resolution letter that follows.

The payout itself is one activity with an idempotency key (outward.py). A refusal for good
does not fail the case: staff are alerted and decide — retry under a new key once the cause
is fixed, or record the customer as paid by other means.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from workflows.clocks import CaseClocks
from workflows.incident_case import IncidentCase
from workflows.messenger import Messenger
from workflows.outward import OutwardCalls
from workflows.record import CaseRecord
from workflows.remedy import CaseRemedy
from workflows.waits import CaseWaits

with workflow.unsafe.imports_passed_through():
    from complaints.actions import PayoutAction
    from complaints.failures import PAYOUT_REFUSED
    from complaints.messages import MessageKind
    from complaints.payout import PayoutReceipt
    from complaints.remedies import Proposal


class Fulfilment:
    def __init__(
        self,
        case: CaseRecord,
        outward: OutwardCalls,
        messenger: Messenger,
        waits: CaseWaits,
        clocks: CaseClocks,
        remedy: CaseRemedy,
        incident: IncidentCase,
        publish: Callable[[], None],
    ) -> None:
        self._case = case
        self._outward = outward
        self._messenger = messenger
        self._waits = waits
        self._clocks = clocks
        self._remedy = remedy
        self._incident = incident
        self._publish = publish

    async def tell_resolution(self, proposal: Proposal) -> None:
        """The resolution (under a regulator, the formal response); the case now counts as resolved."""
        regulatory = self._clocks.resolution_response()
        follow_up_at = self._remedy.resolve_now()
        await self._messenger.tell_customer(
            MessageKind.RESOLUTION, proposal=proposal, due=follow_up_at, regulatory=regulatory
        )

    async def pay(self, amount_due: Decimal) -> None:
        """Pay what is due on the approved proposal and record it, or what staff decided instead."""
        proposal = self._case.state.proposal
        version = proposal.version if proposal is not None else 0
        await self._incident.before_paying(amount_due, version)
        receipt = await self._pay_unless_refused(amount_due)
        if receipt is not None:
            await self._incident.paid(receipt.amount, version)
            self._case.state.payouts.append(receipt)
            note = " (already in the ledger)" if receipt.already_paid else ""
            self._case.record("paid", f"{receipt.amount:.2f} {receipt.currency}, ledger #{receipt.ledger_id}{note}")

    async def _pay_unless_refused(self, amount_due: Decimal) -> PayoutReceipt | None:
        """Pay; if the gateway refuses for good, alert staff and wait for their decision.

        Returns None when staff record the customer as paid by other means.
        """
        case, state = self._case, self._case.state
        while True:
            if state.payout_refusal is None:
                try:
                    return await self._outward.pay(amount_due, state.approved_by or "auto")
                except ActivityError as failure:
                    cause = failure.cause
                    if not (isinstance(cause, ApplicationError) and cause.type == PAYOUT_REFUSED):
                        raise
                    await self._alert_refused(cause.message)
            await self._waits.until(
                lambda: state.payout_resolution is not None, None, "staff decision on the refused payout"
            )
            resolution = state.payout_resolution
            assert resolution is not None
            state.payout_resolution, state.payout_refusal = None, None
            if resolution.action is PayoutAction.SETTLED_ELSEWHERE:
                case.record("settled elsewhere", resolution.note or "paid by other means", actor=resolution.by)
                return None
            state.payout_attempt += 1
            case.record("payout retry", resolution.note or f"attempt {state.payout_attempt}", actor=resolution.by)

    async def _alert_refused(self, reason: str) -> None:
        case, state = self._case, self._case.state
        state.payout_refusal = reason
        case.record("payout refused", reason)
        self._publish()
        await self._messenger.tell_staff(
            MessageKind.PAYOUT_REFUSED,
            case.owner_and_lead(),
            proposal=state.proposal,
            note=reason,
            history=case.history_lines(),
        )
