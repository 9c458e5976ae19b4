"""Activities: every side effect of a complaint (rules, e-mail, payouts, records)."""

from activities.complaint_activities import ComplaintActivities

__all__ = ["ComplaintActivities"]
