#!/usr/bin/env python
"""Benchmark (not a test): wall time of an offline 100-sample text build on the seed pool.

Runs on a fresh SQLite database in a temporary folder (or on BENCH_DATABASE_URL when set) and
prints the figures: pool import, planning, execution, per-sample time.

    .venv/bin/python bench/build_offline_text.py [--size 100]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from _django import database_label, django_on_fresh_database

REQUEST = ("Different perspectives may offer drastically different accounts of the same event. Can a model infer "
           "the true nature of an event from multiple perspectives and answer related questions?")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100)
    args = parser.parse_args()

    workdir = django_on_fresh_database("bench-build-")
    from django.conf import settings

    from benchmarks import services
    from benchmarks.models import AgentRun, Sample, ToolCall
    from datapool.services import pool_import
    from teams.services import team_get_or_create

    team = team_get_or_create(slug="bench")

    t0 = time.perf_counter()
    reports = pool_import(team=team, pool_dir=Path(settings.SEED_POOL_DIR))
    t_import = time.perf_counter() - t0

    started = services.build_start(auto_approve=True, team=team, text=REQUEST, target_size=args.size, run_in_background=False)
    t0 = time.perf_counter()
    cells = services.build_plan(run_id=started.run.id, queue_cells=False)
    t_plan = time.perf_counter() - t0
    t0 = time.perf_counter()
    for cell_id in cells:
        services.build_cell(run_id=cell_id)
    t_exec = time.perf_counter() - t0

    run = AgentRun.objects.get(pk=started.run.id)
    accepted = Sample.objects.filter(version=started.version, status="ok").count()
    rejected = Sample.objects.filter(version=started.version, status="rejected").count()
    total = t_plan + t_exec
    print(f"database: {database_label(workdir)}")
    print(f"pool import: {len(reports)} datasets, {sum(r.imported for r in reports)} records in {t_import:.2f} s")
    print(f"offline text build, {args.size} samples requested: run {run.status}, {accepted} accepted, "
          f"{rejected} rejected by verification, {len(cells)} cells")
    print(f"  planning  {t_plan:6.2f} s")
    print(f"  execution {t_exec:6.2f} s")
    print(f"  total     {total:6.2f} s  ({1000 * total / max(accepted, 1):.1f} ms per accepted sample)")
    print(f"  tool calls recorded: {ToolCall.objects.filter(run__parent=run).count()}")


if __name__ == "__main__":
    main()
