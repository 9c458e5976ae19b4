"""Messages to customers and staff, and what happens when the customer cannot be reached.

Every message is one `send_message` activity with an idempotency key from the workflow id
and a sequence carried in the state. A customer message the mail server refuses for good
does not fail the case: staff are alerted and the process waits for a corrected address,
or for staff to choose another channel (then the case owner gets each message to deliver).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from enum import Enum

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from workflows.record import CaseRecord
from workflows.waits import CaseWaits

with workflow.unsafe.imports_passed_through():
    from complaints import contracts
    from complaints.failures import PERMANENT_DELIVERY_FAILURE
    from complaints.intake import ContactChannel
    from complaints.messages import MessageKind, MessageRequest, Recipient
    from complaints.rules import StaffMember

MESSAGE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_interval=timedelta(minutes=5))
# Before this patch a refused customer message was only recorded; such cases replay so.
WAIT_FOR_CONTACT_PATCH = "wait-for-corrected-customer-address"
# Before this patch a staff message that failed for good, or any message that could not be
# rendered, was only recorded; now a person is told (workflows/attention.py).
NEEDS_ATTENTION_PATCH = "needs-attention"


class Delivery(Enum):
    SENT = "sent"
    REFUSED = "refused"  # permanently: the address (or the content) will be refused again
    FAILED = "failed"  # gave up retrying, or could not render


class Messenger:
    """Sends; tells `on_customer_heard` of each message the customer got (the SLA clocks
    stop on it) and `publish` of a contact problem (the UI shows it)."""

    def __init__(
        self,
        case: CaseRecord,
        waits: CaseWaits,
        *,
        on_customer_heard: Callable[[MessageKind], None],
        publish: Callable[[], None],
        on_problem: Callable[[str, str], Awaitable[None]],
    ) -> None:
        self._case = case
        self._waits = waits
        self._on_customer_heard = on_customer_heard
        self._publish = publish
        self._on_problem = on_problem
        self._last_failure = ""

    async def _send(self, kind: MessageKind, to: Recipient, **content: object) -> Delivery:
        """Send one message; a failure is recorded, never fatal to the case.

        The callers decide what a failure means: for the customer, a refused address waits for
        a corrected one; anything else that retrying cannot fix needs a person (`on_problem`).
        """
        state = self._case.state
        state.message_seq += 1
        request = MessageRequest(
            idempotency_key=f"{workflow.info().workflow_id}:{kind.value}:{state.message_seq}",
            kind=kind,
            to=to,
            case=self._case.brief(),
            **content,
        )
        relay = f" (to {request.relay_to.name}, by {request.channel})" if request.relay_to else ""
        try:
            await workflow.execute_activity(
                contracts.SEND_MESSAGE.name,
                request,
                result_type=contracts.SEND_MESSAGE.result,
                start_to_close_timeout=timedelta(seconds=60),
                schedule_to_close_timeout=timedelta(hours=6),
                retry_policy=MESSAGE_RETRY,
                summary=f"{kind.summary} to {to.name}{relay}",
            )
        except ActivityError as failure:
            cause = failure.cause or failure
            self._case.record("message failed", f"{kind.value} to {to.email}: {cause}")
            refused = isinstance(cause, ApplicationError) and cause.type == PERMANENT_DELIVERY_FAILURE
            self._last_failure = str(cause)
            return Delivery.REFUSED if refused else Delivery.FAILED
        self._case.record("message sent", f"{kind.value} to {to.name} <{to.email}>{relay}")
        return Delivery.SENT

    # -- the customer ---------------------------------------------------------------------

    async def tell_customer(self, kind: MessageKind, *, wait_for_contact: bool = True, **content: object) -> None:
        """E-mail the customer, or have the owner deliver it by their channel.

        If the mail server refuses the address for good, staff are alerted and (unless
        `wait_for_contact` is False, for messages that must not hold anything up) this waits
        for a corrected address or another channel, then sends again.
        """
        state = self._case.state
        while True:
            customer = state.complaint.customer
            to = Recipient(name=customer.name, email=state.contact_email or customer.email)
            channel = state.contact_channel or customer.preferred_channel
            if channel is not ContactChannel.EMAIL:
                content = {**content, "relay_to": _recipient(self._case.owner), "channel": channel.value}
            delivery = await self._send(kind, to, **content)
            if delivery is Delivery.SENT:
                state.last_customer_update_at = workflow.now()
                self._on_customer_heard(kind)
                return
            if delivery is Delivery.FAILED:
                await self._needs_a_person(kind, to)
                return
            if not workflow.patched(WAIT_FOR_CONTACT_PATCH):
                return
            await self._alert_contact_failed(f"{kind.value} to {to.email} was refused")
            if not wait_for_contact:
                return
            await self._waits.until(lambda: state.contact_problem is None, None, "a corrected customer address")

    async def _alert_contact_failed(self, problem: str) -> None:
        """Once per problem: tell the owner and the team lead, and show it in the UI."""
        state = self._case.state
        if state.contact_problem is not None:
            return
        state.contact_problem = problem
        self._case.record("customer unreachable", problem)
        self._publish()
        await self.tell_staff(
            MessageKind.CONTACT_FAILED, self._case.owner_and_lead(), note=problem, history=self._case.history_lines()
        )

    # -- staff ---------------------------------------------------------------------------------

    async def tell_staff(self, kind: MessageKind, people: list[StaffMember], **content: object) -> None:
        for person in people:
            to = _recipient(person)
            if await self._send(kind, to, **content) is not Delivery.SENT:
                await self._needs_a_person(kind, to)

    async def tell_department(self, kind: MessageKind, **content: object) -> None:
        route = self._case.state.rules.routing[self._case.state.complaint.category]
        to = Recipient(name=route.department, email=route.department_email)
        if await self._send(kind, to, **content) is not Delivery.SENT:
            await self._needs_a_person(kind, to)

    async def _needs_a_person(self, kind: MessageKind, to: Recipient) -> None:
        """A message that will not go out by retrying: a person must know (cases from before
        this replay as they ran, with the failure only recorded)."""
        if workflow.patched(NEEDS_ATTENTION_PATCH):
            await self._on_problem(f"{kind.value} to {to.email} was not sent", self._last_failure)


def _recipient(person: StaffMember) -> Recipient:
    return Recipient(name=person.name, email=person.email)
