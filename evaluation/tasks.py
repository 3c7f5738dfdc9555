"""django-q2 entry points of evaluation: ids in, a service call, nothing else."""
from __future__ import annotations

from evaluation import services


def judge_run_task(run_id: int) -> None:
    services.judge_run(run_id=run_id)


def eval_run_task(run_id: int, continued: int = 0) -> None:
    """`continued`: 1 for the next slice of a run (queued by the run itself), 0 for a start or a resume."""
    services.eval_run(run_id=run_id, continued=bool(continued))


def baseline_run_task(run_id: int) -> None:
    services.baseline_run(run_id=run_id)
