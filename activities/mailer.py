"""SMTP delivery: builds the e-mail and tells temporary failures from permanent refusals.

Temporary (connection refused, timeouts, 4xx) are worth retrying; a 5xx refusal of the
recipient, sender or content will be refused again, so retrying only delays the truth.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from typing import Any, Literal

import aiosmtplib
from aiosmtplib.response import SMTPResponse
from aiosmtplib.typing import Default

from activities.config import ActivityConfig
from activities.outbox import message_id_for
from complaints.messages import MessageRequest
from complaints.templates import RenderedMessage


class DeliveryError(Exception):
    """A failed delivery; `permanent` says whether retrying can help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def build_email(settings: ActivityConfig, request: MessageRequest, rendered: RenderedMessage) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    relay = request.relay_to
    if relay is not None:  # staff deliver it by post or phone: they get the customer's letter
        rendered = relayed(rendered, request)
    to = relay or request.to
    message["To"] = formataddr((to.name, str(to.email)))
    message["Subject"] = rendered.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id_for(request.idempotency_key)
    message["X-Complaintflow-Kind"] = request.kind.value
    message["X-Complaintflow-Reference"] = request.case.reference
    message["X-Complaintflow-Key"] = request.idempotency_key
    message.set_content(rendered.text)
    if rendered.html is not None:
        message.add_alternative(rendered.html, subtype="html")
    return message


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message, e.g. the monthly report's HTML (`text/html`)."""

    filename: str
    content_type: str  # `maintype/subtype`
    content: bytes


def attach(message: EmailMessage, attachment: Attachment) -> None:
    """Add the file as an attachment (base64: any bytes, any line length); text is declared UTF-8."""
    maintype, _, subtype = attachment.content_type.partition("/")
    if not maintype or not subtype:
        raise ValueError(f"{attachment.filename}: content type {attachment.content_type!r} is not maintype/subtype")
    message.add_attachment(
        attachment.content,
        maintype=maintype,
        subtype=subtype,
        filename=attachment.filename,
        params={"charset": "utf-8"} if maintype == "text" else None,
    )


def build_staff_email(
    settings: ActivityConfig,
    *,
    to: str,
    key: str,
    kind: str,
    reference: str,
    rendered: RenderedMessage,
    attachments: Sequence[Attachment] = (),
) -> EmailMessage:
    """A message to staff that is about no one case (alerts, reports): same headers as a case's."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = rendered.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id_for(key)
    message["X-Complaintflow-Kind"] = kind
    message["X-Complaintflow-Reference"] = reference
    message["X-Complaintflow-Key"] = key
    message.set_content(rendered.text)
    for attachment in attachments:
        attach(message, attachment)
    return message


def bodies_of(message: EmailMessage) -> tuple[str, str | None]:
    """The plain text and the HTML (if any) of a message built by `build_email`."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return (
        str(text.get_content()) if isinstance(text, EmailMessage) else "",
        str(html.get_content()) if isinstance(html, EmailMessage) else None,
    )


def relayed(rendered: RenderedMessage, request: MessageRequest) -> RenderedMessage:
    """The customer's message, wrapped for the member of staff who will deliver it."""
    customer = request.to
    instruction = (
        f"Please deliver this message to {customer.name} by {request.channel}: they are not to be e-mailed "
        f"(case {request.case.reference}). The text below is what they should receive.\n\n"
        f"----------------------------------------------------------------------\n\n"
    )
    return rendered.model_copy(
        update={
            "subject": f"[deliver by {request.channel} to {customer.name}] {rendered.subject}",
            "text": instruction + rendered.text,
        }
    )


def _classify(error: Exception) -> DeliveryError:
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = [refused.code for refused in error.recipients]
        detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in error.recipients)
        return DeliveryError(f"recipient refused: {detail}", permanent=bool(codes) and min(codes) >= 500)
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        # Our credentials, not the message: fixable by configuration, so keep retrying.
        return DeliveryError(f"SMTP authentication failed: {error.code} {error.message}", permanent=False)
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return DeliveryError(f"SMTP server answered {error.code} {error.message}", permanent=error.code >= 500)
    return DeliveryError(f"{type(error).__name__}: {error}", permanent=False)


# At most one message per worker process between the server taking it and the outbox marking it
# sent: a SIGKILL can then cost at most one duplicate, however many messages are on their way.
_ONE_HANDOVER_AT_A_TIME = asyncio.Lock()


class _MarkedOnAcceptance(aiosmtplib.SMTP):
    """An SMTP client whose DATA command ends with the outbox's sent mark, under the process's lock.

    The connection, EHLO, TLS, login, MAIL and RCPT of many messages still run side by side; only
    the hand-over (DATA, its 250, the mark) is one at a time, and it takes milliseconds.
    """

    def __init__(self, accepted: Callable[[], Awaitable[None]], **options: Any) -> None:
        super().__init__(**options)
        self._accepted = accepted

    async def data(
        self,
        message: str | bytes,
        /,
        *,
        timeout: float | Literal[Default.token] | None = Default.token,  # noqa: ASYNC109 (aiosmtplib's signature)
    ) -> SMTPResponse:
        async with _ONE_HANDOVER_AT_A_TIME:
            response = await super().data(message, timeout=timeout)  # raises unless the server said 250
            await self._accepted()
        return response


async def deliver(settings: ActivityConfig, message: EmailMessage, *, accepted: Callable[[], Awaitable[None]]) -> None:
    """Send one message; raises DeliveryError (temporary or permanent) on failure.

    `accepted` (the outbox's sent mark, which never raises) runs the moment the server answers
    250, before QUIT: a kill between the 250 and the mark sends the message again, so that gap
    holds no round trip and, in each worker, no more than one message.
    """
    client = _MarkedOnAcceptance(
        accepted,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        start_tls=settings.smtp_starttls,
        use_tls=settings.smtp_use_tls,
        timeout=settings.smtp_timeout_seconds,
    )
    try:
        await client.connect()
        await client.send_message(message)
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
        client.close()
        raise _classify(error) from error
    await _quit(client)


async def _quit(client: aiosmtplib.SMTP) -> None:
    """Say goodbye once the message is out; a failure here changes nothing for the message."""
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        client.close()
