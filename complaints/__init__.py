"""Complaintflow's pure domain: models, policy, rules, calendars, templates. No Temporal, no environment."""
