#!/usr/bin/env python
"""Benchmark (not a test): offline planning time per request, on the seed pool and the starter pool.

Plans each example request of the seed pool (and the starter pool's) with the offline planner
through the Django pool adapter, and prints the time per request, the end state, the datasets
chosen and the asks the request was read into (served or not, uncertain or not, and the words
that ask them). Fresh SQLite database in a temporary folder (or BENCH_DATABASE_URL).

    .venv/bin/python bench/planning_offline.py [--repeat 5]
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from _django import database_label, django_on_fresh_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    workdir = django_on_fresh_database("bench-plan-")
    from django.conf import settings
    from django.core.management import call_command

    from agents.offline.planner import plan_offline
    from agents.tools.embedding import default_embedder
    from agents.types import BuildRequest
    from benchmarks.adapters import DjangoPool
    from datapool.services import pool_import
    from teams.services import team_get_or_create

    team = team_get_or_create(slug="bench")
    call_command("starter_pool", team=team.slug, verbosity=0)
    pool_import(team=team, pool_dir=Path(settings.SEED_POOL_DIR))
    pool = DjangoPool(team_id=team.id)
    embedder = default_embedder()
    print(f"database: {database_label(workdir)}; pool: {len(pool.cards())} datasets")
    queries = sorted(Path(settings.SEED_POOL_DIR, "user_queries").glob("*.json")) + sorted(
        Path(settings.STARTER_POOL_DIR, "user_queries").glob("*.json"))
    for path in queries:
        query = json.loads(path.read_text(encoding="utf-8"))
        request = BuildRequest(text=query["description"], target_size=int(query.get("target_size", 100)))
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            result = plan_offline(request, pool, embedder=embedder)
            times.append(time.perf_counter() - t0)
        chosen = "; ".join(f"{s.key}: " + ", ".join(f"{g.dataset_slug}{' (speech)' if g.synthesis else ''} {g.quota}"
                                                   for g in s.groundings) for s in result.subtasks) or result.reason
        print(f"{query['id'][:48]:48s} median {1000 * statistics.median(times):6.0f} ms  {result.end_state:14s} {chosen}")
        # The asks the request was read into, and whether the plan serves each.
        status = {c.key: c.status for c in result.coverage}
        for ask in result.scope.asks:
            print(f"    ask {ask.key:44s} {status.get(ask.key, '-'):10s} {'uncertain ' if ask.uncertain else ''}"
                  f"{ask.text} <- {', '.join(ask.evidence[:5])}")
        for problem in result.scope.problems:
            print(f"    problem: {problem}")


if __name__ == "__main__":
    main()
