"""Stage ``capacity``: each strategy's highest offered rate (open model) that holds the SLO, with nothing lost
at any step (plsync/capacity.py), sized by the profile; the SLO, the required rate and the shipping strategy
are the user's.

The verdict is about the design that ships: the shipping strategy's rows are gated (capacity at the SLO >=
the required rate, 0 lost XP and 0 desynced pairs over every step); the other strategies are measured and
written beside it as findings ("would not be ready with redis"), unless every strategy is to be gated.
"""

from __future__ import annotations

from collections.abc import Sequence

from loadtests.capacity import SearchPlan, Slo
from plsync.capacity import CapacityOptions, run_capacity
from plsync.gates import FieldGate
from plsync.profiles import Profile
from plsync.records.capacity import CapacityGateRecord, CapacityRecord
from plsync.records.files import CAPACITY, CAPACITY_GATES
from plsync.rundir import RunDirectory
from plsync.stages.base import Stage, StageContext
from reports.findings import capacity_findings


def profile_search(profile: Profile) -> SearchPlan:
    return SearchPlan(profile.capacity_start_per_s, 2.0, profile.capacity_max_per_s, profile.capacity_bisections,
                      profile.capacity_repeats, profile.capacity_min_per_s)


def chosen_strategies(profile: Profile, strategies: list[str]) -> tuple[str, ...]:
    """The shipping strategy first, then the profile's choice among the run's strategies; with every strategy
    gated, every strategy of the run (legacy only if the profile chose it: it is never gated)."""
    picked = [s for s in strategies if not profile.capacity_strategies or s in profile.capacity_strategies
              or (profile.gate_all_strategies and s != "legacy")]
    return tuple(dict.fromkeys([profile.shipping_strategy, *picked]))


def is_gated(strategy: str, profile: Profile) -> bool:
    return strategy == profile.shipping_strategy or (profile.gate_all_strategies and strategy != "legacy")


def gate_rows(document: CapacityRecord, profile: Profile, strategies: Sequence[str] = ()
              ) -> tuple[list[CapacityGateRecord], list[str]]:
    """Rows for the gates (the shipping strategy, or every gated one) and finding lines for the other strategies
    of the run (``strategies``; those searched when empty), one not searched "not measured"."""
    required = profile.capacity_required_per_s
    rows = []
    for entry in document.strategies:
        if not is_gated(entry.strategy, profile):
            continue
        capacity = entry.capacity_per_s
        meets: bool | None = capacity is not None and capacity >= required
        note = ""
        if capacity is None and entry.generator_limited:
            meets, note = None, "the generator fell behind before any step passed"
        rows.append(CapacityGateRecord(strategy=entry.strategy, capacity_per_s=capacity, required_per_s=required,
                                       slo=document.slo, meets_required=meets, unstable=entry.unstable,
                                       lost_xp=sum(s.lost_xp for s in entry.steps),
                                       desynced_pairs=sum(s.desynced_pairs for s in entry.steps),
                                       steps=len(entry.steps), note=note))
    gated = [s for s in dict.fromkeys([*strategies, *(e.strategy for e in document.strategies)])
             if is_gated(s, profile)]
    findings = capacity_findings(document, required, gated, strategies)
    return rows, [f.text for f in findings]


def run(ctx: StageContext) -> None:
    profile = ctx.profile
    options = CapacityOptions(
        chosen_strategies(profile, ctx.strategies), Slo.parse(profile.capacity_slo), "hotspot",
        max_users=profile.capacity_users, step_s=profile.capacity_step_s, warmup_s=profile.capacity_warmup_s,
        students=max(100, profile.swarm_students), search=profile_search(profile),
        shipping=profile.shipping_strategy)
    ctx.say(f"capacity: {', '.join(options.strategies)} at {options.slo} (open model, hot spot), "
            f"{options.step_s}s steps from {options.search.start_per_s:g}/s; {options.shipping} ships")
    document = run_capacity(ctx.env, ctx.config, options, RunDirectory(ctx.run.path / "capacity"), say=ctx.say)
    rows, findings = gate_rows(document, profile, ctx.strategies)
    gated = [s for s in dict.fromkeys([*ctx.strategies, *options.strategies]) if is_gated(s, profile)]
    ctx.run.write_record(CAPACITY, document.model_copy(update={
        "required_per_s": profile.capacity_required_per_s, "findings": findings, "gated": gated,
        "run_strategies": list(dict.fromkeys([*options.strategies, *ctx.strategies]))}))
    ctx.run.write_record(CAPACITY_GATES, rows)
    for line in findings:
        ctx.say(line)


def _gate(name: str, field: str, op: str, value: float | bool) -> FieldGate:
    return FieldGate(name, CAPACITY_GATES, field, op, value, per=("strategy",), exempt=("legacy",))


STAGE = Stage("capacity", "each strategy's highest offered rate holding the SLO (open model), nothing lost", run,
              gates=(
                  _gate("capacity at SLO >= required rate", "meets_required", "==", True),
                  _gate("lost XP over every capacity step", "lost_xp", "<=", 0),
                  _gate("desynced pairs over every capacity step", "desynced_pairs", "<=", 0),
              ))
