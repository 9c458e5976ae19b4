"""structlog over the standard library, so SDK, workflow and activity logs share one format.

The SDK's workflow/activity loggers attach `temporal_workflow` / `temporal_activity` to
each record (and the workflow logger stays silent during replay, so nothing is logged
twice); `_add_temporal_context` lifts the complaint id and friends onto every line.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog
import temporalio.activity
import temporalio.workflow
from structlog.typing import EventDict, WrappedLogger

from complaints.intake import WORKFLOW_ID_PREFIX

# The SDK's context dicts: lifted into flat fields below, never printed whole.
_SDK_EXTRAS = ("temporal_workflow", "temporal_activity", "workflow_info", "activity_info")


def _add_temporal_context(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    for key in _SDK_EXTRAS:
        event.pop(key, None)
    record = event.get("_record")
    workflow_info: dict[str, Any] = getattr(record, "temporal_workflow", None) or {}
    activity_info: dict[str, Any] = getattr(record, "temporal_activity", None) or {}
    workflow_id = workflow_info.get("workflow_id") or activity_info.get("workflow_id")
    if workflow_id:
        event.setdefault("complaint_id", str(workflow_id).removeprefix(WORKFLOW_ID_PREFIX))
        event.setdefault("workflow_id", workflow_id)
        event.setdefault("run_id", workflow_info.get("run_id") or activity_info.get("workflow_run_id"))
    if activity_info:
        event.setdefault("activity", activity_info.get("activity_type"))
        event.setdefault("attempt", activity_info.get("attempt"))
    return event


def configure_logging(fmt: str = "console", level: str = "INFO") -> None:
    # The SDK would also paste its context dict into every message; we add it as fields.
    temporalio.workflow.logger.workflow_info_on_message = False
    temporalio.activity.logger.activity_info_on_message = False
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),  # `extra={...}` of standard-library calls become fields
        _add_temporal_context,
    ]
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
