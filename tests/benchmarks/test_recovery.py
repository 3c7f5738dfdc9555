"""The reaper's decisions, on the ORM broker with clusters' heartbeats written the way django-q2
writes them: a dead worker's running job is queued again, a live one is left alone; a task a gone
cluster took is unlocked at once; a queued job whose task is nowhere comes back once no cluster that
could hold it lives; a build whose cells all finished is closed; a second delivery of a task never
runs the job twice. (tests/benchmarks/test_qcluster.py kills real clusters.)"""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.signing import SignedPackage
from django_q.status import Status

from benchmarks import recovery, services
from benchmarks.models import AgentRun
from common.queue import enqueue

REQUEST = "Can a model pick the most plausible cause or effect of an everyday event?"
CELL_TASK = "benchmarks.tasks.build_cell_task"


@pytest.fixture
def broker(settings, monkeypatch):
    """A queue of this test's own on the ORM broker; enqueued jobs go to it (not inline)."""
    settings.BENCH_TASKS_INLINE = False
    name = f"test-reap-{uuid.uuid4().hex[:10]}"
    monkeypatch.setattr(Conf, "CLUSTER_NAME", name)
    monkeypatch.setattr(Conf, "PREFIX", name)
    broker = get_broker()
    yield broker
    prefix = f"django_q:{name}:cluster"
    broker.cache.delete_many([prefix, *(broker.cache.get(prefix) or [])])


@pytest.fixture
def cells(settings, team_a, pool_a, broker) -> list[AgentRun]:
    """A planned build whose cells were queued 20 s ago (no task in the broker)."""
    settings.BENCH_CELL_SHARD_SIZE = 2
    started = services.build_start(auto_approve=True, team=team_a, target_size=6, text=REQUEST, run_in_background=False)
    services.build_plan(run_id=started.run.id, queue_cells=False)
    queued = AgentRun.objects.filter(parent=started.run, kind="cell").order_by("pk")
    queued.update(created_at=timezone.now() - timedelta(seconds=20))
    assert queued.count() >= 3 and set(queued.values_list("status", flat=True)) == {"queued"}
    return list(queued)


def _cluster_alive(broker, *, born):
    """A cluster's heartbeat as django-q2's sentinel saves it (Stat.save: signed, 3 s expiry; we keep it 60 s)."""
    status = Status(pid=1, cluster_id=uuid.uuid4())
    status.tob = born
    prefix = f"django_q:{Conf.PREFIX}:cluster"
    key = f"{prefix}:{status.cluster_id}"
    broker.cache.set(prefix, [*(broker.cache.get(prefix) or []), key], None)
    broker.cache.set(key, SignedPackage.dumps(status), 60)
    return key


def _tasks_for(job_id: int) -> list[OrmQ]:
    return [row for row in OrmQ.objects.filter(key=Conf.CLUSTER_NAME)
            if row.task.get("func") == CELL_TASK and row.task.get("args") == (job_id,)]


def _reap(capture, **kwargs):
    with capture(execute=True):  # the reaper queues after commit
        return recovery.runs_reap(**kwargs)


def test_a_dead_workers_running_cell_is_queued_again_and_a_beating_one_is_left(
        cells, django_capture_on_commit_callbacks):
    dead, alive, *_ = cells
    AgentRun.objects.filter(pk=dead.pk).update(status="running", stage="executing",
                                               heartbeat_at=timezone.now() - timedelta(minutes=2))
    AgentRun.objects.filter(pk=alive.pk).update(status="running", stage="executing", heartbeat_at=timezone.now())
    _cluster_alive(get_broker(), born=timezone.now() - timedelta(hours=1))

    report = _reap(django_capture_on_commit_callbacks)
    assert report.requeued == [("cell", dead.pk)] and report.redelivered == []
    dead.refresh_from_db()
    assert (dead.status, dead.stage) == ("queued", "requeued")
    assert list(dead.events.values_list("kind", flat=True)) == ["requeued"]
    assert len(_tasks_for(dead.pk)) == 1 and _tasks_for(alive.pk) == []
    assert AgentRun.objects.get(pk=alive.pk).status == "running"
    # Its task waits in the broker: the next pass hands out nothing more.
    again = _reap(django_capture_on_commit_callbacks)
    assert (again.requeued, again.redelivered, len(_tasks_for(dead.pk))) == ([], [], 1)

    # A second delivery of the live cell's task finds it running under a fresh heartbeat and leaves it.
    services.build_cell(run_id=alive.pk)
    alive.refresh_from_db()
    assert (alive.status, alive.progress_done, alive.events.count()) == ("running", 0, 0)


def test_a_cell_claimed_before_every_live_cluster_was_born_is_requeued_after_two_missed_beats(
        cells, settings, django_capture_on_commit_callbacks):
    settings.BENCH_HEARTBEAT_S, settings.BENCH_RUN_STALE_AFTER_S = 10, 45
    now = timezone.now()
    orphan, maybe_alive, beating = cells[:3]
    running = {"status": "running", "stage": "executing"}
    # Claimed two minutes ago, silent for 25 s: whoever claimed it was alive before the live cluster was born.
    AgentRun.objects.filter(pk=orphan.pk).update(**running, started_at=now - timedelta(minutes=2),
                                                 heartbeat_at=now - timedelta(seconds=25))
    # Claimed after the live cluster was born: it may be that cluster's; it gets the full 45 s.
    AgentRun.objects.filter(pk=maybe_alive.pk).update(**running, started_at=now - timedelta(seconds=30),
                                                      heartbeat_at=now - timedelta(seconds=25))
    # Claimed long ago but beating: its worker lives (a foreground build, say).
    AgentRun.objects.filter(pk=beating.pk).update(**running, started_at=now - timedelta(minutes=2),
                                                  heartbeat_at=now - timedelta(seconds=5))
    _cluster_alive(get_broker(), born=now - timedelta(minutes=1))
    report = _reap(django_capture_on_commit_callbacks)
    assert report.requeued == [("cell", orphan.pk)]
    assert list(AgentRun.objects.filter(pk__in=[orphan.pk, maybe_alive.pk, beating.pk]).order_by("pk")
                .values_list("status", flat=True)) == ["queued", "running", "running"]


def test_a_task_a_gone_cluster_took_is_unlocked_at_once_and_a_live_clusters_waits(
        cells, django_capture_on_commit_callbacks):
    broker = get_broker()
    taken_early, taken_late, *others = cells
    AgentRun.objects.filter(pk__in=[c.pk for c in others]).update(status="succeeded")
    with django_capture_on_commit_callbacks(execute=True):
        for cell in (taken_early, taken_late):
            enqueue(CELL_TASK, cell.pk)
    now = timezone.now()
    retry = timedelta(seconds=Conf.RETRY)
    # Taken 10 minutes ago, before the only live cluster was born: the cluster that took it is gone.
    OrmQ.objects.filter(pk=_tasks_for(taken_early.pk)[0].pk).update(lock=now - timedelta(minutes=10) + retry)
    # Taken 20 s ago: the live cluster may hold it in its local queue.
    OrmQ.objects.filter(pk=_tasks_for(taken_late.pk)[0].pk).update(lock=now - timedelta(seconds=20) + retry)
    _cluster_alive(broker, born=now - timedelta(minutes=5))
    assert broker.queue_size() == 0 and broker.lock_size() == 2

    report = _reap(django_capture_on_commit_callbacks)
    assert (report.unlocked, report.requeued, report.redelivered) == (1, [], [])
    assert _tasks_for(taken_early.pk)[0].lock <= timezone.now()
    assert _tasks_for(taken_late.pk)[0].lock > timezone.now()
    assert broker.queue_size() == 1 and broker.lock_size() == 1

    # Held without being started for longer than BENCH_QUEUED_STALE_AFTER_S: handed out again (the same row).
    report = _reap(django_capture_on_commit_callbacks, queued_after_s=10)
    assert (report.unlocked, report.redelivered) == (0, [("cell", taken_late.pk)])
    assert len(_tasks_for(taken_late.pk)) == 1 and broker.queue_size() == 2 and broker.lock_size() == 0
    assert list(AgentRun.objects.get(pk=taken_late.pk).events.values_list("kind", flat=True)) == ["redelivered"]


def test_a_queued_cell_whose_task_is_nowhere_comes_back_once_no_cluster_that_could_hold_it_lives(
        cells, django_capture_on_commit_callbacks):
    """On Redis a task a cluster took is gone from the broker; it lives only in that cluster."""
    broker = get_broker()
    old = _cluster_alive(broker, born=timezone.now() - timedelta(minutes=10))
    report = _reap(django_capture_on_commit_callbacks)
    assert report.redelivered == [] and _tasks_for(cells[0].pk) == []  # the old cluster may hold it

    broker.cache.delete(old)  # that cluster died; a new worker started since
    _cluster_alive(broker, born=timezone.now() - timedelta(seconds=3))
    report = _reap(django_capture_on_commit_callbacks)
    assert sorted(report.redelivered) == [("cell", cell.pk) for cell in cells]  # none of them is in the broker
    assert [len(_tasks_for(cell.pk)) for cell in cells] == [1] * len(cells)
    again = _reap(django_capture_on_commit_callbacks)
    assert again.redelivered == [] and [len(_tasks_for(cell.pk)) for cell in cells] == [1] * len(cells)


def test_a_build_whose_last_cell_finished_before_its_worker_died_is_closed(
        team_a, pool_a, broker, django_capture_on_commit_callbacks):
    started = services.build_start(auto_approve=True, team=team_a, target_size=4, text=REQUEST, run_in_background=False)
    services.build_run_foreground(run_id=started.run.id)
    # As if the last cell's worker died between finishing the cell and closing the build.
    AgentRun.objects.filter(pk=started.run.pk).update(status="running", stage="executing", finished_at=None)
    AgentRun.objects.filter(parent=started.run).update(finished_at=timezone.now() - timedelta(minutes=2))
    report = _reap(django_capture_on_commit_callbacks)
    assert report.builds_closed == [started.run.pk]
    run = AgentRun.objects.get(pk=started.run.pk)
    assert (run.status, run.progress_done) == ("succeeded", 4)
    assert _reap(django_capture_on_commit_callbacks).builds_closed == []


def test_the_reap_runs_command_reports_and_refuses_negative_times(cells, capsys):
    _cluster_alive(get_broker(), born=timezone.now() - timedelta(hours=1))
    AgentRun.objects.filter(pk=cells[0].pk).update(status="running", stage="executing",
                                                   heartbeat_at=timezone.now() - timedelta(minutes=2))
    call_command("reap_runs", "--stale-after", "60", "--queued-after", "3600")
    assert capsys.readouterr().out.startswith(f"queued again (worker died): cell {cells[0].pk}; handed out again "
                                              "(task lost): none; broker locks released: 0;")
    with pytest.raises(CommandError, match="--stale-after must be zero or more seconds, not -1"):
        call_command("reap_runs", "--stale-after", "-1")
