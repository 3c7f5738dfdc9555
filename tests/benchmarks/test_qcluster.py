"""A build queued after commit is picked up and finished by a real `qcluster` worker process."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.db import connection
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.models import OrmQ

from benchmarks import services
from benchmarks.models import AgentRun, Sample
from tests.conftest import import_seed_datasets
from tests.factories import TeamFactory

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    """The URL of the test database this process uses, for the worker to use too."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.mark.qcluster
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("broker", ["orm", "redis"])
def test_qcluster_worker_finishes_a_queued_build(settings, monkeypatch, broker):
    settings.BENCH_TASKS_INLINE = False
    # This process queues with the same broker and queue name the worker is started with.
    queue_name = f"test-{broker}-{os.getpid()}"
    monkeypatch.setattr(Conf, "CLUSTER_NAME", queue_name)
    monkeypatch.setattr(Conf, "PREFIX", queue_name)
    broker_env = {"REDIS_URL": ""}
    if broker == "redis":
        redis.from_url(REDIS_URL).ping()  # the machine runs Redis; .ci/run starts it if it has stopped
        monkeypatch.setattr(Conf, "ORM", None)
        monkeypatch.setattr(Conf, "REDIS", REDIS_URL)
        broker_env = {"REDIS_URL": REDIS_URL}
    team = TeamFactory(slug="cluster-team")
    import_seed_datasets(team, ["Causal-Reasoning", "Social-Science-Question-Answering"])
    started = services.build_start(auto_approve=True, team=team, target_size=15,
                                   text="Can a model pick the most plausible cause or effect of an everyday event?")
    assert AgentRun.objects.get(pk=started.run.pk).status == "queued"
    # The plan task waits in the broker under test, and nowhere else.
    assert get_broker().queue_size() == 1
    assert OrmQ.objects.count() == (1 if broker == "orm" else 0)

    env = {**os.environ, "DATABASE_URL": _database_url(), "BENCH_MEDIA_ROOT": str(settings.MEDIA_ROOT),
           "BENCH_TASKS_INLINE": "false", "Q_WORKERS": "1", "LOG_LEVEL": "WARNING", "BENCH_Q_NAME": queue_name,
           **broker_env}
    worker = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        run = AgentRun.objects.get(pk=started.run.pk)
        while not run.is_finished and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.5)
            run.refresh_from_db()
    finally:
        worker.terminate()
        try:
            output = worker.communicate(timeout=30)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            worker.kill()
            output = worker.communicate()[0].decode(errors="replace")
    assert run.status == "succeeded", f"run {run.status}: {run.error}\nworker output:\n{output[-3000:]}"
    assert (run.progress_done, run.progress_total) == (15, 15)
    assert Sample.objects.filter(version=started.version, status="ok").count() == 15
    assert AgentRun.objects.filter(parent=run, kind="cell", status="succeeded").count() == run.children.count()


def _start_worker(settings, queue_name: str, broker: str = "orm", **extra_env: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": _database_url(), "BENCH_MEDIA_ROOT": str(settings.MEDIA_ROOT),
           "BENCH_TASKS_INLINE": "false", "Q_WORKERS": "1", "LOG_LEVEL": "WARNING", "BENCH_Q_NAME": queue_name,
           "REDIS_URL": REDIS_URL if broker == "redis" else "", **extra_env}
    # Its own session, so SIGKILL reaches the whole cluster (sentinel, pusher, worker, monitor) at once.
    return subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _wait(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


# Recovery after a crash is measured against this: a new worker finishes a killed worker's build within it.
RECOVERY_TARGET_S = 120
# Short heartbeats so the killed worker's running cell is known dead within seconds (the defaults, 10 s and
# 45 s, are what bench/recovery_after_kill.py measures); the queued-task threshold keeps its default (60 s), so
# the tasks the killed cluster had taken must come back through the clusters' liveness, not a timer.
FAST_LEASES = {"BENCH_HEARTBEAT_S": "1", "BENCH_RUN_STALE_AFTER_S": "6", "BENCH_REAP_EVERY_S": "2",
               "BENCH_CELL_SHARD_SIZE": "5", "BENCH_TTS": "espeak-ng"}


@pytest.mark.qcluster
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("broker", ["orm", "redis"])
def test_a_worker_killed_mid_build_is_replaced_and_the_build_ends_exact(settings, monkeypatch, tmp_path, broker):
    import signal

    from benchmarks.models import MediaAsset

    settings.BENCH_TASKS_INLINE = False
    settings.MEDIA_ROOT = tmp_path / "media"  # its own store, so every file in it is this build's
    queue_name = f"test-kill-{broker}-{os.getpid()}"
    monkeypatch.setattr(Conf, "CLUSTER_NAME", queue_name)
    monkeypatch.setattr(Conf, "PREFIX", queue_name)
    if broker == "redis":
        redis.from_url(REDIS_URL).ping()
        monkeypatch.setattr(Conf, "ORM", None)
        monkeypatch.setattr(Conf, "REDIS", REDIS_URL)
    team = TeamFactory(slug="kill-team")
    import_seed_datasets(team, ["Multi-Turn-Daily-Dialogue-Generation"])
    # Spoken items (speech synthesis and recognition, ~1 s each): slow enough to kill a worker in the middle.
    # Cells of 5 samples (2 cells): the killed cluster runs one and holds the other, taken off the broker.
    started = services.build_start(auto_approve=True, team=team, target_size=10, text=(
        "Can a model follow a spoken conversation between several speakers and pick the fitting next reply?"))
    accepted = Sample.objects.filter(version=started.version, status="ok")
    cells = AgentRun.objects.filter(parent=started.run, kind="cell")

    worker = _start_worker(settings, queue_name, broker, **FAST_LEASES)
    try:
        assert _wait(lambda: accepted.count() >= 1 and cells.filter(status="running").exists(), 180), \
            "the first worker made no samples"
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    running = list(cells.filter(status="running").values_list("pk", flat=True))
    queued = list(cells.filter(status="queued").values_list("pk", flat=True))
    assert len(running) == 1 and accepted.count() < 10 and cells.count() == 2  # killed in the middle
    # The dead cluster held tasks besides the one it ran: locked rows on the ORM broker, gone from Redis.
    if broker == "orm":
        assert OrmQ.objects.filter(key=queue_name, lock__gt=timezone.now()).count() >= 2
    else:
        assert get_broker().queue_size() < len(queued)

    worker = _start_worker(settings, queue_name, broker, **FAST_LEASES)
    started_at = time.monotonic()
    try:
        run = AgentRun.objects.get(pk=started.run.pk)
        finished = _wait(lambda: AgentRun.objects.get(pk=run.pk).is_finished, RECOVERY_TARGET_S)
        recovered_in = time.monotonic() - started_at
    finally:
        worker.terminate()
        output = worker.communicate(timeout=60)[0].decode(errors="replace")
    run.refresh_from_db()
    assert finished, f"not finished {RECOVERY_TARGET_S} s after the new worker started\n{output[-3000:]}"
    print(f"{broker}: the build finished {recovered_in:.1f} s after the new worker started")
    assert run.status == "succeeded", f"{run.error}\n{output[-3000:]}"
    assert accepted.count() == 10 and Sample.objects.filter(version=started.version).exclude(status="ok").count() == \
        Sample.objects.filter(version=started.version, status="rejected").count()
    keys = list(Sample.objects.filter(version=started.version).values_list("item_key", flat=True))
    assert len(keys) == len(set(keys))
    assert set(cells.values_list("status", flat=True)) == {"succeeded"}
    # The killed cell came back through its stopped heartbeat, exactly once; on Redis the cell whose task the
    # dead cluster had taken came back through the clusters' liveness (on the ORM broker its row was unlocked).
    assert AgentRun.objects.get(pk=running[0]).events.filter(kind="requeued").count() == 1
    if broker == "redis":
        assert AgentRun.objects.get(pk=queued[0]).events.filter(kind="redelivered").count() == 1
    # Every synthesised file belongs to a sample's media; nothing half-written is left.
    generated = Path(settings.MEDIA_ROOT) / "generated" / "speech"
    on_disk = {str(p.relative_to(settings.MEDIA_ROOT)) for p in generated.rglob("*") if p.is_file()}
    referenced = set(MediaAsset.objects.filter(team=team, samples__version=started.version)
                     .values_list("file", flat=True))
    assert on_disk == referenced
