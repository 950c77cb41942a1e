"""What a readiness stage is: a name, a function that writes the stage's JSON into the run directory,
and the gates that judge what it wrote (as Rally's racecontrol declares pipeline steps)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.console import Console

from fixtures.provision import Environment
from plsync.gates import Gate
from plsync.profiles import Profile
from plsync.rundir import RunDirectory
from plsync.settings import HarnessSettings
from system.config import SystemConfig
from system.db import Database
from system.errors import ConfigurationError


@dataclass
class StageContext:
    """Everything a stage may use; a stage reads its sizes from ``profile``."""

    settings: HarnessSettings
    profile: Profile
    run: RunDirectory
    env: Environment
    config: SystemConfig
    db: Database
    console: Console
    strategies: list[str]

    def say(self, message: str) -> None:
        self.console.print(f"[dim]{message}[/]", highlight=False)


@dataclass(frozen=True)
class Stage:
    name: str
    description: str
    run: Callable[[StageContext], None]
    gates: tuple[Gate, ...] = ()
    #: Set-up every other stage needs: always runs, cannot be skipped.
    required: bool = False


def select_stages(stages: Sequence[Stage], only: Sequence[str] = (), skip: Sequence[str] = ()) -> list[Stage]:
    """The stages to run, in pipeline order: ``only`` these (plus the required ones), minus ``skip``."""
    names = [s.name for s in stages]
    for name in (*only, *skip):
        if name not in names:
            raise ConfigurationError(f"unknown stage {name!r} (stages: {', '.join(names)})")
    for stage in stages:
        if stage.required and stage.name in skip:
            raise ConfigurationError(f"stage {stage.name!r} cannot be skipped: every other stage needs it")
    return [s for s in stages if s.required or ((not only or s.name in only) and s.name not in skip)]


def validate(stages: Sequence[Stage]) -> None:
    names = [s.name for s in stages]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"stages declared twice: {twice}")
