"""``serializable``: SERIALIZABLE isolation, no locks, retried on serialization failure (bounded)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session
from tenacity import RetryError, Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from system.errors import ConcurrencyError
from system.strategies.base import register, sqlstate
from system.strategies.coupled import CoupledStrategy

T = TypeVar("T")


#: serialization_failure and deadlock_detected: the transaction was rolled back and may simply run again.
RETRYABLE = ("40001", "40P01")


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, ConcurrencyError) and sqlstate(exc.cause) in RETRYABLE


@register
class SerializableStrategy(CoupledStrategy):
    name = "serializable"
    description = "SERIALIZABLE isolation with bounded retry on serialization failure"
    lock_rows = False

    def guarded(self, user_id: int, specialization: str, work: Callable[[Session], T]) -> tuple[T, int]:
        attempts = self.ctx.config.serializable_max_attempts
        # The back-off sleeps as the caller waits: a thread blocks, the API yields to its event loop.
        retrying = Retrying(stop=stop_after_attempt(attempts), retry=retry_if_exception(_is_retryable),
                            wait=wait_random_exponential(multiplier=0.002, max=0.1), reraise=False,
                            sleep=self.ctx.waits.sleep)
        try:
            for attempt in retrying:
                with attempt:
                    result = self.transaction(work, isolation_level="SERIALIZABLE")
                    attempts_used = attempt.retry_state.attempt_number
        except RetryError as exc:
            last = exc.last_attempt.exception()
            raise ConcurrencyError(f"gave up after {attempts} serialization failures on "
                                   f"{user_id}/{specialization}", cause=last) from last
        return result, attempts_used
