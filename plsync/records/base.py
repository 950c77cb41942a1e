"""The machinery of the run directory's contract: a record base, the run files that hold records, and the one
encoder/decoder every writer and reader goes through.

A run file is one JSON file of a run directory (``swarms.json``). Its ``RunFile`` names the record of what it
holds (one record, or a list of them), the schema version this code writes and the upgrades that bring an older
file up to it. The file on disk carries its version: an object file as a ``schema`` key beside its fields, a
list file as ``{"schema": N, "records": [...]}``. Files written before the contract had no version: they are
version 0 (an object without ``schema``, or a bare list).

This package imports nothing of the harness (only the standard library and pydantic), so every package of the
harness may import it.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

#: The key that carries a file's schema version.
SCHEMA_KEY = "schema"
#: A list file's items, beside its ``schema``.
RECORDS_KEY = "records"


class Record(BaseModel):
    """A frozen record of a run file. Unknown fields are refused: a producer that adds a field declares it here,
    where gates and reports can see it."""

    model_config = ConfigDict(frozen=True, extra="forbid")


R = TypeVar("R", bound=Record)
#: An upgrade takes the payload of version N (the file without its ``schema`` key, a list for a list file)
#: and returns the payload of version N + 1.
Upgrade = Callable[[Any], Any]


class SchemaError(ValueError):
    """A run file this code cannot read: another schema version with no upgrade, or content that does not fit
    its record. The message is one line a person can act on."""


@dataclass(frozen=True, eq=False)
class RunFile(Generic[R]):
    """One file of a run directory and the record it holds."""

    name: str
    record: type[R]
    #: True: the file holds a list of records (one per strategy, scenario cell, benchmark...).
    many: bool = False
    #: The version this code writes.
    version: int = 1
    #: ``upgrades[n]`` turns a version-n payload into a version n+1 one; every version from the oldest one
    #: readable to ``version - 1`` has one.
    upgrades: dict[int, Upgrade] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = [n for n in range(self.oldest, self.version) if n not in self.upgrades]
        if missing:
            raise TypeError(f"run file {self.name}: no upgrade from schema version(s) {missing}")

    @property
    def filename(self) -> str:
        return f"{self.name}.json"

    @property
    def oldest(self) -> int:
        """The oldest version this code reads (through its upgrades)."""
        return min(self.upgrades, default=self.version)

    # -- writing

    def encode(self, value: R | Sequence[R] | Any) -> dict[str, Any]:
        """The JSON payload of ``value`` (records, or anything the record validates from: a dataclass, a dict),
        validated against the record first: a producer cannot write what the contract does not declare."""
        if self.many:
            items = [self._validated(v) for v in value]
            return {SCHEMA_KEY: self.version, RECORDS_KEY: [i.model_dump(mode="json") for i in items]}
        return {SCHEMA_KEY: self.version, **self._validated(value).model_dump(mode="json")}

    def _validated(self, value: Any) -> R:
        if isinstance(value, self.record):
            return value
        try:
            return self.record.model_validate(value, from_attributes=True)
        except ValidationError as exc:
            raise SchemaError(f"{self.filename}: the producer's value does not fit {self.record.__name__}: "
                              f"{_first_error(exc)}") from exc

    # -- reading

    def decode(self, payload: Any, where: str = "") -> Any:
        """Records from a file's JSON payload, upgraded from an older version when needed. Returns one record,
        or a list of them for a list file."""
        where = where or self.filename
        version, body = self._split(payload, where)
        if version > self.version:
            raise SchemaError(f"{where} has schema version {version}; this plsync reads {self.name} up to version "
                              f"{self.version}: use a newer plsync")
        if version < self.oldest:
            raise SchemaError(f"{where} has schema version {version}; this plsync reads {self.name} from version "
                              f"{self.oldest}: re-record the run or use an older plsync")
        for step in range(version, self.version):
            body = self.upgrades[step](body)
        try:
            if self.many:
                return TypeAdapter(list[self.record]).validate_python(body)  # type: ignore[name-defined]
            return self.record.model_validate(body)
        except ValidationError as exc:
            raise SchemaError(f"{where} (schema {version}) does not fit {self.record.__name__}: "
                              f"{_first_error(exc)}") from exc

    def _split(self, payload: Any, where: str) -> tuple[int, Any]:
        if isinstance(payload, list):  # a list file from before the contract
            return 0, payload
        if not isinstance(payload, dict):
            raise SchemaError(f"{where} holds a JSON {type(payload).__name__}, not a {self.name} file")
        body = dict(payload)
        version = body.pop(SCHEMA_KEY, 0)
        if not isinstance(version, int):
            raise SchemaError(f"{where}: its schema version {version!r} is not a number")
        if self.many and version > 0:
            if set(body) != {RECORDS_KEY}:
                raise SchemaError(f"{where}: a list file holds only '{SCHEMA_KEY}' and '{RECORDS_KEY}'")
            return version, body[RECORDS_KEY]
        return version, body

    # -- what gates may read

    def has_field(self, path: str) -> bool:
        """Whether ``path`` (a field, or ``a.b`` into nested records) exists on this file's record."""
        return field_type(self.record, path) is not None


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(the record)"
    more = exc.error_count() - 1
    return f"{where}: {first['msg']}" + (f" (and {more} more)" if more else "")


def field_type(model: type[BaseModel], path: str) -> Any | None:
    """The annotation of the field ``path`` names (``a.b`` walks into nested records), or None when the
    record has no such field."""
    current: Any = model
    annotation: Any = None
    for part in path.split("."):
        record = _record_in(current)
        if record is None or part not in record.model_fields:
            return None
        annotation = record.model_fields[part].annotation
        current = annotation
    return annotation


def _record_in(annotation: Any) -> type[BaseModel] | None:
    """The record an annotation holds (``X``, ``X | None``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        found = [r for r in (_record_in(a) for a in get_args(annotation)) if r is not None]
        return found[0] if len(found) == 1 else None
    return None


def read_path(record: Any, path: str) -> Any:
    """The value at ``path`` (``a.b``) of a record; None when a nested record on the way is None."""
    value = record
    for part in path.split("."):
        if value is None:
            return None
        value = getattr(value, part)
    return value


__all__ = ["RECORDS_KEY", "SCHEMA_KEY", "Record", "RunFile", "SchemaError", "Upgrade", "field_type", "read_path"]
