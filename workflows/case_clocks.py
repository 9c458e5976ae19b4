"""The case's clocks: paused while we wait on the customer, resumed when they reply.

Every pause and resume is in the timeline with who and why, so a pause cannot be opened
and closed quietly to game the clock.
"""

from __future__ import annotations

from workflows.case_messaging import CaseMessaging


class CaseClocks(CaseMessaging):
    def _customer_clock_paused(self, why: str, by: str) -> None:
        self._record("clock paused", why, actor=by)
        self._publish()

    def _customer_clock_resumed(self, why: str, by: str) -> None:
        self._record("clock resumed", why, actor=by)
        self._publish()
