#!/usr/bin/env python
"""Benchmark (not a test): time to send a 10,000-sample version to Label Studio, webhook handling
latency, and a reconcile pull over the 10,000-task project.

Needs the local Label Studio (`bash scripts/labelstudio.sh start`, or LABEL_STUDIO_URL and
LABEL_STUDIO_API_KEY). The platform runs on a fresh database (SQLite, or BENCH_DATABASE_URL) and
is served on a free local port for the webhooks; each webhook pulls its task inline.

    .venv/bin/python bench/review_sync.py [--samples 10000] [--annotations 50]
"""
from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

ROOT = Path(__file__).resolve().parents[1]


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10000)
    parser.add_argument("--annotations", type=int, default=50)
    args = parser.parse_args()

    home = ROOT / "var" / "labelstudio"
    os.environ.setdefault("LABEL_STUDIO_URL", f"http://127.0.0.1:{(home / 'port').read_text().strip()}")
    os.environ.setdefault("LABEL_STUDIO_API_KEY", (home / "token").read_text().strip())
    from _django import database_label, django_on_fresh_database

    workdir = django_on_fresh_database("bench-review-")
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    from _synthetic import synthetic_versions
    from annotation import services
    from annotation.labelstudio import verdict_result
    from annotation.models import HumanReview, ReviewTask
    from teams.services import team_get_or_create

    server = make_server("127.0.0.1", 0, get_wsgi_application(), server_class=_Server, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.BENCH_PUBLIC_URL = settings.BENCH_WEBHOOK_BASE_URL = f"http://127.0.0.1:{server.server_port}"
    settings.BENCH_TASKS_INLINE = False  # the sync is timed on its own below

    team = team_get_or_create(slug="bench")
    t0 = time.perf_counter()
    version, = synthetic_versions(team=team, benchmarks=1, samples_per_version=args.samples)
    print(f"database: {database_label(workdir)}; Label Studio at {settings.LABEL_STUDIO_URL}")
    print(f"{args.samples:,} samples made in {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    project = services.review_open(version=version, user=None, overlap=1)
    t_open = time.perf_counter() - t0
    t0 = time.perf_counter()
    sent = services.review_sync(project_id=project.pk)
    t_sync = time.perf_counter() - t0
    print(f"project + webhook created in {t_open:.2f} s")
    print(f"sync: {sent:,} tasks in {t_sync:.2f} s ({sent / t_sync:,.0f} tasks/s, batches of "
          f"{settings.BENCH_REVIEW_SYNC_BATCH})")
    t0 = time.perf_counter()
    assert services.review_sync(project_id=project.pk) == 0
    print(f"sync again (nothing new): {time.perf_counter() - t0:.2f} s")

    # Webhooks: each annotation made in Label Studio calls our endpoint, which pulls the task with our token.
    settings.BENCH_TASKS_INLINE = True
    client = services.label_studio()
    tasks = list(ReviewTask.objects.filter(project=project).order_by("pk").values_list("ls_task_id", flat=True))
    latencies, posts = [], []
    for i, task_id in enumerate(tasks[:args.annotations]):
        t0 = time.perf_counter()
        client.create_annotation(task_id, verdict_result(accept=i % 4 != 0, intent=4), lead_time_s=30)
        posts.append(time.perf_counter() - t0)
        while not HumanReview.objects.filter(project=project, task__ls_task_id=task_id).exists():
            if time.perf_counter() - t0 > 10:
                raise SystemExit(f"no review stored for task {task_id} after 10 s")
            time.sleep(0.002)
        latencies.append(time.perf_counter() - t0)
    ms = sorted(1000 * x for x in latencies)
    print(f"webhook: {len(ms)} annotations; annotation posted -> review stored: median {statistics.median(ms):.0f} ms, "
          f"p95 {ms[int(0.95 * (len(ms) - 1))]:.0f} ms, max {ms[-1]:.0f} ms "
          f"(Label Studio's own POST incl. its synchronous webhook call: median {1000 * statistics.median(posts):.0f} ms)")

    # A reconcile pull: only the tasks changed since the last pull, over the 10,000-task project.
    settings.BENCH_TASKS_INLINE = False
    t0 = time.perf_counter()
    full = services.review_reconcile(project_id=project.pk, full=True)
    t_full = time.perf_counter() - t0
    for task_id in tasks[args.annotations:args.annotations + 20]:
        client.create_annotation(task_id, verdict_result(accept=True, intent=5), lead_time_s=20)
    t0 = time.perf_counter()
    delta = services.review_reconcile(project_id=project.pk)
    t_delta = time.perf_counter() - t0
    print(f"reconcile, every task: {full.tasks:,} tasks read in {t_full:.2f} s; since the last pull: {delta.tasks} "
          f"tasks, {delta.created} new reviews in {t_delta:.2f} s")
    server.shutdown()


if __name__ == "__main__":
    main()
