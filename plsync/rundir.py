"""A run directory: each stage writes its results there as JSON; reports read only from there."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return value


class RunDirectory:
    def __init__(self, path: Path) -> None:
        self.path = path.resolve()  # children are handed this path: it must not depend on their cwd
        self.path.mkdir(parents=True, exist_ok=True)

    @classmethod
    def create(cls, root: Path, label: str) -> RunDirectory:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = root / f"{stamp}-{label}"
        suffix = 1
        while path.exists():
            suffix += 1
            path = root / f"{stamp}-{label}-{suffix}"
        return cls(path)

    def write_json(self, name: str, payload: Any) -> Path:
        target = self.path / f"{name}.json"
        target.write_text(json.dumps(to_jsonable(payload), indent=2, sort_keys=False) + "\n")
        return target

    def read_json(self, name: str) -> Any:
        return json.loads((self.path / f"{name}.json").read_text())

    def has(self, name: str) -> bool:
        return (self.path / f"{name}.json").exists()
