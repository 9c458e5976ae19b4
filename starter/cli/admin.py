"""`complaints admin …`: the small admin script staff use on running complaints.

Looking (`admin_queues`: show, timeline, due, list, pending) and acting (`admin_actions`:
findings, approve, reject, …) are kept in two modules and served as one command group.
"""

from __future__ import annotations

import typer

from starter.cli.admin_actions import acting
from starter.cli.admin_doctor import doctoring
from starter.cli.admin_queues import looking
from starter.cli.common import EXIT_CODES_HELP

admin = typer.Typer(
    help=f"Staff actions on running complaints, and what they look like now.\n\n{EXIT_CODES_HELP}",
    no_args_is_help=True,
)
admin.add_typer(looking)
admin.add_typer(acting)
admin.add_typer(doctoring)
