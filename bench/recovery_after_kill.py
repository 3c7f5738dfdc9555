#!/usr/bin/env python
"""Benchmark (not a test): how long a build takes to finish after its worker is SIGKILLed mid-build
and a new worker starts, with the default recovery settings (heartbeat 10 s, stale after 45 s,
reaping on start and every 15 s, queued tasks handed out again after 60 s).

A --size sample offline text build (cells of BENCH_CELL_SHARD_SIZE, default 50) is queued; a real
`qcluster` (Q_WORKERS, default 2) builds it; when --kill-at of the samples are made the whole cluster
is SIGKILLed and a new one is started at once. Printed: the build's time without a kill (a cluster
that is left alone), the time to the kill, and the time from the new worker's start to the build's
end, with the exact count and duplicates. Fresh SQLite database in a temporary folder (or
BENCH_DATABASE_URL); the ORM broker, or Redis with --broker redis (REDIS_URL, default
redis://127.0.0.1:6379/0, on a queue of its own).

    .venv/bin/python bench/recovery_after_kill.py [--broker orm|redis] [--size 200] [--kill-at 0.4]
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

REQUEST = ("Can a model pick the most plausible cause of an event, answer social science questions and judge "
           "natural language inference?")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--broker", choices=["orm", "redis"], default="orm")
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--kill-at", type=float, default=0.4, help="fraction of the samples made when the kill comes")
    parser.add_argument("--no-baseline", action="store_true", help="skip the build without a kill")
    args = parser.parse_args()
    queue = f"bench-recovery-{uuid.uuid4().hex[:8]}"
    os.environ["BENCH_Q_NAME"] = queue
    os.environ["REDIS_URL"] = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0") if args.broker == "redis" else ""

    from _django import ROOT, database_label, django_on_fresh_database

    workdir = django_on_fresh_database("bench-recovery-")
    from django.conf import settings
    from django.db import connection

    from benchmarks import services
    from benchmarks.models import AgentRun, Sample
    from datapool.services import pool_import
    from teams.services import team_get_or_create

    team = team_get_or_create(slug="bench")
    pool_import(team=team, pool_dir=Path(settings.SEED_POOL_DIR))
    db = connection.settings_dict
    env = {**os.environ, "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{db['NAME']}",
           "BENCH_VAR_DIR": str(workdir), "LOG_LEVEL": "WARNING", "BENCH_TASKS_INLINE": "false"}

    def cluster() -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(process: subprocess.Popen) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def build(seed: int):
        started = services.build_start(auto_approve=True, team=team, text=REQUEST, target_size=args.size, seed=seed)
        return started, Sample.objects.filter(version=started.version, status__in=["ok", "repaired"])

    def wait_finished(run_id: int, limit_s: float = 1800) -> float:
        t0 = time.perf_counter()
        while not AgentRun.objects.get(pk=run_id).is_finished:
            if time.perf_counter() - t0 > limit_s:
                raise SystemExit(f"the build did not finish in {limit_s:.0f} s")
            time.sleep(0.2)
        return time.perf_counter() - t0

    print(f"database: {database_label(workdir)}; broker: {args.broker} (queue {queue}); {args.size} samples; "
          f"Q_WORKERS={settings.Q_CLUSTER['workers']}; cells of {settings.BENCH_CELL_SHARD_SIZE}")
    if not args.no_baseline:
        started, _ = build(seed=1)
        worker = cluster()
        try:
            print(f"without a kill: the build took {wait_finished(started.run.pk):.1f} s")
        finally:
            stop(worker)

    started, accepted = build(seed=2)
    worker = cluster()
    t0 = time.perf_counter()
    try:
        while accepted.count() < args.kill_at * args.size:
            time.sleep(0.1)
    finally:
        stop(worker)
    killed_after = time.perf_counter() - t0
    cells = AgentRun.objects.filter(parent=started.run, kind="cell")
    state = {status: cells.filter(status=status).count() for status in ("running", "queued", "succeeded")}
    made = accepted.count()
    worker = cluster()
    try:
        recovered = wait_finished(started.run.pk)
    finally:
        stop(worker)
    run = AgentRun.objects.get(pk=started.run.pk)
    keys = list(Sample.objects.filter(version=started.version).values_list("item_key", flat=True))
    print(f"killed after {killed_after:.1f} s with {made} of {args.size} made (cells: {state['running']} running, "
          f"{state['queued']} queued, {state['succeeded']} done)")
    print(f"after the kill: the build finished {recovered:.1f} s after the new worker started; {run.status}, "
          f"{accepted.count()} of {args.size} samples, {len(keys) - len(set(keys))} duplicate item keys")


if __name__ == "__main__":
    main()
