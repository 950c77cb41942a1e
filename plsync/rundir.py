"""A run directory: each stage writes its results there as JSON; reports read only from there. A file with a
record in the contract (plsync/records/files.py) is written and read only through it: ``write_record`` /
``read_record``; ``write_json`` is for files outside the contract (logs, comparisons)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from plsync.records import RUN_FILES, RunFile


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

    def write_record(self, file: RunFile[Any], value: Any) -> Path:
        """Write ``value`` (records, or what they validate from) as ``file``, with its schema version."""
        target = self.path / file.filename
        target.write_text(json.dumps(file.encode(to_jsonable(value)), indent=2, sort_keys=False) + "\n")
        return target

    def read_record(self, file: RunFile[Any]) -> Any:
        """``file``'s records (one, or a list for a list file), upgraded from an older schema if need be."""
        target = self.path / file.filename
        return file.decode(json.loads(target.read_text()), str(target))

    def write_json(self, name: str, payload: Any) -> Path:
        _outside_contract(name)
        target = self.path / f"{name}.json"
        target.write_text(json.dumps(to_jsonable(payload), indent=2, sort_keys=False) + "\n")
        return target

    def read_json(self, name: str) -> Any:
        _outside_contract(name)
        return json.loads((self.path / f"{name}.json").read_text())

    def has(self, file: RunFile[Any] | str) -> bool:
        name = file if isinstance(file, str) else file.name
        return (self.path / f"{name}.json").exists()


def _outside_contract(name: str) -> None:
    if name in RUN_FILES:
        raise TypeError(f"{name}.json has a record in the run directory's contract: use write_record/read_record")
