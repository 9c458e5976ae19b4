"""Where the local stack listens, what it reads, and how long each part may take to start and stop."""

from __future__ import annotations

from typing import Final

from infra.settings import PROJECT_ROOT

TEMPORAL_PORT: Final = 7233
UI_PORT: Final = 8233
SMTP_PORT: Final = 1025
API_PORT: Final = 8000
# The local intake API's key when COMPLAINTS_API_KEYS is not set: loopback only, printed by the guide.
DEV_API_KEYS: Final = '{"dev": "dev-key"}'
API_READY_WITHIN: Final = 30.0
NAMESPACE: Final = "default"
EXAMPLE: Final = PROJECT_ROOT / "examples" / "complaint.json"
DEMO_RULES: Final = PROJECT_ROOT / "config" / "demo.toml"
# A dev server on a SQLite file is ~3x faster in WAL mode (TEMPORAL_NOTES.md); tests and benchmarks use it too.
SQLITE_WAL_FLAGS: Final = ("--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal")

SERVER_READY_WITHIN: Final = 60.0
SINK_READY_WITHIN: Final = 15.0
WORKER_READY_WITHIN: Final = 60.0
WORKER_STOP_WITHIN: Final = 20.0  # the worker's graceful shutdown is 10 s
SINK_STOP_WITHIN: Final = 5.0
SERVER_STOP_WITHIN: Final = 15.0

EXIT_OK: Final = 0
EXIT_CHILD_DIED: Final = 1
EXIT_CANNOT_START: Final = 4
