#!/usr/bin/env python
"""Benchmark (not a test): time to export a 100,000-sample version in each format (freeze, then
jsonl, hf, inspect), with the zip's size. Text items (no media), on a fresh database.

    .venv/bin/python bench/export_scale.py [--samples 100000]
"""
from __future__ import annotations

import argparse
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000)
    args = parser.parse_args()

    from _django import database_label, django_on_fresh_database

    workdir = django_on_fresh_database("bench-export-")
    from _synthetic import synthetic_versions
    from benchmarks import services
    from teams.services import team_get_or_create

    team = team_get_or_create(slug="bench")
    version, = synthetic_versions(team=team, benchmarks=1, samples_per_version=args.samples)
    print(f"database: {database_label(workdir)}; {args.samples:,} samples")
    t0 = time.perf_counter()
    services.version_freeze(version=version, user=None)
    print(f"freeze (checksum over every sample): {time.perf_counter() - t0:.2f} s")
    for fmt in ("jsonl", "hf", "inspect"):
        t0 = time.perf_counter()
        export = services.version_export(version=version, fmt=fmt)
        print(f"{fmt:8} {time.perf_counter() - t0:6.2f} s  {export.size_bytes / 2**20:7.1f} MiB  {export.items:,} items")


if __name__ == "__main__":
    main()
