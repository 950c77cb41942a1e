"""What the API accepts: path and query parameters and request bodies, bounded at the edge.

The bounds are the database's (ids and amounts are PostgreSQL integers, specialization ids 32 characters)
and text is plain Unicode without NUL. The services keep their own checks (negative amounts, a level
past the specialization's max read from the database): one code path, this is only the first gate.
Numbers and booleans mean what JSON Schema says: an integer is a number without a fraction (5 or 5.0), never
``true`` or ``"5"``, and only ``false`` is false (``"no"`` is not ``dry_run: false``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from system.services.types import Direction

INT32_MAX = 2_147_483_647
#: Specialization ids: PLAYER, COACH, INTERNSHIP... (the database holds the list; unknown ones get 404).
SPECIALIZATION_PATTERN = r"^[A-Za-z0-9_]+$"
SPECIALIZATION_MAX = 32
#: Any text but NUL, which PostgreSQL cannot store (lone surrogates are refused by pydantic itself).
TEXT_PATTERN = r"^[^\x00]*$"
REASON_MAX = 500

UserId = Annotated[int, Path(ge=1, le=INT32_MAX, description="A user's id (a PostgreSQL integer)")]
SpecializationId = Annotated[str, Path(min_length=1, max_length=SPECIALIZATION_MAX, pattern=SPECIALIZATION_PATTERN,
                                       description="A specialization id: PLAYER, COACH, INTERNSHIP...")]
SpecializationFilter = Annotated[str | None, Query(min_length=1, max_length=SPECIALIZATION_MAX,
                                                   pattern=SPECIALIZATION_PATTERN,
                                                   description="Only this specialization")]



def json_integer(value: object) -> object:
    """Let only JSON numbers through to pydantic's int, which then refuses a fraction (5.5) or infinity."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be an integer, not a boolean or a string")
    return value


# Field before the validator: the other way round pydantic leaves the bounds out of the JSON schema.
Amount = Annotated[int, Field(ge=0, le=INT32_MAX, description="Added to the student's total"),
                   BeforeValidator(json_integer)]
Level = Annotated[int, Field(ge=1, le=INT32_MAX, description="1 to the specialization's max_levels (checked "
                                                             "against the database)"),
                  BeforeValidator(json_integer)]
Reason = Annotated[str, Field(max_length=REASON_MAX, pattern=TEXT_PATTERN,
                              description="Recorded in the audit log and license progressions")]
SpecializationName = Annotated[str, Field(min_length=1, max_length=SPECIALIZATION_MAX,
                                          pattern=SPECIALIZATION_PATTERN)]
DryRun = Annotated[bool, Field(strict=True, description="Only report the plan (the default): bulk changes happen "
                                                        "only when false is sent explicitly")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not silently ignored


class LevelUpBody(Body):
    xp: Amount
    sessions: Amount = 0
    theory_hours: Amount = 0
    practice_hours: Amount = 0
    reason: Reason = "api level-up"


class AdvanceLicenseBody(Body):
    target_level: Level
    reason: Reason = "api license advance"


class SyncUserBody(Body):
    specialization: SpecializationName
    direction: Direction = Direction.PROGRESS_TO_LICENSE


class SyncAllSpecializationsBody(Body):
    direction: Direction = Direction.PROGRESS_TO_LICENSE


class BulkSyncBody(Body):
    direction: Direction = Direction.PROGRESS_TO_LICENSE
    dry_run: DryRun = True
