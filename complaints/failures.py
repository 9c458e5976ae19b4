"""The failure types the workflow and the activities agree on, named once.

Temporal carries a failure across the activity boundary as an `ApplicationError` with a
string `type`; both sides import these names, so neither can drift from the other.
"""

from __future__ import annotations

from typing import Final

REFUSED: Final = "Refused"
"""An update's validator said no: the reason is shown verbatim to the caller."""

PAYOUT_REFUSED: Final = "PayoutRefused"
"""The finance system refused a payout for good; staff decide what happens next."""

PERMANENT_DELIVERY_FAILURE: Final = "PermanentDeliveryFailure"
"""The mail server refused a message for good (e.g. 5xx for the address)."""

TEMPORARY_DELIVERY_FAILURE: Final = "TemporaryDeliveryFailure"
"""Not delivered yet (e.g. 4xx or the server is down): the activity retries."""

TEMPLATE_ERROR: Final = "TemplateError"
"""A message could not be rendered; retrying cannot fix it."""

INVALID_RULES: Final = "InvalidRules"
"""The rules file is missing or invalid; retrying cannot fix it."""
