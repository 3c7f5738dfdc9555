#!/usr/bin/env python
"""Benchmark (not a test): response time and query count of the dashboards' API and pages with
100,000 samples and 200,000 human reviews, on PostgreSQL.

Creates (and drops again) its own database on the local PostgreSQL server (BENCH_PG_URL, default
postgres://postgres@127.0.0.1:5432/postgres names the server), fills it with 20 benchmarks of
5,000 samples, 2 reviews per sample and 2,000 LLM and tool calls per benchmark, then times each
dashboard (median of 5 calls, after one warm-up).

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
        ("API quality (1 benchmark: 5,000 samples, 10,000 reviews)", api, f"/api/dashboards/benchmarks/{biggest}/quality/"),
        ("API cost", api, "/api/dashboards/cost/"),
        ("page portfolio", page, reverse("dashboard-portfolio")),
        ("page quality", page, reverse("dashboard-quality", args=[biggest])),
        ("page cost", page, reverse("dashboard-cost")),
    ]
    print(f"{'dashboard':58} {'median ms':>10} {'max ms':>8} {'queries':>8} {'KiB':>7}")
    for label, client, url in targets:
        client.get(url)  # warm-up
        times = []
        for _ in range(5):
            with CaptureQueriesContext(connection) as queries:
                t0 = time.perf_counter()
                response = client.get(url)
                times.append(1000 * (time.perf_counter() - t0))
            assert response.status_code == 200, (url, response.status_code)
        print(f"{label:58} {statistics.median(times):10.0f} {max(times):8.0f} {len(queries):8d} "
              f"{len(response.content) / 1024:7.0f}")


if __name__ == "__main__":
    main()
