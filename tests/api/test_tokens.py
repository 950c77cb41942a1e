"""The token verifier as properties (Hypothesis, fixed seed): it returns exactly the identity it was issued
for, and for anything else raises AuthenticationError, never another exception. And the caller cache."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, seed, settings
from hypothesis import strategies as st
from sqlalchemy import text

from fixtures.population import add_users
from system.api.callers import CallerDirectory
from system.api.tokens import ISSUER, MAX_USER_ID, Identity, TokenCodec, VerifiedTokens
from system.config import generate_api_secret
from system.db import Database
from system.errors import AuthenticationError, ConfigurationError
from system.models import ROLES
from tests.api.forge import hand_signed, signed, unsigned

SECRET = "a fixed secret for the properties, 32+ bytes long"
CODEC = TokenCodec(SECRET, ttl_s=900)
PROPERTIES = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
SEED = 1213

user_ids = st.integers(1, MAX_USER_ID)
roles = st.sampled_from(ROLES)
secrets_ = st.binary(min_size=32, max_size=64)
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                           max_leaves=6)


def refused(token: str) -> bool:
    try:
        CODEC.verify(token)
    except AuthenticationError:
        return True
    return False


@seed(SEED)
@PROPERTIES
@given(user_ids, roles)
def test_a_genuine_token_verifies_to_exactly_its_identity(user_id: int, role: str) -> None:
    assert CODEC.verify(CODEC.issue(user_id, role)) == Identity(user_id, role)


@seed(SEED)
@PROPERTIES
@given(user_ids, roles, secrets_)
def test_a_token_signed_with_any_other_secret_is_refused(user_id: int, role: str, other: bytes) -> None:
    assume(other != SECRET.encode())
    assert refused(signed({"iss": ISSUER, "sub": str(user_id), "role": role, "iat": int(time.time()),
                           "exp": int(time.time()) + 600}, other))


@seed(SEED)
@PROPERTIES
@given(st.text(max_size=300) | st.from_regex(r"\A[A-Za-z0-9_\-]{0,60}\.[A-Za-z0-9_\-]{0,60}\.[A-Za-z0-9_\-]{0,60}\Z"))
def test_arbitrary_text_is_refused_with_authentication_error_only(token: str) -> None:
    assert refused(token)


@seed(SEED)
@PROPERTIES
@given(user_ids, roles, st.data())
def test_no_change_to_a_genuine_token_yields_another_identity(user_id: int, role: str, data: st.DataObject) -> None:
    token = CODEC.issue(user_id, role)
    position = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.="))
    changed = token[:position] + replacement + token[position + 1:]
    try:
        identity = CODEC.verify(changed)
    except AuthenticationError:
        return
    # base64url's last character carries spare bits: a change there may decode to the same bytes.
    assert identity == Identity(user_id, role)


DELETE = object()


def corruptions() -> st.SearchStrategy[dict[str, Any]]:
    """Nothing changed (half the time), or some claims removed or replaced by anything JSON can hold."""
    def moment(low: int, high: int) -> st.SearchStrategy[int]:
        return st.integers(low, high).map(lambda delta: int(time.time()) + delta)

    bad = {"iss": st.just("someone-else") | json_values, "sub": st.sampled_from(["0", "-1", "3000000000", "1e3", "01",
                                                                              " 1", "+1"])
           | st.text("0123456789 ") | json_values, "role": st.just("superuser") | json_values,
           "iat": moment(60, 10**6) | json_values, "exp": moment(-10**6, -60) | json_values,
           "nbf": moment(60, 10**6)}
    return st.just({}) | st.fixed_dictionaries({}, optional={k: st.just(DELETE) | v for k, v in bad.items()})


def test_a_correctly_signed_token_is_accepted_only_with_well_formed_claims() -> None:
    outcomes = {"accepted": 0, "refused": 0}

    @seed(SEED)
    @PROPERTIES
    @given(user_ids, roles, corruptions(), st.booleans())
    def check(user_id: int, role: str, changes: dict[str, Any], alg_none: bool) -> None:
        now = time.time()
        claims = {"iss": ISSUER, "sub": str(user_id), "role": role, "iat": int(now), "exp": int(now) + 600}
        claims = {k: v for k, v in (claims | changes).items() if v is not DELETE}
        token = unsigned(claims) if alg_none else hand_signed(claims, SECRET)
        try:
            identity = CODEC.verify(token)
        except AuthenticationError:
            outcomes["refused"] += 1
            return
        outcomes["accepted"] += 1
        numeric = (int, float)
        assert not alg_none
        assert claims["iss"] == ISSUER and claims["role"] in ROLES and claims["sub"] == str(identity.user_id)
        assert isinstance(claims["exp"], numeric) and claims["exp"] > now - CODEC.leeway_s
        assert isinstance(claims["iat"], numeric) and claims["iat"] <= now + CODEC.leeway_s
        assert identity == Identity(int(claims["sub"]), claims["role"])  # a "corrupted" sub may be valid too

    check()
    assert outcomes["accepted"] and outcomes["refused"], outcomes  # both sides of the property were exercised


def test_expired_and_wrongly_issued_tokens_say_why() -> None:
    past = time.time() - 3600
    with pytest.raises(AuthenticationError, match="expired"):
        CODEC.verify(CODEC.issue(1, "admin", now=past))
    assert CODEC.verify(CODEC.issue(1, "admin", now=time.time() - 900 - 2)) == Identity(1, "admin")  # leeway
    with pytest.raises(AuthenticationError, match="another issuer"):
        CODEC.verify(signed({"iss": "x", "sub": "1", "role": "admin", "iat": int(time.time()),
                             "exp": int(time.time()) + 60}, SECRET))
    with pytest.raises(AuthenticationError, match="signature"):
        CODEC.verify(TokenCodec(generate_api_secret()).issue(1, "admin"))


def test_weak_secrets_and_impossible_identities_are_refused_at_once() -> None:
    with pytest.raises(ConfigurationError, match="32 bytes"):
        TokenCodec("plsync-development-secret")
    with pytest.raises(ConfigurationError):
        CODEC.issue(0, "admin")
    with pytest.raises(ConfigurationError):
        CODEC.issue(1, "superuser")
    assert generate_api_secret() != generate_api_secret()


def test_caller_directory_caches_for_its_ttl_then_reads_again(db: Database) -> None:
    clock = [1000.0]
    directory = CallerDirectory(db, ttl_s=5, timer=lambda: clock[0])
    with db.transaction() as session:
        (uid,) = add_users(session, 1, seed=5, role="admin")
    directory.confirm(uid, "admin")
    with db.transaction() as session:
        session.execute(text("UPDATE users SET role = 'student' WHERE id = :u"), {"u": uid})
    directory.confirm(uid, "admin")  # still cached: the demotion is not seen yet ...
    clock[0] += 5.1
    with pytest.raises(AuthenticationError, match="is student"):  # ... and is once the entry expired
        directory.confirm(uid, "admin")
    with pytest.raises(AuthenticationError, match="does not exist"):
        directory.confirm(999_999, "admin")


def test_verified_tokens_remember_a_genuine_token_only_until_it_expires() -> None:
    class Counting:
        calls = 0

        def verify_until(self, token: str) -> tuple[Identity, float]:
            Counting.calls += 1
            return CODEC.verify_until(token)

    clock = [time.time()]
    known = VerifiedTokens(Counting(), maxsize=2, clock=lambda: clock[0])  # type: ignore[arg-type]
    token = CODEC.issue(7, "student", ttl_s=60)
    assert known.verify(token) == known.verify(token) == Identity(7, "student")
    assert Counting.calls == 1  # the second came from memory
    clock[0] += 60 + CODEC.leeway_s + 1  # past exp and the leeway: checked again, as if never seen
    known.verify(token)
    assert Counting.calls == 2
    expired = CODEC.issue(7, "student", now=time.time() - 900 - CODEC.leeway_s - 1)
    forged = TokenCodec(generate_api_secret()).issue(7, "student")
    for _ in range(2):  # a refused token is never remembered
        with pytest.raises(AuthenticationError, match="expired"):
            known.verify(expired)
        with pytest.raises(AuthenticationError, match="signature"):
            known.verify(forged)
    assert Counting.calls == 6
