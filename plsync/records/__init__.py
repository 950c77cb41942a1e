"""The run directory's contract: a typed record for every file a run writes, with a schema version, and one
encoder/decoder (``RunFile.encode`` / ``RunFile.decode``) with an upgrade path for older versions.

Layout: ``base`` (the machinery), one module of records per stage (``run``, ``strategies``, ``recovery``,
``swarms``, ``scenarios``, ``benchmarks``, ``soak``), ``stability`` (pyperf's rule for "unstable") and ``files``
(every run file: the one place to declare a new one). It imports only the standard library and pydantic.
"""

from plsync.records.base import Record, RunFile, SchemaError, field_type, read_path
from plsync.records.files import RUN_FILES, run_file

__all__ = ["RUN_FILES", "Record", "RunFile", "SchemaError", "field_type", "read_path", "run_file"]
