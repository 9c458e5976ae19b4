"""The case's calls to the outside world other than messages: rules, payouts, reads, records.

Each is one activity declared in `complaints.contracts`, with timeouts, a retry policy and,
for the payout, an idempotency key derived from the workflow id, the proposal version and
the attempt, so a retry, a crash or a replay never pays twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from workflows.record import CaseRecord

with workflow.unsafe.imports_passed_through():
    import email_validator  # noqa: F401  (pydantic imports it lazily to check EmailStr)
    from pydantic import BaseModel

    from complaints import contracts
    from complaints.case import ClosingRecord
    from complaints.messages import SurveyQuery
    from complaints.payout import CustomerPaidQuery, PayoutReceipt, PayoutRequest, payout_key
    from complaints.rules import CaseRules
    from complaints.standing import ROLLING_YEAR, CustomerStanding, StandingQuery, month_start

CUSTOMER_CAP_PATCH = "customer-cap-from-ledger"
STANDING_PATCH = "customer-standing-v2"  # one read: 12-month payouts, earlier complaints, category budget
FIRST_CONTACT_PATCH = "first-contact-priority"

# Money and records must never be given up on: retry until it works, however long.
DURABLE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=2))

Arg = TypeVar("Arg", bound=BaseModel)
Result = TypeVar("Result", bound=BaseModel)


async def load_case_rules() -> CaseRules:
    """Before the case exists: the rules it is pinned to for its whole life."""
    contract = contracts.LOAD_CASE_RULES
    rules: CaseRules = await workflow.execute_activity(
        contract.name,
        result_type=contract.result,
        start_to_close_timeout=timedelta(seconds=30),
        retry_policy=DURABLE_RETRY,
        summary="load and pin the case rules",
    )
    return rules


class OutwardCalls:
    def __init__(self, case: CaseRecord) -> None:
        self._case = case

    async def after_first_contact(self) -> None:
        """Acknowledged: the case's later work now queues behind other cases' first contact.

        Only a case started at first-contact priority asks (older ones replay as they ran), and a
        failure changes nothing but the order of work: it is noted, never raised."""
        if workflow.info().priority.priority_key != contracts.FIRST_CONTACT_PRIORITY:
            return
        if not workflow.patched(FIRST_CONTACT_PATCH):
            return
        try:
            await workflow.execute_activity(
                contracts.SET_CASE_PRIORITY.name,
                contracts.ROUTINE_PRIORITY,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_attempts=3),
                summary="acknowledged: routine priority from now on",
            )
        except ActivityError as error:
            workflow.logger.warning("the case keeps first-contact priority: %s", error.cause or error)

    async def pay(self, amount_due: Decimal, approved_by: str) -> PayoutReceipt:
        """Raises ActivityError caused by ApplicationError(type=PAYOUT_REFUSED) if refused for good."""
        state = self._case.state
        proposal = state.proposal
        assert proposal is not None
        info = workflow.info()
        request = PayoutRequest(
            idempotency_key=payout_key(info.workflow_id, proposal.version, state.payout_attempt),
            complaint_id=state.complaint.id,
            workflow_id=info.workflow_id,
            customer_id=state.complaint.customer.id,
            category=state.complaint.category,
            amount=amount_due,
            currency=proposal.currency,
            items=proposal.items,
            approved_by=approved_by,
            policy_version=proposal.policy_version,
        )
        receipt: PayoutReceipt = await workflow.execute_activity(
            contracts.PAY_COMPENSATION.name,
            request,
            result_type=contracts.PAY_COMPENSATION.result,
            start_to_close_timeout=timedelta(seconds=60),
            retry_policy=DURABLE_RETRY,
            summary=f"pay {amount_due} {proposal.currency} (proposal v{proposal.version})",
        )
        return receipt

    async def _read(self, contract: contracts.ActivityContract[Arg, Result], query: Arg, summary: str) -> Result:
        """A read-only activity: quick, safe to retry for as long as the database is down."""
        assert contract.result is not None
        result: Result = await workflow.execute_activity(
            contract.name,
            query,
            result_type=contract.result,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=DURABLE_RETRY,
            summary=summary,
        )
        return result

    async def standing_for_policy(self) -> CustomerStanding | None:
        """The ledger and outcome records the policy weighs, read by the version the case runs."""
        if workflow.patched(STANDING_PATCH):
            return await self._customer_standing()
        # Cases started before the standing read replay as they ran: the 12-month payouts
        # alone (this case's own payouts are topped up, so not counted), or nothing at all.
        state = self._case.state
        if workflow.patched(CUSTOMER_CAP_PATCH) and state.rules.compensation.cap_per_customer_12_months is not None:
            paid = await self._customer_paid_in_last_year()
            return CustomerStanding(paid_last_12_months=max(paid - state.paid_total, Decimal("0")))
        return None

    async def _customer_paid_in_last_year(self) -> Decimal:
        state = self._case.state
        query = CustomerPaidQuery(
            customer_id=state.complaint.customer.id,
            currency=state.rules.compensation.currency,
            since=workflow.now() - timedelta(days=365),
        )
        summary = "read what the customer was paid in the last 12 months"
        return (await self._read(contracts.CUSTOMER_PAID_SINCE, query, summary)).amount

    async def _customer_standing(self) -> CustomerStanding:
        now, state = workflow.now(), self._case.state
        query = StandingQuery(
            customer_id=state.complaint.customer.id,
            category=state.complaint.category,
            currency=state.rules.compensation.currency,
            year_since=now - ROLLING_YEAR,
            month_since=month_start(now),
            exclude_workflow_id=workflow.info().workflow_id,
            root_cause_code=state.findings.root_cause_code if state.findings else None,
            product=state.complaint.product,
            recurring_since=state.received_at - state.rules.recurring_within,
        )
        summary = "read the customer's payouts and complaints of the last 12 months, and this month's budget"
        standing = await self._read(contracts.READ_CUSTOMER_STANDING, query, summary)
        state.same_cause_earlier = standing.same_cause_earlier
        return standing

    async def customer_last_surveyed(self, since: datetime) -> datetime | None:
        """When another case of this customer's last sent a survey invitation (survey fatigue)."""
        query = SurveyQuery(
            customer_id=self._case.state.complaint.customer.id,
            since=since,
            exclude_workflow_id=workflow.info().workflow_id,
        )
        summary = "check when the customer was last surveyed"
        return (await self._read(contracts.CUSTOMER_SURVEYED_SINCE, query, summary)).last_invited_at

    async def record_outcome(self, outcome: ClosingRecord) -> None:
        await workflow.execute_activity(
            contracts.RECORD_OUTCOME.name,
            outcome,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=DURABLE_RETRY,
            summary=f"record outcome: {outcome.outcome}",
        )
