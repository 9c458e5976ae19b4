"""Complaintflow: the shared domain vocabulary (models, policy, rules, settings)."""
