"""A simple bearer-token scheme: ``<user id>.<HMAC of the id>``; the role comes from the database."""

from __future__ import annotations

import hashlib
import hmac

from system.errors import AccessDeniedError


def _signature(user_id: int, secret: str) -> str:
    return hmac.new(secret.encode(), str(user_id).encode(), hashlib.sha256).hexdigest()[:32]


def issue_token(user_id: int, secret: str) -> str:
    return f"{user_id}.{_signature(user_id, secret)}"


def verify_token(token: str, secret: str) -> int:
    """The user id a token was issued to; AccessDeniedError when it is malformed or forged."""
    raw_id, _, signature = token.partition(".")
    if not raw_id.isdigit() or not signature:
        raise AccessDeniedError("malformed bearer token")
    user_id = int(raw_id)
    if not hmac.compare_digest(signature, _signature(user_id, secret)):
        raise AccessDeniedError("invalid bearer token")
    return user_id
