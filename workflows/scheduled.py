"""What a workflow started by a Temporal Schedule knows of its schedule: the time it was meant to start.

The scheduler sets `TemporalScheduledStartTime` (the nominal time) on every run it starts, a
caught-up run and a triggered one included; it is in the run's first event, so reading it is
deterministic. A run started by hand has none and uses its own start.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow
from temporalio.common import SearchAttributeKey

SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")


def nominal_time() -> datetime:
    scheduled = workflow.info().typed_search_attributes.get(SCHEDULED_START)
    return scheduled if scheduled is not None else workflow.now()
