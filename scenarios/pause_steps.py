"""A ``process_pause`` cell: client A freezes at a checkpoint of its level-up while client B levels up the
same pair; the evidence says who held what when, what each client was told, and the rows after."""

from __future__ import annotations

import threading
import time
from typing import Any

from scenarios.holdings import HoldingsProbe
from scenarios.ledger import Ledger, LedgerEntry, Outcome, outcome_of
from scenarios.nemesis import FaultPlan, Observer
from scenarios.pauses import LIMITS, OTHER_ATTEMPTS, POINTS, PauseCase
from scenarios.scenario import SKIPPED, Observation, ScenarioEnv, settle
from scenarios.steps import levels
from system.services.types import LevelUpRequest
from system.strategies import Strategy, strategy_class

FROZEN_APP, OTHER_APP = "plsync-pause-frozen", "plsync-pause-other"
SPEC = "PLAYER"
#: A earns level 2; B's 9 XP without sessions never change the level.
FROZEN_XP, FROZEN_SESSIONS, OTHER_XP = 600, 6, 9


class Timeline:
    """Events in milliseconds from the moment A started its level-up."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        self.t0 = time.monotonic()

    def ms(self) -> int:
        return round((time.monotonic() - self.t0) * 1000)

    def mark(self, client: str, event: str) -> None:
        with self._lock:
            self.events.append({"at_ms": self.ms(), "client": client, "event": event})


class Stall:
    """The nemesis action: the client reaching the point stops there for ``seconds`` (a thread's freeze:
    it sends nothing, its session and locks stay as they are), looked at from outside as it freezes
    and just before it wakes."""

    def __init__(self, seconds: float, timeline: Timeline, probe: HoldingsProbe, observer: Observer) -> None:
        self.seconds, self.timeline, self.probe, self.observer = seconds, timeline, probe, observer
        self.frozen = threading.Event()
        self.frozen_at = 0.0
        self.snapshots: list[dict[str, Any]] = []

    def __call__(self, point: str, session: Any) -> None:
        pid = _backend_pid(session)
        self.frozen_at = began = time.monotonic()
        self.timeline.mark("A", f"freezes at {point} for {round(self.seconds * 1000)} ms")
        self.probe.remember_holder()
        self._look(point, pid, "A has just frozen")
        self.frozen.set()
        _sleep_until(began + self.seconds - 0.03)
        self._look(point, pid, "A is about to wake")
        _sleep_until(began + self.seconds)
        self.timeline.mark("A", "wakes and carries on")

    def _look(self, point: str, pid: int | None, label: str) -> None:
        self.observer(point, None)
        self.snapshots.append({"at_ms": self.timeline.ms(), "moment": label, **self.probe.look(pid)})


def _backend_pid(session: Any) -> int | None:
    """The frozen session's server process, read locally from libpq (no statement is sent)."""
    if session is None:
        return None
    return int(session.connection().connection.dbapi_connection.get_backend_pid())


def _sleep_until(deadline: float) -> None:
    left = deadline - time.monotonic()
    if left > 0:
        time.sleep(left)


def _level_up(strategy: Strategy, request: LevelUpRequest, ledger: Ledger, timeline: Timeline, who: str,
              told: dict[str, str]) -> Outcome:
    timeline.mark(who, f"starts a level-up (+{request.xp} XP)")
    began = time.perf_counter()
    try:
        result = strategy.level_up(request)
    except Exception as exc:
        outcome, said = outcome_of(exc), f"{type(exc).__name__}: {exc}"
        ledger.record(LedgerEntry("level_up", request.user_id, SPEC, request.xp, outcome,
                                  time.perf_counter() - began, error=said))
    else:
        outcome = Outcome.OK
        said = f"level {result.level}, {result.total_xp} XP" + (f", {result.attempts} attempts"
                                                                if result.attempts > 1 else "")
        if result.hook_error:
            said += f"; sync hook failed: {result.hook_error}"
        ledger.record(LedgerEntry("level_up", request.user_id, SPEC, request.xp, outcome,
                                  time.perf_counter() - began, result.attempts))
    told[who] = f"{outcome.value}: {said}"
    timeline.mark(who, f"told {told[who]}")
    return outcome


def _keep_trying(strategy: Strategy, request: LevelUpRequest, ledger: Ledger, timeline: Timeline,
                 told: dict[str, str]) -> None:
    """The other client: tries again whenever it is told it failed (a lock wait ran out), as a user would."""
    for attempt in range(1, OTHER_ATTEMPTS + 1):
        if _level_up(strategy, request, ledger, timeline, f"B#{attempt}", told) is not Outcome.FAILED:
            return


def run_pause(env: ScenarioEnv, case: PauseCase) -> Observation:
    env.reset()
    (user,) = env.students()
    ledger, told = Ledger(), {}
    uses_redis = strategy_class(env.strategy_name).needs_redis
    probe = HoldingsProbe(env.admin, {FROZEN_APP: "frozen client", OTHER_APP: "other client"},
                          env.config.redis_url if uses_redis else None, f"progress_lock:{user}:{SPEC}")
    observer = Observer(env.admin, user, SPEC)
    timeline = Timeline()
    stall = Stall(case.pause_s, timeline, probe, observer)
    limits = LIMITS.overrides()
    try:
        with env.strategy(FaultPlan().at(case.point, stall), connections=2, application_name=FROZEN_APP,
                          **limits) as frozen, \
                env.strategy(connections=2, application_name=OTHER_APP, **limits) as other:
            timeline.start()
            a = threading.Thread(target=_level_up, name="pause-frozen-client", args=(
                frozen, LevelUpRequest(user, SPEC, FROZEN_XP, FROZEN_SESSIONS), ledger, timeline, "A", told))
            a.start()
            while not stall.frozen.wait(0.01) and a.is_alive():
                pass
            if not stall.frozen.is_set():
                a.join()
                return Observation(SKIPPED, {"reason": f"the {env.strategy_name} level-up never reaches {case.point}",
                                             "client_was_told": told})
            b = threading.Thread(target=_keep_trying, name="pause-other-client", args=(
                other, LevelUpRequest(user, SPEC, OTHER_XP, 0), ledger, timeline, told))
            b.start()
            a.join()
            b.join()
            lost_locks = getattr(frozen, "lost_locks", None)
    finally:
        probe.close()
    evidence: dict[str, Any] = {
        "pause": {"client": "A", "point": case.point, "where": POINTS[case.point], "seconds": case.pause_s,
                  "limits_s": LIMITS.named(), "sides": case.sides()},
        "timeline": sorted(timeline.events, key=lambda e: e["at_ms"]),
        "holdings": stall.snapshots,
        "client_was_told": told,
        "after": levels(env, user, SPEC),
        "acknowledged_xp": sum(ledger.xp_by_pair(Outcome.OK).values()),
    }
    if lost_locks is not None:
        evidence["a_found_its_redis_lock_expired_on_release"] = bool(lost_locks)
    return settle(env, seen_midway=observer.seen, ledger=ledger, baseline={(user, SPEC): 0}, evidence=evidence,
                  pair=(user, SPEC))
