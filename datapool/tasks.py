"""django-q2 entry points of the pool: ids in, a service call, nothing else."""
from __future__ import annotations

from datapool import services


def import_job_run_task(job_id: int) -> None:
    services.import_job_run(job_id=job_id)
