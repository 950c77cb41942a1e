"""Tokens an attacker could make: other secrets, the old constant, ``alg: none``, tampered claims."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import warnings
from typing import Any

import jwt

from system.api.tokens import ISSUER

OLD_CONSTANT = "plsync-development-secret"  # the secret the source once held: it must open nothing


def claims(user_id: int, role: str, **override: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ISSUER, "sub": str(user_id), "role": role, "iat": now, "exp": now + 600} | override


def signed(payload: dict[str, Any], secret: str | bytes, algorithm: str = "HS256") -> str:
    with warnings.catch_warnings():  # short keys are the point of some forgeries
        warnings.simplefilter("ignore")
        return jwt.encode(payload, secret, algorithm=algorithm)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_signed(payload: dict[str, Any], secret: str) -> str:
    """HS256 over any JSON payload, even claims PyJWT would refuse to encode (a non-string issuer...)."""
    signing_input = f"{b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}.{b64(json.dumps(payload).encode())}"
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def unsigned(payload: dict[str, Any]) -> str:
    """``alg: none``: no signature at all."""
    return f"{b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{b64(json.dumps(payload).encode())}."


def old_format(user_id: int, role: str, secret: str = OLD_CONSTANT) -> str:
    """The token format the API once accepted: ``<id>.<role>.<HMAC>``."""
    signature = hmac.new(secret.encode(), f"{user_id}.{role}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{user_id}.{role}.{signature}"


def tampered(token: str, **override: Any) -> str:
    """A genuine token whose payload is rewritten, keeping the original signature."""
    header, payload, signature = token.split(".")
    padded = payload + "=" * (-len(payload) % 4)
    data = json.loads(base64.urlsafe_b64decode(padded)) | override
    return f"{header}.{b64(json.dumps(data).encode())}.{signature}"


def forgeries(user_id: int, secret: str, genuine_student_token: str) -> dict[str, str]:
    """Every forgery of an admin token for ``user_id`` that the API must refuse with 401."""
    other = "another secret, just as long as the real one!"
    now = int(time.time())
    return {
        "old constant, old format": old_format(user_id, "admin"),
        "old constant, HS256 JWT": signed(claims(user_id, "admin"), OLD_CONSTANT),
        "another secret": signed(claims(user_id, "admin"), other),
        "alg none": unsigned(claims(user_id, "admin")),
        "HS512 with the right secret": signed(claims(user_id, "admin"), secret, "HS512"),
        "expired": signed(claims(user_id, "admin", iat=now - 7200, exp=now - 3600), secret),
        "issued in the future": signed(claims(user_id, "admin", iat=now + 3600, exp=now + 7200), secret),
        "wrong issuer": signed(claims(user_id, "admin", iss="someone-else"), secret),
        "no expiry": signed({k: v for k, v in claims(user_id, "admin").items() if k != "exp"}, secret),
        "no issuer": signed({k: v for k, v in claims(user_id, "admin").items() if k != "iss"}, secret),
        "numeric subject": signed(claims(user_id, "admin", sub=user_id), secret),
        "subject past int4": signed(claims(user_id, "admin", sub="3000000000"), secret),
        "unknown role": signed(claims(user_id, "superuser"), secret),
        "student token rewritten to admin": tampered(genuine_student_token, role="admin", sub=str(user_id)),
        "signature stripped": genuine_student_token.rsplit(".", 1)[0] + ".",
        "malformed": "not-a-token",
        "empty segments": "..",
        "non-ASCII": "é.é.é",
        "huge": "a" * 100_000,
    }
