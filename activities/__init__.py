"""Activities: every side effect of a complaint (rules, e-mail, payouts, records).

`ComplaintActivities` is imported on first use, so a process that needs one small module of
this package (the CLI's `admin doctor` needs activities.doctor) does not load them all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from activities.complaint_activities import ComplaintActivities

__all__ = ["ComplaintActivities"]


def __getattr__(name: str) -> Any:
    if name == "ComplaintActivities":
        from activities.complaint_activities import ComplaintActivities

        return ComplaintActivities
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
