"""Every table of the app database, in one metadata: what the migrations and their tests compare."""

from __future__ import annotations

from activities import archive_tables as archive_tables  # registers the case file tables on Base
from activities.db import Base

METADATA = Base.metadata
