"""Read a run directory: the only way reports see a run. Every file with a record in the contract is decoded
through it (plsync/records/): reports read typed records, upgraded from older schema versions, never loose
JSON; a file of a version this code cannot read is refused in one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from plsync.records import RunFile, SchemaError
from system.errors import ConfigurationError, NotFoundError


class RunReader:
    def __init__(self, path: Path) -> None:
        if not path.is_dir():
            raise NotFoundError(f"no run directory at {path}")
        self.path = path
        self._cache: dict[str, Any] = {}

    def has(self, file: RunFile[Any]) -> bool:
        return (self.path / file.filename).exists()

    def load(self, file: RunFile[Any]) -> Any:
        """``file``'s records: one record, or a list of them for a list file."""
        if file.name not in self._cache:
            target = self.path / file.filename
            try:
                payload = json.loads(target.read_text())
            except FileNotFoundError:
                raise NotFoundError(f"the run {self.path} has no {file.filename}") from None
            except json.JSONDecodeError as exc:
                raise NotFoundError(f"{target} is not valid JSON ({exc.msg} at line {exc.lineno})") from None
            try:
                self._cache[file.name] = file.decode(payload, str(target))
            except SchemaError as exc:
                raise ConfigurationError(str(exc)) from exc
        return self._cache[file.name]

    def get(self, file: RunFile[Any], default: Any = None) -> Any:
        return self.load(file) if self.has(file) else default

    def extra_json(self, relative: str) -> Any | None:
        """A file outside the contract that a run may hold beside its records (pytest-benchmark's own JSON),
        or None."""
        target = self.path / relative
        return json.loads(target.read_text()) if target.exists() else None
