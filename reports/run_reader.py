"""Read a run directory: the only way reports see a run (its JSON files, nothing else)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from system.errors import NotFoundError


class RunReader:
    def __init__(self, path: Path) -> None:
        if not path.is_dir():
            raise NotFoundError(f"no run directory at {path}")
        self.path = path

    def has(self, name: str) -> bool:
        return (self.path / f"{name}.json").exists()

    def read_json(self, name: str) -> Any:
        target = self.path / f"{name}.json"
        try:
            return json.loads(target.read_text())
        except FileNotFoundError:
            raise NotFoundError(f"the run {self.path} has no {name}.json") from None
        except json.JSONDecodeError as exc:
            raise NotFoundError(f"{target} is not valid JSON ({exc.msg} at line {exc.lineno})") from None

    def get(self, name: str, default: Any = None) -> Any:
        return self.read_json(name) if self.has(name) else default
