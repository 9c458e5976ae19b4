"""`complaints dev` (what `make run` calls): the whole system on one machine, in one terminal.

Starts the Temporal dev server (SQLite file, WAL), the SMTP sink, a worker and the HTTP
intake API as child processes, each in its own process group so Ctrl-C reaches only this supervisor, which then
stops them in a safe order: worker first (it finishes running activities), then the sink,
then the server. The data lives in `--data-dir` (default `.data`), so running it again
resumes the same complaints. Once everything is ready it submits `examples/complaint.json`
(idempotently) and prints how to move that complaint to Closed.

The parts: `supervisor` (the run: bring up, wait, stop in order), `stack` (what runs: server,
sink, worker, API), `processes` (child processes and their output), `guide` (what to try
next), `mailsink` (the local SMTP server), `config` (ports, files, time limits).
"""

from starter.dev.config import SQLITE_WAL_FLAGS

__all__ = ["SQLITE_WAL_FLAGS"]
