"""The rules file as the worker reads it: parsed and validated again only when it changed.

Every case reads the rules at receipt (and pins them). Parsing the TOML and validating it was 4 %
of the worker's CPU under load (`benchmarks/RESULTS.md`), for a file that changes a few times a
year. Each file read (the rules file and the files it extends) is remembered with its size and
modification time; any change on disk is read at the next case.
"""

from __future__ import annotations

from pathlib import Path

from complaints.rules import CaseRules, load_rules

Signature = tuple[tuple[str, int, int], ...]


def _signature(files: list[Path]) -> Signature:
    stats = [(str(path), path.stat()) for path in files]
    return tuple((name, stat.st_mtime_ns, stat.st_size) for name, stat in stats)


class RulesFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._files: list[Path] = []
        self._signature: Signature = ()
        self._rules: CaseRules | None = None

    def load(self) -> CaseRules:
        """The rules; raises as `load_rules` does (missing file, bad TOML, invalid rules)."""
        if self._rules is not None:
            try:
                if _signature(self._files) == self._signature:
                    return self._rules
            except OSError:
                pass  # gone or unreadable now: read again, and raise what that raises
        files: list[Path] = []
        rules = load_rules(self.path, files)
        self._files, self._signature, self._rules = files, _signature(files), rules
        return rules
