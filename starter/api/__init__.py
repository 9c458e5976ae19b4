"""The HTTP intake API: other systems open complaints, pass on what customers send, flag urgency (`complaints api`)."""

from starter.api.app import create_app, serve
from starter.api.guards import ApiConfigError, ApiKeys

__all__ = ["ApiConfigError", "ApiKeys", "create_app", "serve"]
