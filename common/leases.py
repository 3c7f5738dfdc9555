"""Who runs a job, and whether it is still alive: a claim a task takes when it starts, and a
heartbeat thread that keeps the claim fresh while the task runs.

A job row (an AgentRun, an EvalRun) has `status`, `heartbeat_at` and `created_at`. A task claims
its job with one compare-and-set: queued -> running, or running with no heartbeat for
`stale_after_s` (its worker died) -> running again. Two deliveries of the same task (the queue's
retry, a reaper's re-queue, a lock released early) therefore never both proceed: the second finds
the job running with a fresh heartbeat, or finished, and returns.

The heartbeat beats every BENCH_HEARTBEAT_S from a thread of its own, whatever the task is doing
(one LLM call with retries can take minutes; planning has no samples to count), so a job whose
heartbeat is older than a few beats has lost its process. That is what lets the reaper hand a
killed worker's job to another one within a minute instead of waiting for the queue's retry.
"""
from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connections, models, transaction
from django.db.models import Q
from django.utils import timezone

logger = logging.getLogger(__name__)

QUEUED, RUNNING = "queued", "running"


def stale_cutoff(stale_after_s: float | None = None):
    """Heartbeats older than this are a dead worker's."""
    seconds = settings.BENCH_RUN_STALE_AFTER_S if stale_after_s is None else stale_after_s
    return timezone.now() - timedelta(seconds=seconds)


def job_claim(jobs: models.QuerySet, *, running_filter: Q = Q(), stale_after_s: float | None = None,
              **values: Any) -> bool:
    """Move the job (`jobs` selects one row) to running if it is queued, or running under a dead
    worker (no heartbeat since stale_after_s; `running_filter` narrows which running rows this
    task may take over, e.g. a build's planning stage). True when this caller now owns it."""
    now = timezone.now()
    dead = Q(heartbeat_at__lt=stale_cutoff(stale_after_s)) | Q(heartbeat_at__isnull=True)
    claimable = Q(status=QUEUED) | (Q(status=RUNNING) & dead & running_filter)
    return bool(jobs.filter(claimable).update(status=RUNNING, heartbeat_at=now, **values))


class Heartbeat:
    """`with Heartbeat(Model, pk):` keeps the running job's heartbeat_at fresh from a daemon thread.

    The thread stops by itself once the job is no longer running (finished, or handed to another
    worker by the reaper). Inside an atomic block (a test's transaction) no thread is started: it
    could not see the uncommitted row, and on SQLite it would wait on the block's write lock.
    """

    def __init__(self, model: type[models.Model], pk: int, *, every_s: float | None = None) -> None:
        self.model, self.pk = model, pk
        self.every_s = settings.BENCH_HEARTBEAT_S if every_s is None else every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Heartbeat:
        if self.every_s > 0 and transaction.get_autocommit():
            self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{self.model.__name__}-{self.pk}",
                                            daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.every_s):
                try:
                    if not self.model.objects.filter(pk=self.pk, status=RUNNING).update(heartbeat_at=timezone.now()):
                        return
                except Exception:  # a locked or briefly unreachable database: the next beat tries again
                    logger.warning("heartbeat of %s %s failed", self.model.__name__, self.pk, exc_info=True)
        finally:
            connections.close_all()  # this thread's own connections
