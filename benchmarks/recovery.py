"""Recovery after a crash: the reaper that hands a dead worker's jobs to live workers.

What a killed worker leaves behind, and what brings each thing back:
- the job it was running: its heartbeat stops (common.leases); after BENCH_RUN_STALE_AFTER_S the job
  is queued again, or after two missed heartbeats when every live cluster was born after the job was
  claimed (whoever claimed it is gone);
- the tasks its cluster had taken off the broker without starting them (a cluster prefetches): on the
  ORM broker their rows stay locked until django-q2's retry (Q_TIMEOUT + 300 s), on Redis they are
  gone, and their jobs still say "queued". A locked row whose cluster is gone (django-q2's cluster
  heartbeats, `clusters_alive`) is unlocked at once; a queued job whose task is in no broker queue is
  queued again as soon as no cluster that lived when it was queued is still alive, and otherwise once
  it has waited BENCH_QUEUED_STALE_AFTER_S;
- a build whose last cell finished but whose worker died before closing it: closed;
- half-written media files, and upload files no pending import needs (datapool.cleanup).

Handing out a task twice is safe: a job is claimed with a compare-and-set (common.leases.job_claim),
so the second delivery finds it running or finished and returns.

The reaper runs every minute (the schedule: benchmarks.tasks.runs_reap_task), in every worker process
when it starts and then every BENCH_REAP_EVERY_S (`worker_spawned`), and by `manage.py reap_runs`.
The jobs it looks after are registered by their apps (common.recoverable): builds' planning and
cells (benchmarks.apps), evaluation runs (evaluation.apps).
"""
from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import connections, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django_q.brokers import Broker, get_broker
from django_q.brokers.orm import ORM
from django_q.brokers.redis_broker import Redis
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from benchmarks.models import AgentRun
from benchmarks.services import build_finish
from common.leases import QUEUED, RUNNING, stale_cutoff
from common.recoverable import REGISTRY, Recoverable
from common.queue import enqueue
from datapool.cleanup import uploads_clean

logger = logging.getLogger(__name__)

# A job queued this recently may still have its task on the way to the broker (queued after commit).
ENQUEUE_GRACE = timedelta(seconds=5)
# A lock and a cluster's birth are written with the clocks of the machines involved: within this much,
# which came first is not trusted. (On one machine it is exact: a cluster takes no task before its birth.)
CLOCK_MARGIN = timedelta(seconds=0.5)


# --- What the broker holds, and which clusters are alive --------------------------------------

@dataclass
class BrokerTask:
    func: str
    job_id: int | None
    row_id: int | None = None  # the ORM broker's row
    locked_until: datetime | None = None  # ORM: a cluster took the task and holds it until then

    def waiting(self, now: datetime) -> bool:
        return self.locked_until is None or self.locked_until <= now


@dataclass(frozen=True)
class ClusterSeen:
    cluster_id: str
    host: str
    born: datetime


def broker_tasks(broker: Broker) -> list[BrokerTask] | None:
    """Every task of this queue still in the broker (waiting, or on the ORM broker also taken and
    not yet acknowledged); None for a broker whose queue cannot be read."""
    if isinstance(broker, ORM):
        rows = OrmQ.objects.using(Conf.ORM).filter(key=broker.list_key).values_list("id", "payload", "lock")
        return [task for row_id, payload, lock in rows
                if (task := _decoded(payload, row_id=row_id, locked_until=lock)) is not None]
    if isinstance(broker, Redis):
        return [task for payload in broker.connection.lrange(broker.list_key, 0, -1)
                if (task := _decoded(payload)) is not None]
    return None


def _decoded(payload: Any, **where: Any) -> BrokerTask | None:
    try:
        task = SignedPackage.loads(payload)
    except Exception:  # another site's task (another secret), or a damaged one: not ours to judge
        return None
    args = task.get("args") or ()
    job_id = args[0] if args and isinstance(args[0], int) else None
    return BrokerTask(func=str(task.get("func")), job_id=job_id, **where)


def clusters_alive(broker: Broker) -> list[ClusterSeen] | None:
    """The clusters of this site whose heartbeat (django-q2's Stat, saved every guard cycle with a
    3 s expiry) is current; None when they cannot be seen from here (a per-process cache)."""
    prefix = f"django_q:{Conf.PREFIX}:cluster"  # Conf.Q_STAT, from the prefix in force now
    if isinstance(broker, Redis):
        keys = list(broker.connection.scan_iter(match=f"{prefix}:*", count=1000))
        packs = broker.connection.mget(keys) if keys else []
    elif broker.cache is not None and not isinstance(broker.cache, (LocMemCache, DummyCache)):
        keys = broker.cache.get(prefix) or []
        packs = list(broker.cache.get_many(keys).values())
    else:
        return None
    seen = []
    for pack in packs:
        try:
            stat = SignedPackage.loads(pack) if pack else None
        except Exception:
            continue
        if stat is not None and getattr(stat, "tob", None) is not None:
            seen.append(ClusterSeen(cluster_id=str(stat.cluster_id), host=stat.host, born=stat.tob))
    return seen


def _all_born_after(alive: list[ClusterSeen] | None, moment: datetime) -> bool:
    """No cluster alive now was alive at `moment` (so none of them took a task before it)."""
    return alive is not None and all(cluster.born > moment + CLOCK_MARGIN for cluster in alive)


# --- The reaper --------------------------------------------------------------------------------

@dataclass
class ReapReport:
    requeued: list[tuple[str, int]] = field(default_factory=list)  # running jobs whose worker died
    redelivered: list[tuple[str, int]] = field(default_factory=list)  # queued jobs whose task was lost or stuck
    unlocked: int = 0  # broker rows released from clusters that are gone
    builds_closed: list[int] = field(default_factory=list)
    files_removed: list[str] = field(default_factory=list)

    def ids(self, name: str) -> list[int]:
        """Ids of `name` jobs handed out again, either way."""
        return sorted(pk for kind, pk in self.requeued + self.redelivered if kind == name)

    def __str__(self) -> str:
        def jobs(items):
            return ", ".join(f"{kind} {pk}" for kind, pk in items) or "none"
        return (f"queued again (worker died): {jobs(self.requeued)}; handed out again (task lost): "
                f"{jobs(self.redelivered)}; broker locks released: {self.unlocked}; builds closed: "
                f"{', '.join(map(str, self.builds_closed)) or 'none'}; files removed: {len(self.files_removed)}")


def runs_reap(*, stale_after_s: float | None = None, queued_after_s: float | None = None,
              files: bool = True) -> ReapReport:
    """Hand out again whatever a dead worker held (see the module's docstring); with `files`, also
    remove stale half-written media and upload files. Safe to run from several processes at once:
    every change is a compare-and-set."""
    queued_after = timedelta(seconds=settings.BENCH_QUEUED_STALE_AFTER_S if queued_after_s is None else queued_after_s)
    cutoff = stale_cutoff(stale_after_s)
    report = ReapReport()
    broker = get_broker()
    alive = clusters_alive(broker)
    tasks = broker_tasks(broker)
    now = timezone.now()
    if tasks is not None:
        report.unlocked = _unlock_from_gone_clusters(tasks, alive, now)
    for entry in REGISTRY.values():
        report.requeued += _requeue_dead_running(entry, cutoff, tasks, alive, now)
        if tasks is not None:
            report.redelivered += _redeliver_lost_queued(entry, tasks, alive, now, queued_after)
    report.builds_closed = _close_finished_builds(cutoff)
    if files:
        report.files_removed = _staged_media_clean(cutoff) + uploads_clean()
    if report.requeued or report.redelivered or report.unlocked or report.builds_closed:
        logger.warning("reaper: %s", report)
    return report


def _unlock_from_gone_clusters(tasks: list[BrokerTask], alive: list[ClusterSeen] | None, now: datetime) -> int:
    """ORM rows taken by a cluster that no longer lives come back now, not at the retry time."""
    unlocked = 0
    for task in tasks:
        if task.row_id is None or task.waiting(now):
            continue
        taken_at = task.locked_until - timedelta(seconds=Conf.RETRY)
        if _all_born_after(alive, taken_at) and OrmQ.objects.using(Conf.ORM).filter(
                pk=task.row_id, lock=task.locked_until).update(lock=now):
            task.locked_until = None
            unlocked += 1
    return unlocked


def _tasks_of(tasks: list[BrokerTask] | None, entry: Recoverable, job_id: int) -> list[BrokerTask]:
    return [t for t in tasks or () if t.func == entry.task and t.job_id == job_id]


def _requeue_dead_running(entry: Recoverable, cutoff: datetime, tasks: list[BrokerTask] | None,
                          alive: list[ClusterSeen] | None, now: datetime) -> list[tuple[str, int]]:
    """Running jobs whose heartbeat is older than the cutoff; and sooner, after two missed beats, the
    jobs claimed before every live cluster was born (whoever claimed them is gone)."""
    requeued = []
    silent = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True)
    missed_two = now - timedelta(seconds=2 * settings.BENCH_HEARTBEAT_S)
    if entry.claimed_at and settings.BENCH_HEARTBEAT_S > 0 and alive is not None:
        silent |= Q(heartbeat_at__lt=missed_two)
    for job in entry.model.objects.filter(entry.scope, entry.running, silent, status=RUNNING).order_by("pk"):
        if job.heartbeat_at is not None and job.heartbeat_at >= cutoff:
            claimed = getattr(job, entry.claimed_at)
            if claimed is None or not _all_born_after(alive, claimed):
                continue  # a cluster that may have claimed it still lives: wait for the full cutoff
        with transaction.atomic():
            if not entry.model.objects.filter(pk=job.pk, status=RUNNING, heartbeat_at=job.heartbeat_at).update(
                    status=QUEUED, heartbeat_at=now, **entry.requeued_values):
                continue  # it came back to life, or another reaper took it
            since = f"{job.heartbeat_at:%Y-%m-%d %H:%M:%S}" if job.heartbeat_at else "it started"
            if entry.on_recovered:
                entry.on_recovered(job, "requeued", f"no sign of life since {since}; its worker died; queued again")
            if not any(t.waiting(now) for t in _tasks_of(tasks, entry, job.pk)):
                enqueue(entry.task, job.pk, name=f"{entry.name} {job.pk} (requeued)")
        requeued.append((entry.name, job.pk))
    return requeued


def _redeliver_lost_queued(entry: Recoverable, tasks: list[BrokerTask], alive: list[ClusterSeen] | None,
                           now: datetime, queued_after: timedelta) -> list[tuple[str, int]]:
    redelivered = []
    for job in entry.model.objects.filter(entry.scope, status=QUEUED).order_by("pk"):
        since = max(job.created_at, job.heartbeat_at or job.created_at)  # when it was last queued
        mine = _tasks_of(tasks, entry, job.pk)
        if now - since < ENQUEUE_GRACE or any(t.waiting(now) for t in mine):
            continue
        if mine:  # taken by a cluster that may still live (a gone one's were unlocked above), not started
            taken_at = max(t.locked_until for t in mine) - timedelta(seconds=Conf.RETRY)
            if now - max(since, taken_at) < queued_after:
                continue
        elif not _all_born_after(alive, since) and now - since < queued_after:
            continue  # no task in the broker, but a cluster that may hold it still lives
        with transaction.atomic():
            if not entry.model.objects.filter(pk=job.pk, status=QUEUED, heartbeat_at=job.heartbeat_at).update(
                    heartbeat_at=now):
                continue  # started meanwhile, or another reaper took it
            if mine:
                for task in mine:
                    OrmQ.objects.using(Conf.ORM).filter(pk=task.row_id, lock=task.locked_until).update(lock=now)
                how = "its task was held by a worker that has not started it"
            else:
                enqueue(entry.task, job.pk, name=f"{entry.name} {job.pk} (redelivered)")
                how = "its task was taken by a worker that is gone"
            if entry.on_recovered:
                entry.on_recovered(job, "redelivered", f"queued since {since:%Y-%m-%d %H:%M:%S}; {how}; handed out again")
        redelivered.append((entry.name, job.pk))
    return redelivered


def _close_finished_builds(cutoff: datetime) -> list[int]:
    """Builds whose cells have all finished, the last one before the cutoff, but which are still
    running: the worker of the last cell died before it closed the build."""
    open_cells = Count("children", filter=~Q(children__status__in=AgentRun.FINISHED))
    builds = (AgentRun.objects.filter(kind=AgentRun.Kind.BUILD, status=RUNNING).exclude(stage="planning")
              .annotate(open_cells=open_cells, last_finished=Max("children__finished_at"))
              .filter(open_cells=0, last_finished__lt=cutoff).values_list("pk", flat=True))
    closed = []
    for pk in builds:
        build_finish(run_id=pk)
        closed.append(pk)
    return closed


def _staged_media_clean(cutoff: datetime) -> list[str]:
    """Staged media files (written as .name.tmp, then renamed) a killed worker left half-written."""
    removed = []
    generated = Path(settings.MEDIA_ROOT) / "generated"
    if generated.is_dir():
        for staged in generated.rglob(".*.tmp"):
            try:
                if staged.stat().st_mtime < cutoff.timestamp():
                    staged.unlink(missing_ok=True)
                    removed.append(str(staged.relative_to(settings.MEDIA_ROOT)))
            except FileNotFoundError:
                continue  # renamed into place meanwhile
    return removed


# --- In the workers --------------------------------------------------------------------------

def worker_spawned(sender: Any = None, proc_name: str = "", **kwargs: Any) -> None:
    """django-q2's post_spawn, in each new worker process: reap within seconds (a worker that starts
    after a crash recovers it without waiting for the schedule), then every BENCH_REAP_EVERY_S."""
    thread = threading.Thread(target=_reap_loop, name=f"reaper-{proc_name}", daemon=True)
    thread.start()


# Walking the media and upload folders costs more than a few queries: at most once a minute per process.
FILES_EVERY_S = 60.0
# A cluster killed just before this worker started still shows alive for up to 3 s (django-q2 saves a
# cluster's heartbeat with a 3 s expiry): the first pass waits that out, so it already sees it gone.
FIRST_PASS_AFTER_S = 3.5


def _reap_loop() -> None:
    every = settings.BENCH_REAP_EVERY_S
    files_at = None
    threading.Event().wait(FIRST_PASS_AFTER_S)
    while True:
        files = files_at is None or time.monotonic() - files_at >= FILES_EVERY_S
        try:
            runs_reap(files=files)
            if files:
                files_at = time.monotonic()
        except Exception:  # the database or broker is away for a moment: the next pass tries again
            logger.exception("the reaper failed")
        finally:
            connections.close_all()  # this thread's own connections
        if every <= 0:
            return
        threading.Event().wait(every * random.uniform(0.8, 1.2))  # workers' passes spread out
