"""The scheduled check's activities: examine the cases, and mail operators what is new.

"New" is kept in the outbox: one row per finding (`doctor:<workflow id>:<problem>`), so a
finding is mailed once however often the check runs, and a retried activity never mails twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

from activities.config import ActivityConfig
from activities.doctor import CaseDoctor, DoctorLimits
from activities.mailer import DeliveryError, deliver
from activities.outbox import Outbox, message_id_for
from complaints import contracts
from complaints.dates import when
from complaints.stuck import DoctorReport, Examination, StuckCase

ALERT_KIND = "doctor_alert"
REFERENCE_PREFIX = "complaint-"


class DoctorActivities:
    def __init__(self, client: Client, settings: ActivityConfig, outbox: Outbox, doctor: CaseDoctor) -> None:
        self._client = client
        self._settings = settings
        self._outbox = outbox
        self._doctor = doctor

    @classmethod
    def for_worker(cls, client: Client, settings: ActivityConfig, engine: AsyncEngine) -> DoctorActivities:
        limits = DoctorLimits(attempts=settings.doctor_attempts, grace=settings.doctor_grace)
        return cls(client, settings, Outbox(engine), CaseDoctor(client, engine, limits))

    def all(self) -> list[Any]:
        return [self.examine_cases, self.alert_operators]

    @activity.defn(name=contracts.EXAMINE_CASES.name)
    async def examine_cases(self) -> Examination:
        return Examination(cases=await self._doctor.examine(datetime.now(UTC)))

    @activity.defn(name=contracts.ALERT_OPERATORS.name)
    async def alert_operators(self, examination: Examination) -> DoctorReport:
        """One message per finding not mailed before; a finding already mailed is skipped."""
        new = 0
        for case in examination.cases:
            key = f"doctor:{case.key}"
            existing = await self._outbox.get(key)
            if existing is not None and existing.status == "sent":
                continue
            message = self._alert(case, key)
            await self._outbox.begin_attempt(key, ALERT_KIND, self._settings.operators_email, str(message["Subject"]))
            try:
                await deliver(
                    self._settings,
                    message,
                    accepted=partial(self._outbox.mark_sent_after_delivery, key, activity.logger),
                )
            except DeliveryError as error:
                await self._outbox.mark_retrying(key, str(error))
                raise ApplicationError(f"alert for {case.key} not delivered: {error}") from error
            new += 1
        activity.logger.info("doctor: %d case(s) not moving, %d new", len(examination.cases), new)
        return DoctorReport(found=len(examination.cases), new=new)

    def _alert(self, case: StuckCase, key: str) -> EmailMessage:
        reference = case.workflow_id.removeprefix(REFERENCE_PREFIX)
        message = EmailMessage()
        message["From"] = self._settings.mail_from
        message["To"] = self._settings.operators_email
        message["Subject"] = f"Complaint {reference} is not moving: {case.problem.value}"
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = message_id_for(key)
        message["X-Complaintflow-Kind"] = ALERT_KIND
        message["X-Complaintflow-Reference"] = reference
        message["X-Complaintflow-Key"] = key
        message.set_content(
            f"The scheduled check found complaint {reference} ({case.workflow_id}) not moving.\n\n"
            f"    Problem: {case.problem.value}\n"
            f"    Since:   {when(case.since)}\n"
            f"    Why:     {case.why}\n\n"
            f"Every case not moving, and why:   complaints admin doctor\n"
            f"This case:                        complaints admin show {reference}\n\n"
            f"You are told of each finding once; it stays listed by `admin doctor` until the case moves.\n"
        )
        return message
