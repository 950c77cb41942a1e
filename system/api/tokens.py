"""Bearer tokens: HS256 JWTs (PyJWT) naming a user and a role, with an issuer and a short lifetime.

The only place that signs or reads a token: the API verifies with it, and every client (``plsync serve``
printing the operator's token, the Locust HTTP users, the tests) mints with it. A token proves only
that someone holding the secret vouched for (user, role) until ``exp``; the API still checks that the
user exists and holds that role (system.api.callers).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import jwt
from cachetools import LRUCache

from system.config import API_SECRET_MIN_BYTES
from system.errors import AuthenticationError, ConfigurationError
from system.models import ROLES

ISSUER = "plsync-api"
ALGORITHM = "HS256"
#: A JWT of our four claims is ~200 characters; anything far longer is not one of ours.
MAX_TOKEN_CHARS = 2048
MAX_USER_ID = 2_147_483_647  # PostgreSQL integer
REQUIRED_CLAIMS = ["exp", "iat", "iss", "sub", "role"]
#: The subject exactly as ``issue`` writes it: no sign, no leading zero, no padding ("01" is not user 1).
_CANONICAL_ID = re.compile(r"[1-9][0-9]{0,9}")


@dataclass(frozen=True)
class Identity:
    """Who a genuine token says the caller is."""

    user_id: int
    role: str


@dataclass(frozen=True)
class TokenCodec:
    """Issue and verify tokens with one secret. ``leeway_s`` forgives clock skew between hosts."""

    secret: str = field(repr=False)
    ttl_s: float = 900.0
    leeway_s: float = 5.0

    def __post_init__(self) -> None:
        if len(self.secret.encode()) < API_SECRET_MIN_BYTES:
            raise ConfigurationError(f"the token secret must be at least {API_SECRET_MIN_BYTES} bytes long")
        if self.ttl_s <= 0 or self.leeway_s < 0:
            raise ConfigurationError("token lifetime must be positive and leeway non-negative")

    def issue(self, user_id: int, role: str, *, ttl_s: float | None = None, now: float | None = None) -> str:
        if role not in ROLES:
            raise ConfigurationError(f"unknown role {role!r} (choose from {', '.join(ROLES)})")
        if not 1 <= user_id <= MAX_USER_ID:
            raise ConfigurationError(f"user id {user_id} is out of range")
        issued = int(time.time() if now is None else now)
        claims = {"iss": ISSUER, "sub": str(user_id), "role": role, "iat": issued,
                  "exp": issued + int(self.ttl_s if ttl_s is None else ttl_s)}
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> Identity:
        """The identity of a genuine, unexpired token of ours; AuthenticationError for anything else."""
        return self.verify_until(token)[0]

    def verify_until(self, token: str) -> tuple[Identity, float]:
        """``verify``, and until when (epoch seconds, leeway included) the token stays valid."""
        if not token or len(token) > MAX_TOKEN_CHARS or not token.isascii():
            raise AuthenticationError("malformed bearer token")
        try:
            # algorithms pins HS256: "none" and every other algorithm are refused before any claim is read.
            claims = jwt.decode(token, self.secret, algorithms=[ALGORITHM], issuer=ISSUER, leeway=self.leeway_s,
                                options={"require": REQUIRED_CLAIMS})
        except jwt.ExpiredSignatureError as exc:
            raise AuthenticationError("bearer token expired", cause=exc) from exc
        except jwt.InvalidIssuerError as exc:
            raise AuthenticationError("bearer token from another issuer", cause=exc) from exc
        except jwt.InvalidSignatureError as exc:
            raise AuthenticationError("bearer token signature is invalid", cause=exc) from exc
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"invalid bearer token: {exc}", cause=exc) from exc
        sub, role = claims["sub"], claims["role"]
        if not (isinstance(sub, str) and _CANONICAL_ID.fullmatch(sub) and int(sub) <= MAX_USER_ID) or role not in ROLES:
            raise AuthenticationError("bearer token names no valid user and role")
        return Identity(int(sub), role), float(claims["exp"]) + self.leeway_s


class VerifiedTokens:
    """Tokens already verified, remembered until they expire.

    A client sends the same token with every request until it renews it; checking its signature and
    claims each time cost about 7 % of the API's CPU for a level-up. Only the exact string once verified
    is found here, and it is dropped once past its ``exp`` (with the codec's leeway), when ``verify``
    would refuse it. Bounded (least recently used go first). Not thread-safe: the API's dependencies run
    on its event loop.
    """

    def __init__(self, codec: TokenCodec, *, maxsize: int = 10_000,
                 clock: Callable[[], float] = time.time) -> None:
        self.codec, self.clock = codec, clock
        self._known: LRUCache[str, tuple[Identity, float]] = LRUCache(maxsize=maxsize)

    def verify(self, token: str) -> Identity:
        known = self._known.get(token)
        if known is not None and self.clock() <= known[1]:
            return known[0]
        identity, valid_until = self.codec.verify_until(token)
        self._known[token] = identity, valid_until
        return identity
