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
