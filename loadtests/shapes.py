"""The Locust shape that plays the stages of loadtests/stages.py."""

from __future__ import annotations

from locust import LoadTestShape

from loadtests.stages import stages_named, users_at


class StagesShape(LoadTestShape):
    """Drives -u/-r/-t through the stages named by --plsync-stages (steady by default)."""

    use_common_options = True

    def tick(self) -> tuple[int, float] | None:
        opts = self.runner.environment.parsed_options if self.runner else None
        if opts is None or not opts.run_time:
            return None
        # The open model holds its pool of users for the whole run: its stages shape the rate instead.
        stages = "steady" if getattr(opts, "plsync_rate", "") else opts.plsync_stages
        users = users_at(stages_named(stages), self.get_run_time(), float(opts.run_time),
                         int(opts.num_users or 1))
        return None if users is None else (users, float(opts.spawn_rate or users))
