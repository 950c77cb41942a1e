"""A simple bearer-token scheme: ``<user id>.<role>.<HMAC of both>``.

The role travels in the signed token (as a JWT claim would), so authorising a request costs no
database round trip; a role change takes effect with the next token issued.
"""

from __future__ import annotations

import hashlib
import hmac

from system.errors import AccessDeniedError
from system.models import ROLES


def _signature(user_id: int, role: str, secret: str) -> str:
    return hmac.new(secret.encode(), f"{user_id}.{role}".encode(), hashlib.sha256).hexdigest()[:32]


def issue_token(user_id: int, secret: str, role: str = "student") -> str:
    if role not in ROLES:
        raise AccessDeniedError(f"unknown role {role!r}")
    return f"{user_id}.{role}.{_signature(user_id, role, secret)}"


def verify_token(token: str, secret: str) -> tuple[int, str]:
    """(user id, role) of a genuine token; AccessDeniedError when it is malformed or forged."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or parts[1] not in ROLES:
        raise AccessDeniedError("malformed bearer token")
    user_id, role, signature = int(parts[0]), parts[1], parts[2]
    if not hmac.compare_digest(signature, _signature(user_id, role, secret)):
        raise AccessDeniedError("invalid bearer token")
    return user_id, role
