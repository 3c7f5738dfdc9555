#!/usr/bin/env python
"""Benchmark (not a test): wall time of an evaluation run against calls x latency / concurrency.

A synthetic version of --samples text items is evaluated on a target model served by the local
OpenAI-protocol server (tests/llm_server.py) with --latency seconds per reply, at --concurrency
requests in flight; the ratio wall / ideal is printed (aim: 1.25 or less at concurrency 32).

    .venv/bin/python bench/eval_concurrency.py [--samples 640] [--latency 0.5] [--concurrency 32]
"""
from __future__ import annotations

import argparse
import re
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=640)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    from _django import database_label, django_on_fresh_database

    workdir = django_on_fresh_database("bench-eval-")
    from _synthetic import synthetic_versions
    from evaluation import services
    from evaluation.models import EvalRun, ModelAnswer, ModelEndpoint
    from teams.services import team_get_or_create
    from tests.llm_server import LLMServer, ok

    number = re.compile(r"\(#(\d+)\)")
    server = LLMServer(latency_s=args.latency,
                       default=lambda request: ok("B" if int(number.search(request.text).group(1)) % 5 else "A",
                                                  prompt_tokens=90, completion_tokens=1)).start()
    from django.conf import settings

    settings.BENCH_OUTBOUND_ALLOW = [server.host_port]  # the operator allows the local server (loopback)
    team = team_get_or_create(slug="bench")
    version, = synthetic_versions(team=team, benchmarks=1, samples_per_version=args.samples)
    endpoint = ModelEndpoint.objects.create(team=team, name="local", base_url=server.base_url, model="local",
                                                     concurrency=args.concurrency, price_input=1, price_output=4)
    run = EvalRun.objects.create(team=team, version=version, endpoint=endpoint, progress_total=args.samples)
    t0 = time.perf_counter()
    services.eval_run(run_id=run.pk)
    wall = time.perf_counter() - t0
    server.stop()
    run.refresh_from_db()
    ideal = args.samples * args.latency / args.concurrency
    print(f"database: {database_label(workdir)}")
    print(f"evaluation of {args.samples} items at {args.latency * 1000:.0f} ms latency, concurrency {args.concurrency}: "
          f"run {run.status}, accuracy {run.accuracy}, {ModelAnswer.objects.filter(run=run).count()} answers stored")
    print(f"wall {wall:.2f} s vs ideal {ideal:.2f} s (calls x latency / concurrency): ratio {wall / ideal:.2f}; "
          f"most requests in flight at once: {server.max_active}")


if __name__ == "__main__":
    main()
