"""django-q2 entry points of the review loop: ids in, a service call, nothing else."""
from __future__ import annotations

from annotation import services


def review_sync_task(project_id: int) -> None:
    services.review_sync(project_id=project_id)


def review_pull_task(project_id: int, ls_task_id: int) -> None:
    services.review_pull(project_id=project_id, ls_task_ids=[ls_task_id])


def review_reconcile_all_task() -> None:
    """Scheduled every minute (annotation.apps): pull what webhooks missed, send new samples."""
    services.review_reconcile_all()
