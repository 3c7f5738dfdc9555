#!/usr/bin/env python
"""Benchmark (not a test): offline build throughput per modality on 1 and 2 qcluster workers.

For each modality a request is built (auto-approved) by a real `qcluster` with Q_WORKERS=1, then 2;
the figure is accepted samples per second from queueing to the build's end, with the peak resident
memory of the cluster's processes (VmHWM, summed and the largest). Fresh SQLite database in a
temporary folder (or BENCH_DATABASE_URL). A grounding's quota is split into cells of about
--shard-size samples (BENCH_CELL_SHARD_SIZE), so a one-dataset build spreads over the workers too.

    .venv/bin/python bench/executor_throughput.py [--size 40] [--workers 1 2] [--shard-size 10]
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from _django import ROOT, database_label, django_on_fresh_database

REQUESTS = {
    "text": "Can a model pick the most plausible cause of an event, answer social science questions and judge "
            "natural language inference?",
    "image+text": "Visual question answering about what is shown in artwork images and paintings.",
    "audio+text": "Can a model follow a spoken conversation between several speakers and pick the fitting next reply?",
    "image+audio+text": "Can a model answer spoken questions, asked aloud, about artwork images?",
}


def _peak_rss_kib(session: int) -> tuple[int, int]:
    """(sum, largest) VmHWM of the live processes in the session, in KiB."""
    total = largest = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.getsid(int(pid)) != session:
                continue
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    kib = int(line.split()[1])
                    total, largest = total + kib, max(largest, kib)
        except (OSError, ValueError):
            continue
    return total, largest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=40)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--shard-size", type=int, default=10)
    args = parser.parse_args()
    workdir = django_on_fresh_database("bench-exec-")
    from django.conf import settings
    from django.db import connection

    from benchmarks import services
    from benchmarks.models import AgentRun, Sample
    from datapool.services import pool_import
    from teams.services import team_get_or_create

    team = team_get_or_create(slug="bench")
    pool_import(team=team, pool_dir=Path(settings.SEED_POOL_DIR))
    db = connection.settings_dict
    database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{db['NAME']}"
    print(f"database: {database_label(workdir)}; {args.size} samples per build; cells of about "
          f"{args.shard_size} samples")
    print(f"{'modality':18s} {'workers':>7s} {'cells':>5s} {'accepted':>8s} {'seconds':>8s} {'samples/s':>9s} "
          f"{'peak RSS sum':>13s} {'largest':>8s}")
    for modality, text in REQUESTS.items():
        for workers in args.workers:
            started = services.build_start(auto_approve=True, team=team, text=text, target_size=args.size,
                                           seed=workers)
            env = {**os.environ, "DATABASE_URL": database_url, "BENCH_VAR_DIR": str(workdir),
                   "Q_WORKERS": str(workers), "LOG_LEVEL": "WARNING", "BENCH_TASKS_INLINE": "false",
                   "REDIS_URL": "", "BENCH_CELL_SHARD_SIZE": str(args.shard_size),
                   # Each worker keeps to its share of the cores (speech synthesis and recognition).
                   "BENCH_TOOL_THREADS": str(max(1, (os.cpu_count() or 1) // workers))}
            t0 = time.perf_counter()
            cluster = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env,
                                       start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            peak = (0, 0)
            try:
                while not AgentRun.objects.get(pk=started.run.pk).is_finished:
                    if time.perf_counter() - t0 > 900:
                        raise SystemExit(f"{modality}: the build did not finish in 15 minutes")
                    now = _peak_rss_kib(cluster.pid)
                    peak = (max(peak[0], now[0]), max(peak[1], now[1]))
                    time.sleep(0.2)
                seconds = time.perf_counter() - t0
            finally:
                cluster.send_signal(signal.SIGTERM)  # the cluster stops its own workers
                try:
                    cluster.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(cluster.pid, signal.SIGKILL)
                    cluster.wait(timeout=30)
            run = AgentRun.objects.get(pk=started.run.pk)
            accepted = Sample.objects.filter(version=started.version, status__in=["ok", "repaired"]).count()
            cells = run.children.count()
            print(f"{modality:18s} {workers:7d} {cells:5d} {accepted:8d} {seconds:8.1f} {accepted / seconds:9.2f} "
                  f"{peak[0] / 1024:10.0f} MiB {peak[1] / 1024:5.0f} MiB" + ("" if run.status == "succeeded"
                                                                                  else f"  ({run.status})"))


if __name__ == "__main__":
    main()
