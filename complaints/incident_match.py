"""Which open incident a complaint is about, when the customer did not say.

A customer who complains about an outage rarely knows its incident id. The intake matches
their complaint to an open incident by the incident's own terms: the category is one it hit,
the product (when the incident names products) is one of them, and the complaint came in
while it lasted or within `within` after it ended. Then the complaint joins the incident, as
if it had named it: one customer and one incident make one case.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from pydantic import BaseModel

from complaints.incident import IncidentDeclaration
from complaints.intake import ComplaintInput


class IncidentMatch(BaseModel):
    """The incident a complaint was matched to, and why, in words staff and the caller read."""

    incident_id: str
    reason: str


def match_incident(
    complaint: ComplaintInput,
    incidents: Iterable[IncidentDeclaration],
    received_at: datetime,
    within: timedelta,
) -> IncidentMatch | None:
    """The open incident this complaint is about, or None.

    When several fit, the one that names the complaint's product wins over one that hits every
    product, then the one that started last (the customer most likely means the latest), then
    the smaller id, so the same complaint always goes to the same incident.
    """
    fitting = [incident for incident in incidents if _fits(complaint, incident, received_at, within)]
    if not fitting:
        return None
    best = min(fitting, key=lambda incident: (not incident.products, -incident.started_at.timestamp(), incident.id))
    return IncidentMatch(incident_id=best.id, reason=_why(complaint, best))


def _fits(complaint: ComplaintInput, incident: IncidentDeclaration, received_at: datetime, within: timedelta) -> bool:
    if complaint.category not in incident.categories:
        return False
    if incident.products and complaint.product not in incident.products:
        return False
    if received_at < incident.started_at:
        return False
    return incident.ended_at is None or received_at <= incident.ended_at + within


def _why(complaint: ComplaintInput, incident: IncidentDeclaration) -> str:
    hit = f"category {complaint.category.value}"
    if incident.products:
        hit += f" and product {complaint.product}"
    when = "still ongoing" if incident.ended_at is None else f"ended {incident.ended_at:%Y-%m-%d %H:%M %Z}"
    return f"matched to incident {incident.id} ({incident.title}; {when}) by its {hit}"
