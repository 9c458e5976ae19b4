"""`complaints admin findings/approve/…`: what staff do to a running complaint.

Every action is validated here first (exit 2 naming the field, nothing sent), then sent as a
workflow update; the workflow's validator may still refuse it (exit 1, reason verbatim).
"""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import BaseModel
from temporalio.client import Client

from complaints.actions import (
    Amendment,
    Approval,
    ContactCorrection,
    CustomerMessage,
    Fault,
    Feedback,
    Findings,
    Inconvenience,
    InformationRequest,
    Note,
    OfferAnswer,
    OfferResponse,
    PayoutAction,
    PayoutResolution,
    PriorityRaise,
    Reassignment,
    Rejection,
    Reopen,
    Resumption,
    Withdrawal,
)
from complaints.intake import ContactChannel, Priority
from starter.cli.common import ComplaintRef, ExitCode, OptionalStaff, RequestId, Staff, build, error, fail, run
from starter.client import RequestIdReused, accepted_action, canonical, send_action, update_id_for

acting = typer.Typer()


def _act(reference: str, action: BaseModel, request_id: str | None) -> None:
    """Send the action as an update whose id is derived from the request (see `request_ids`).

    Running the same command again is the same update: Temporal answers with the first
    outcome and applies nothing twice. When the history shows it was applied already, stderr
    says so; a `--request-id` already used for a different request is refused (exit 2).
    """
    if request_id is not None and not request_id.strip():
        fail(ExitCode.INVALID, "invalid input: --request-id: give a non-empty id, or leave it out")
    update_id = update_id_for(action, reference, request_id=request_id)

    async def work(client: Client) -> tuple[str, bool]:
        earlier = await accepted_action(client, reference, update_id, type(action))
        if earlier is not None and canonical(earlier) != canonical(action):
            raise RequestIdReused(
                f"--request-id {request_id!r} was already used on this complaint for a different request; "
                "nothing was sent (use a new request id for a new request)"
            )
        return await send_action(client, reference, action, update_id=update_id), earlier is not None

    answer, repeat = run(work)
    print(answer, flush=True)
    if repeat:
        error(
            f"(already done: update {update_id} was applied earlier; this is its first answer and nothing was "
            "applied again. To do the same again on purpose, pass a new --request-id.)"
        )


@acting.command()
def findings(
    reference: ComplaintRef,
    by: Staff,
    severity: Annotated[int, typer.Option(help="1 (trivial) to 5 (severe).", show_default=False)],
    summary: Annotated[str, typer.Option(help="What happened.", show_default=False)],
    root_cause: Annotated[str, typer.Option(help="Why it happened, in words.", show_default=False)],
    cause: Annotated[
        str | None,
        typer.Option(help="The root-cause code from the rules' vocabulary, e.g. billing.duplicate-charge."),
    ] = None,
    loss: Annotated[str | None, typer.Option(help="The customer's financial loss, e.g. 89.90.")] = None,
    recurring: Annotated[
        str | None,
        typer.Option(
            metavar="REASON",
            help="Mark it recurring, saying why (the rules also find it: same code, same product, recently).",
        ),
    ] = None,
    not_upheld: Annotated[bool, typer.Option("--not-upheld", help="The complaint is not upheld.")] = False,
    fault: Annotated[Fault, typer.Option(help="Whose fault (for learning; the remedy is the same).")] = Fault.OURS,
    inconvenience: Annotated[Inconvenience, typer.Option(help="Time and trouble it cost.")] = Inconvenience.NONE,
    harm: Annotated[bool, typer.Option("--harm", help="It caused distress or lasting harm.")] = False,
    replace: Annotated[str | None, typer.Option(help="The item can be replaced: what it is.")] = None,
    replacement_cost: Annotated[str | None, typer.Option(help="What a new one costs us, e.g. 45.00.")] = None,
    request_id: RequestId = None,
) -> None:
    """Submit the investigation's findings; the workflow then proposes a remedy."""
    if (replace is None) != (replacement_cost is None):
        fail(ExitCode.INVALID, "invalid input: replacement (--replace, --replacement-cost): give both or neither")
    action = build(
        Findings,
        {
            "submitted_by": by,
            "severity": severity,
            "summary": summary,
            "root_cause": root_cause,
            "root_cause_code": cause,
            "financial_loss": loss,
            "recurring": recurring is not None,
            "recurring_reason": recurring or "",
            "upheld": not not_upheld,
            "fault": fault,
            "inconvenience": inconvenience,
            "harm": harm,
            "replacement": {"item": replace, "cost": replacement_cost} if replace is not None else None,
        },
        {
            "submitted_by": "--by",
            "financial_loss": "--loss",
            "root_cause_code": "--cause",
            "recurring_reason": "--recurring",
            "upheld": "--not-upheld",
            "replacement.item": "--replace",
            "replacement.cost": "--replacement-cost",
        },
    )
    _act(reference, action, request_id)


@acting.command()
def approve(
    reference: ComplaintRef,
    by: Staff,
    comment: Annotated[str | None, typer.Option(help="Why, for the record.")] = None,
    request_id: RequestId = None,
) -> None:
    """Approve the proposed remedy (your approval limit must cover it)."""
    _act(reference, build(Approval, {"approver_id": by, "comment": comment}, {"approver_id": "--by"}), request_id)


@acting.command()
def reject(
    reference: ComplaintRef,
    by: Staff,
    reason: Annotated[str, typer.Option(help="Why; it goes back to review.", show_default=False)],
    request_id: RequestId = None,
) -> None:
    """Reject the proposed remedy."""
    _act(reference, build(Rejection, {"approver_id": by, "reason": reason}, {"approver_id": "--by"}), request_id)


@acting.command()
def amend(
    reference: ComplaintRef,
    by: Staff,
    amount: Annotated[str, typer.Option(help="The amount to approve instead, e.g. 75.00.", show_default=False)],
    reason: Annotated[str, typer.Option(help="Why this amount.", show_default=False)],
    request_id: RequestId = None,
) -> None:
    """Approve a different amount than proposed."""
    _act(
        reference,
        build(Amendment, {"approver_id": by, "amount": amount, "reason": reason}, {"approver_id": "--by"}),
        request_id,
    )


@acting.command("offer-response")
def offer_response(
    reference: ComplaintRef,
    answer: Annotated[OfferAnswer, typer.Argument(help="The customer's answer.", show_default=False)],
    reason: Annotated[str | None, typer.Option(help="The customer's reason (decline, counter).")] = None,
    amount: Annotated[str | None, typer.Option(help="The customer's counter-offer amount.")] = None,
    by: OptionalStaff = None,
    request_id: RequestId = None,
) -> None:
    """Record the customer's answer to the offer (e.g. given by phone)."""
    action = build(
        OfferResponse,
        {"answer": answer, "reason": reason, "counter_amount": amount, "recorded_by": by},
        {"counter_amount": "--amount", "recorded_by": "--by"},
    )
    _act(reference, action, request_id)


@acting.command()
def payout(
    reference: ComplaintRef,
    action: Annotated[PayoutAction, typer.Argument(help="What to do about the refused payout.", show_default=False)],
    by: Staff,
    note: Annotated[str | None, typer.Option(help="What was fixed, or how the customer was paid.")] = None,
    request_id: RequestId = None,
) -> None:
    """After the payment system refused a payout: retry it, or record it as settled elsewhere."""
    _act(reference, build(PayoutResolution, {"action": action, "by": by, "note": note or ""}, {}), request_id)


@acting.command()
def reopen(
    reference: ComplaintRef,
    reason: Annotated[str, typer.Option(help="Why the customer is not satisfied.", show_default=False)],
    by: OptionalStaff = None,
    request_id: RequestId = None,
) -> None:
    """Reopen a resolved complaint (within the reopen window): back to investigation."""
    _act(reference, build(Reopen, {"reason": reason, "recorded_by": by}, {"recorded_by": "--by"}), request_id)


@acting.command()
def feedback(
    reference: ComplaintRef,
    csat: Annotated[int, typer.Option(help="Customer satisfaction, 1 to 5.", show_default=False)],
    comment: Annotated[str | None, typer.Option(help="The customer's comment.")] = None,
    request_id: RequestId = None,
) -> None:
    """Record the customer's survey answer."""
    _act(reference, build(Feedback, {"csat": csat, "comment": comment}), request_id)


@acting.command()
def reassign(
    reference: ComplaintRef,
    to: Annotated[str, typer.Option("--to", help="Staff id of the new owner.", show_default=False)],
    brief: Annotated[str, typer.Option(help="Hand-over brief, so the customer never repeats anything.")],
    by: OptionalStaff = None,
    request_id: RequestId = None,
) -> None:
    """Hand the complaint to someone else, with a brief."""
    _act(
        reference,
        build(Reassignment, {"to_staff_id": to, "brief": brief, "by": by}, {"to_staff_id": "--to", "by": "--by"}),
        request_id,
    )


@acting.command()
def note(
    reference: ComplaintRef,
    text: Annotated[str, typer.Argument(help="The note.", show_default=False)],
    by: Staff,
    request_id: RequestId = None,
) -> None:
    """Add a note to the complaint's timeline."""
    _act(reference, build(Note, {"author": by, "text": text}, {"author": "--by"}), request_id)


@acting.command()
def withdraw(
    reference: ComplaintRef,
    reason: Annotated[str | None, typer.Option(help="Why it is withdrawn.")] = None,
    by: OptionalStaff = None,
    request_id: RequestId = None,
) -> None:
    """Withdraw the complaint on the customer's behalf."""
    _act(reference, build(Withdrawal, {"reason": reason, "recorded_by": by}, {"recorded_by": "--by"}), request_id)


@acting.command()
def ask(
    reference: ComplaintRef,
    questions: Annotated[str, typer.Option(help="What we need from the customer (only what we don't have).")],
    by: Staff,
    request_id: RequestId = None,
) -> None:
    """Ask the customer for information; the case clock pauses until they reply."""
    _act(reference, build(InformationRequest, {"by": by, "questions": questions}, {}), request_id)


@acting.command()
def message(
    reference: ComplaintRef,
    text: Annotated[str, typer.Argument(help="What the customer said, in their words.", show_default=False)],
    channel: Annotated[str, typer.Option(help="How it reached us (phone, letter, e-mail).")] = "phone",
    message_id: Annotated[str | None, typer.Option(help="An id, so recording it twice records it once.")] = None,
    request_id: RequestId = None,
) -> None:
    """Record a message from the customer (for example a phone call): the owner is told."""
    _act(
        reference, build(CustomerMessage, {"text": text, "channel": channel, "message_id": message_id}, {}), request_id
    )


@acting.command()
def contact(
    reference: ComplaintRef,
    by: Staff,
    email: Annotated[str | None, typer.Option(help="The customer's corrected e-mail address.")] = None,
    channel: Annotated[
        ContactChannel | None, typer.Option(help="Or reach them another way: the owner delivers each message.")
    ] = None,
    note: Annotated[str | None, typer.Option(help="How the address was checked.")] = None,
    request_id: RequestId = None,
) -> None:
    """After our mail to the customer was refused: a corrected address, or another channel."""
    values = {"by": by, "email": email, "channel": channel, "note": note or ""}
    _act(reference, build(ContactCorrection, values, {"email": "--email", "channel": "--channel"}), request_id)


@acting.command()
def priority(
    reference: ComplaintRef,
    level: Annotated[
        Priority, typer.Argument(metavar="PRIORITY", help="The new priority; it must be higher.", show_default=False)
    ],
    by: Staff,
    reason: Annotated[str, typer.Option(help="Why it is more urgent now, for the timeline.", show_default=False)],
    request_id: RequestId = None,
) -> None:
    """Raise the priority: every SLA clock takes the shorter targets from its own start."""
    _act(
        reference,
        build(PriorityRaise, {"priority": level, "by": by, "reason": reason}, {"priority": "PRIORITY"}),
        request_id,
    )


@acting.command()
def resume(
    reference: ComplaintRef,
    by: Staff,
    note: Annotated[str | None, typer.Option(help="What was done about the problem.")] = None,
    request_id: RequestId = None,
) -> None:
    """After a problem that needed a person (see `admin doctor`): let the case go on."""
    _act(reference, build(Resumption, {"by": by, "note": note or ""}, {}), request_id)
