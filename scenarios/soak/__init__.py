"""The 24-hour accelerated scheduler soak: the production job on APScheduler, on a real or a virtual clock."""

from scenarios.soak.results import PhaseResult, RunRecord, SoakOptions
from scenarios.soak.runner import run_soak
from scenarios.soak.summary import SoakResult

__all__ = ["PhaseResult", "RunRecord", "SoakOptions", "SoakResult", "run_soak"]
