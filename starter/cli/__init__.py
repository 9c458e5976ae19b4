"""`complaints`: the command line for operations, staff and engineers (see `starter.cli.app`).

The console script is `starter.cli:main`; `python -m starter.cli` runs the same.
"""

from starter.cli.app import app, invoke, main

__all__ = ["app", "invoke", "main"]
