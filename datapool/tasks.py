"""django-q2 entry points of the pool: ids in, a service call, nothing else."""
from __future__ import annotations

from datapool import services
from datapool.search import pool_embed


def import_job_run_task(job_id: int) -> None:
    services.import_job_run(job_id=job_id)


def pool_embed_task(team_id: int) -> None:
    """Embed the cards a team sees that lack a current embedding (after an import)."""
    pool_embed(team_ids=[team_id])
