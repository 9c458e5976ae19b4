"""Mail to the managers, sent once per key: the emerging-issue alerts and the monthly report.

Whom: `COMPLAINTS_MANAGERS_EMAIL` when set, else the staff in the rules whose role is one of
`COMPLAINTS_MANAGERS_ROLES` (their delegate while away), else the operators. Once: the outbox
row of the key says `sent` after the server's 250, and a retried activity finds it and stops;
the Message-ID is the key's, so a retry after a lost mark is one message to a mail client.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr
from functools import partial

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.config import ActivityConfig
from activities.mailer import DeliveryError, bodies_of, deliver
from activities.outbox import Outbox
from complaints.review_mail import managers_of
from complaints.rules import CaseRules

RECIPIENT_LENGTH = 320  # the outbox's column


@dataclass(frozen=True)
class Managers:
    to: str  # the To header
    names: list[str]  # whom to greet (empty: a configured address)


def managers(settings: ActivityConfig, rules: CaseRules) -> Managers:
    if settings.managers_email:
        return Managers(to=settings.managers_email, names=[])
    members = managers_of(rules, settings.managers_roles)
    if not members:
        activity.logger.warning(
            "no staff with a role in %s and no managers address: mailing the operators", settings.managers_roles
        )
        return Managers(to=settings.operators_email, names=[])
    return Managers(
        to=", ".join(formataddr((member.name, str(member.email))) for member in members),
        names=[member.name for member in members],
    )


class StaffMail:
    def __init__(self, settings: ActivityConfig, outbox: Outbox) -> None:
        self._settings = settings
        self._outbox = outbox

    async def already_sent(self, key: str) -> bool:
        entry = await self._outbox.get(key)
        return entry is not None and entry.status == "sent"

    async def send_once(self, message: EmailMessage, key: str, kind: str) -> bool:
        """Deliver unless the key was sent before; False if it was. A permanent refusal is not retried."""
        if await self.already_sent(key):
            return False
        recipient, subject = str(message["To"])[:RECIPIENT_LENGTH], str(message["Subject"])
        await self._outbox.begin_attempt(key, kind, recipient, subject, bodies=(bodies_of(message)[0], None))
        try:
            await deliver(
                self._settings, message, accepted=partial(self._outbox.mark_sent_after_delivery, key, activity.logger)
            )
        except DeliveryError as error:
            if error.permanent:
                await self._outbox.mark_failed(key, str(error))
            else:
                await self._outbox.mark_retrying(key, str(error))
            raise ApplicationError(f"{kind} {key} not delivered: {error}", non_retryable=error.permanent) from error
        return True
