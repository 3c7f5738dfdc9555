"""django-q2 entry points: ids in, a service call, nothing else."""
from __future__ import annotations

from benchmarks import recovery, services


def build_plan_task(run_id: int) -> None:
    services.build_plan(run_id=run_id)


def build_cell_task(run_id: int) -> None:
    services.build_cell(run_id=run_id)


def runs_reap_task() -> None:
    """Scheduled every minute (benchmarks.apps): hand out again what dead workers held."""
    recovery.runs_reap()
