"""SQLAlchemy models of the schema in SPEC section 1. Constraints live in the migrations too."""

from system.models.audit import AuditLogEntry
from system.models.base import Base
from system.models.licenses import LicenseProgression, UserLicense
from system.models.progress import SpecializationProgress
from system.models.specializations import LevelRequirement, Specialization
from system.models.users import ROLES, User

__all__ = [
    "ROLES",
    "AuditLogEntry",
    "Base",
    "LevelRequirement",
    "LicenseProgression",
    "Specialization",
    "SpecializationProgress",
    "User",
    "UserLicense",
]
