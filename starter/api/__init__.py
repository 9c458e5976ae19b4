"""The HTTP intake API: other systems open complaints and pass on what customers send (`complaints api`)."""

from starter.api.app import create_app, serve
from starter.api.guards import ApiConfigError, ApiKeys

__all__ = ["ApiConfigError", "ApiKeys", "create_app", "serve"]
