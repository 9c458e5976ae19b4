"""The activities the complaint workflow calls: rules, e-mail, payouts and outcome records.

Every side effect is idempotent by key (outbox, ledger, outcome table), because Temporal
retries activities and may run one again after a worker crash.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from functools import partial
from typing import Any

import jinja2
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.archive import CaseArchive
from activities.config import ActivityConfig
from activities.db import make_engine
from activities.ledger import PayoutLedger
from activities.mailer import DeliveryError, bodies_of, build_email, deliver
from activities.migrate import upgrade_to_head
from activities.outbox import Outbox, message_id_for
from activities.outcomes import OutcomeStore
from activities.payout_gateway import PayoutGateway, make_gateway
from activities.rules_file import RulesFile
from complaints import contracts
from complaints.case import CaseOutcome, ClosingRecord
from complaints.failures import INVALID_RULES, PERMANENT_DELIVERY_FAILURE, TEMPLATE_ERROR, TEMPORARY_DELIVERY_FAILURE
from complaints.intake import describe_validation_error
from complaints.messages import MessageKind, MessageReceipt, MessageRequest, SurveyHistory, SurveyQuery
from complaints.payout import CustomerPaid, CustomerPaidQuery, PayoutReceipt, PayoutRequest
from complaints.rules import CaseRules
from complaints.standing import CustomerStanding, StandingQuery
from complaints.templates import render_message


class ComplaintActivities:
    """Holds the engine and settings; the bound methods are what the worker registers."""

    def __init__(self, settings: ActivityConfig, *, schema: str | None = None) -> None:
        self.settings = settings
        self.engine: AsyncEngine = make_engine(settings.effective_database_url, schema=schema)
        self.outbox = Outbox(self.engine)
        self.ledger = PayoutLedger(self.engine, activity.logger)
        self.payouts: PayoutGateway = make_gateway(settings, self.ledger, activity.logger)
        self.outcomes = OutcomeStore(self.engine, activity.logger)
        self.archive = CaseArchive(self.engine, activity.logger)
        self.rules_file = RulesFile(settings.rules_file)

    async def prepare(self) -> None:
        """Create data directories and bring the database to the newest schema; safe on every worker start."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.settings.mail_dir.mkdir(parents=True, exist_ok=True)
        await upgrade_to_head(self.engine)

    async def close(self) -> None:
        try:
            await self.payouts.close()
        finally:
            await self.engine.dispose()

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.load_case_rules,
            self.send_message,
            self.pay_compensation,
            self.record_outcome,
            self.customer_paid_since,
            self.read_customer_standing,
            self.customer_surveyed_since,
        ]

    @activity.defn(name=contracts.LOAD_CASE_RULES.name)
    async def load_case_rules(self) -> CaseRules:
        """Read the rules file once per case; a broken file will not fix itself, so no retry."""
        path = self.settings.rules_file
        try:
            rules = self.rules_file.load()
        except FileNotFoundError as exc:
            raise ApplicationError(f"rules file {path} not found", type=INVALID_RULES, non_retryable=True) from exc
        except tomllib.TOMLDecodeError as exc:
            raise ApplicationError(
                f"rules file {path} is not valid TOML: {exc}", type=INVALID_RULES, non_retryable=True
            ) from exc
        except ValidationError as exc:
            raise ApplicationError(
                f"rules file {path} is invalid:\n{describe_validation_error(exc)}",
                type=INVALID_RULES,
                non_retryable=True,
            ) from exc
        activity.logger.info("loaded rules version %s from %s", rules.version, path)
        return rules

    @activity.defn(name=contracts.SEND_MESSAGE.name)
    async def send_message(self, request: MessageRequest) -> MessageReceipt:
        """Render and deliver one message, at most once per idempotency key."""
        key = request.idempotency_key
        message_id = message_id_for(key)
        existing = await self.outbox.get(key)
        if existing is not None and existing.status == "sent":
            activity.logger.info("%s already sent (key %s): not sending again", request.kind.value, key)
            return MessageReceipt(message_id=existing.message_id, already_sent=True)
        try:  # retrying cannot fix a template or a header that will not build: the case asks a person
            rendered = render_message(request)
            email = build_email(self.settings, request, rendered)
        except (jinja2.TemplateError, ValueError) as exc:
            raise ApplicationError(
                f"cannot render {request.kind.value}: {exc}", type=TEMPLATE_ERROR, non_retryable=True
            ) from exc
        recipient = request.relay_to or request.to
        await self.outbox.begin_attempt(
            key,
            request.kind.value,
            str(recipient.email),
            rendered.subject,
            customer_id=request.case.customer_id,
            bodies=bodies_of(email),
        )
        try:
            await deliver(
                self.settings, email, accepted=partial(self.outbox.mark_sent_after_delivery, key, activity.logger)
            )
        except DeliveryError as exc:
            if exc.permanent:
                await self.outbox.mark_failed(key, str(exc))
                activity.logger.error("%s to %s refused for good: %s", request.kind.value, recipient.email, exc)
                raise ApplicationError(
                    f"{request.kind.value} to {recipient.email} refused: {exc}",
                    type=PERMANENT_DELIVERY_FAILURE,
                    non_retryable=True,
                ) from exc
            await self.outbox.mark_retrying(key, str(exc))
            activity.logger.warning(
                "%s to %s not delivered yet, will retry: %s", request.kind.value, recipient.email, exc
            )
            raise ApplicationError(
                f"{request.kind.value} to {recipient.email} not delivered yet: {exc}", type=TEMPORARY_DELIVERY_FAILURE
            ) from exc
        activity.logger.info("sent %s to %s (%s)", request.kind.value, recipient.email, message_id)
        return MessageReceipt(message_id=message_id, already_sent=False)

    @activity.defn(name=contracts.PAY_COMPENSATION.name)
    async def pay_compensation(self, request: PayoutRequest) -> PayoutReceipt:
        """Pay once per key through the configured gateway; a retry returns the first payment's
        receipt marked already_paid. A permanent refusal raises non-retryable `PayoutRefused`."""
        return await self.payouts.pay(request)

    @activity.defn(name=contracts.CUSTOMER_PAID_SINCE.name)
    async def customer_paid_since(self, query: CustomerPaidQuery) -> CustomerPaid:
        """Read-only, so safe to retry; the rolling per-customer cap is computed from it."""
        amount = await self.ledger.paid_to_customer(query.customer_id, query.since, query.currency)
        return CustomerPaid(customer_id=query.customer_id, since=query.since, amount=amount)

    @activity.defn(name=contracts.READ_CUSTOMER_STANDING.name)
    async def read_customer_standing(self, query: StandingQuery) -> CustomerStanding:
        """Read-only, so safe to retry: what the policy weighs besides the findings."""
        paid = await self.ledger.paid_to_customer(
            query.customer_id, query.year_since, query.currency, exclude_workflow_id=query.exclude_workflow_id
        )
        spent = await self.ledger.spent_in_category(
            query.category, query.month_since, query.currency, exclude_workflow_id=query.exclude_workflow_id
        )
        earlier = await self.outcomes.earlier_complaints(query.customer_id, query.year_since, query.exclude_workflow_id)
        same_cause = 0
        if query.root_cause_code is not None and query.product is not None and query.recurring_since is not None:
            same_cause = await self.archive.same_cause_earlier(
                query.root_cause_code, query.product, query.recurring_since, query.exclude_workflow_id
            )
        return CustomerStanding(
            paid_last_12_months=paid,
            earlier_complaints=earlier,
            category_spent_this_month=spent,
            same_cause_earlier=same_cause,
        )

    @activity.defn(name=contracts.CUSTOMER_SURVEYED_SINCE.name)
    async def customer_surveyed_since(self, query: SurveyQuery) -> SurveyHistory:
        """Read-only: survey fatigue, so a customer with several complaints is not asked again and again."""
        last = await self.outbox.last_sent(
            MessageKind.SURVEY_INVITATION.value, query.customer_id, query.since, query.exclude_workflow_id
        )
        return SurveyHistory(last_invited_at=last)

    @activity.defn(name=contracts.RECORD_OUTCOME.name)
    async def record_outcome(self, outcome: ClosingRecord) -> None:
        """The outcome row and the case file: each written once, so a retry writes nothing twice."""
        await self.outcomes.record(CaseOutcome.model_validate(outcome.model_dump(exclude={"case_file"})))
        if outcome.case_file is not None:  # None: sent by a worker from before the case file
            await self.archive.write(outcome.case_file)
