#!/usr/bin/env python
"""Benchmark (not a test): import throughput and peak memory of a large JSON Lines file.

Writes a JSONL file of N rows (question, 4 options, letter answer, a context paragraph), then
imports it through the streaming importer into a fresh SQLite database in a temporary folder (or
BENCH_DATABASE_URL) and prints rows per second and the process's peak resident memory.

    .venv/bin/python bench/import_throughput.py [--rows 1000000]
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import time
from pathlib import Path

from _django import database_label, django_on_fresh_database

WORDS = ("event account witness report river market council storm bridge harvest letter museum "
         "painting village station engine garden treaty festival archive").split()


def write_jsonl(path: Path, rows: int) -> None:
    rng = random.Random(0)
    with path.open("w", encoding="utf-8") as handle:
        for i in range(rows):
            context = " ".join(rng.choice(WORDS) for _ in range(40))
            options = [" ".join(rng.choice(WORDS) for _ in range(3)) for _ in range(4)]
            handle.write(json.dumps({"id": f"r{i}", "context": context, "question": f"Which account fits item {i}?",
                                     "options": options, "answer": "ABCD"[i % 4]}) + "\n")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    workdir = django_on_fresh_database("bench-import-")

    from datapool.importers.tabular import dataset_import_table
    from teams.services import team_get_or_create

    team = team_get_or_create(slug="bench")
    source = workdir / "big.jsonl"
    t0 = time.perf_counter()
    write_jsonl(source, args.rows)
    print(f"wrote {args.rows:,} rows ({source.stat().st_size / 2**20:.0f} MB) in {time.perf_counter() - t0:.1f} s")
    before = peak_rss_mb()
    t0 = time.perf_counter()
    report = dataset_import_table(team=team, path=source, name="Big", mapping={"question": "question", "options": "options",
                                                                             "answer": "answer", "context": "context"})
    elapsed = time.perf_counter() - t0
    print(f"database: {database_label(workdir)}")
    print(f"imported {report.created:,} rows ({report.bad_row_count} bad) in {elapsed:.1f} s: "
          f"{report.created / elapsed:,.0f} rows/s")
    print(f"peak resident memory: {peak_rss_mb():.0f} MB (before the import: {before:.0f} MB)")


if __name__ == "__main__":
    main()
