#!/usr/bin/env python
"""Benchmark (not a test): response time and query count of the dashboards' API and pages with
100,000 samples and 200,000 human reviews, on PostgreSQL.

Creates (and drops again) its own database on the local PostgreSQL server (BENCH_PG_URL, default
postgres://postgres@127.0.0.1:5432/postgres names the server), fills it with 20 benchmarks of
5,000 samples, 2 reviews per sample and 2,000 LLM and tool calls per benchmark, then times each
dashboard (median of 5 calls after one warm-up; cold and warm cache). `--benchmarks 1 --samples
100000` puts all of it in one benchmark (the quality dashboard's worst case).

    .venv/bin/python bench/dashboards_scale.py [--benchmarks 20] [--samples 5000] [--keep]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid

SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmarks", type=int, default=20)
    parser.add_argument("--samples", type=int, default=5000, help="samples per benchmark")
    parser.add_argument("--reviews", type=int, default=2, help="reviews per sample")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--profile", action="store_true", help="profile one quality call (cProfile, top 25)")
    args = parser.parse_args()

    import psycopg

    name = f"bench_dashboards_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["BENCH_DATABASE_URL"] = SERVER.rsplit("/", 1)[0] + f"/{name}"
    try:
        run(args)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(SERVER, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def run(args) -> None:
    from _django import database_label, django_on_fresh_database

    workdir = django_on_fresh_database("bench-dashboards-")
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from rest_framework.test import APIClient

    from _synthetic import synthetic_versions
    from annotation.models import HumanReview
    from benchmarks.models import Sample
    from teams.models import Membership
    from teams.services import membership_set, team_get_or_create, user_get_or_create

    team = team_get_or_create(slug="bench")
    user = user_get_or_create(username="lead", password="lead-password")
    membership_set(team=team, user=user, role=Membership.Role.OWNER)
    t0 = time.perf_counter()
    versions = synthetic_versions(team=team, benchmarks=args.benchmarks, samples_per_version=args.samples,
                                  reviews_per_sample=args.reviews, llm_calls_per_version=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"database: {database_label(workdir)}")
    print(f"filled in {time.perf_counter() - t0:.1f} s: {Sample.objects.count():,} samples, "
          f"{HumanReview.objects.count():,} reviews, {len(versions)} benchmarks")

    api, page = APIClient(), Client()
    api.force_authenticate(user)
    page.force_login(user)
    biggest = versions[0].benchmark_id
    targets = [
        ("API portfolio", api, "/api/dashboards/portfolio/"),
        (f"API quality (1 benchmark: {args.samples:,} samples, {args.samples * args.reviews:,} reviews)", api,
         f"/api/dashboards/benchmarks/{biggest}/quality/"),
        ("API cost", api, "/api/dashboards/cost/"),
        ("page portfolio", page, reverse("dashboard-portfolio")),
        ("page quality", page, reverse("dashboard-quality", args=[biggest])),
        ("page cost", page, reverse("dashboard-cost")),
    ]
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(api.get, f"/api/dashboards/benchmarks/{biggest}/quality/")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    # "cold": the cache emptied before each call (review numbers computed afresh); "warm": reviews unchanged
    # since the last call, so a version's review numbers come from the cache.
    print(f"{'dashboard':62} {'cold median ms':>14} {'queries':>8} {'warm median ms':>14} {'queries':>8} {'KiB':>5}")
    for label, client, url in targets:
        client.get(url)  # warm-up
        row = []
        for cold in (True, False):
            times = []
            for _ in range(5):
                if cold:
                    cache.clear()
                with CaptureQueriesContext(connection) as queries:
                    t0 = time.perf_counter()
                    response = client.get(url)
                    times.append(1000 * (time.perf_counter() - t0))
                assert response.status_code == 200, (url, response.status_code)
            row.append((statistics.median(times), len(queries)))
        (cold_ms, cold_q), (warm_ms, warm_q) = row
        print(f"{label:62} {cold_ms:14.0f} {cold_q:8d} {warm_ms:14.0f} {warm_q:8d} {len(response.content) / 1024:5.0f}")


if __name__ == "__main__":
    main()
