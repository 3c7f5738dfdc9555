"""django-q2 entry points of evaluation: ids in, a service call, nothing else."""
from __future__ import annotations

from evaluation import services


def judge_run_task(run_id: int) -> None:
    services.judge_run(run_id=run_id)


def eval_run_task(run_id: int) -> None:
    services.eval_run(run_id=run_id)


def baseline_run_task(run_id: int) -> None:
    services.baseline_run(run_id=run_id)
