"""Stage 5's waiting: the customer is asked, not told. The offer goes out once per proposal,
one reminder follows, and at the deadline an unanswered offer stands (and can still be accepted).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from temporalio import workflow

from workflows import steps
from workflows.clocks import CaseClocks
from workflows.incident_case import IncidentCase
from workflows.messenger import Messenger
from workflows.record import CaseRecord
from workflows.waits import CaseWaits

with workflow.unsafe.imports_passed_through():
    from complaints.dates import when
    from complaints.messages import MessageKind


class Offer:
    def __init__(
        self,
        case: CaseRecord,
        clocks: CaseClocks,
        messenger: Messenger,
        waits: CaseWaits,
        incident: IncidentCase,
        publish: Callable[[], None],
    ) -> None:
        self._case = case
        self._clocks = clocks
        self._messenger = messenger
        self._waits = waits
        self._incident = incident
        self._publish = publish

    async def until_answered(self) -> bool:
        """True when the customer answered by the deadline (the answer is in the state)."""
        case, state = self._case, self._case.state
        timings, proposal = state.rules.timings, state.proposal
        assert proposal is not None
        if state.offer_due is None:
            state.offer_due = workflow.now() + timings.offer
            self._publish()
        due = state.offer_due

        async def make_the_offer() -> None:
            await self._incident.offered(proposal)
            kind, note = self._incident.offer_kind(proposal), self._incident.offer_note(proposal)
            await self._messenger.tell_customer(kind, proposal=proposal, due=due, note=note)
            self._clocks.customer_paused("the offer is with the customer", "system", during_offer=True)

        await case.once(steps.offer(proposal.version), make_the_offer)

        def answered() -> bool:
            return state.offer_response is not None

        if not await self._waits.until(answered, due - timings.offer_reminder_before, "offer reminder"):
            await case.once(
                steps.offer_reminder(proposal.version),
                lambda: self._messenger.tell_customer(MessageKind.OFFER_REMINDER, proposal=proposal, due=due),
            )
        if await self._waits.until(answered, due, "offer deadline"):
            self._clocks.customer_resumed("the customer answered the offer", "customer")
            return True
        self._clocks.customer_resumed("no answer to the offer by its deadline", "system")
        return False

    async def let_stand(self, resolve: Callable[[], datetime]) -> None:
        """No answer: the offer stands, the case counts as resolved, the customer is told so."""
        state = self._case.state
        state.offer_standing = True
        self._case.record("offer lapsed", f"no answer by {when(state.offer_due)}; the offer stands")
        follow_up_at = resolve()
        await self._messenger.tell_customer(MessageKind.OFFER_STANDING, proposal=state.proposal, due=follow_up_at)
