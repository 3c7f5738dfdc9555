#!/usr/bin/env python
"""Benchmark (not a test): an LLM-engine build against a real model server, by default llama.cpp's
llama-server with SmolLM2-135M-Instruct (`bash scripts/llm.sh start`, `make llm`). Prints the run's
end state, wall time, LLM calls, tokens and money per accepted sample, and wall time against the
floor: the calls' own latencies summed, over the server's parallel slots (what the server could not
do faster). Goals (issue 17): at most 4 LLM calls per accepted sample, overhead at most 1.15x the
floor. A 135M model writes poor items, so calls per accepted sample are high with it: the figure
is about the platform's overhead and accounting, not the model.

    .venv/bin/python bench/llm_real.py [--size 6] [--url http://127.0.0.1:8090/v1]
        [--model SmolLM2-135M-Instruct] [--max-tokens 384]
        [--request "Can a model pick the most plausible cause or effect of an everyday event?"]
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from _django import database_label, django_on_fresh_database

# Made-up prices for the local model, so that money is counted (USD per 1M tokens: input, output).
PRICES = [0.01, 0.02]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=6)
    parser.add_argument("--url", default=os.environ.get("BENCH_TEST_LLM_URL")
                        or f"http://127.0.0.1:{os.environ.get('LLM_PORT', '8090')}/v1")
    parser.add_argument("--model", default="SmolLM2-135M-Instruct")
    parser.add_argument("--max-tokens", type=int, default=384)
    parser.add_argument("--request", default="Can a model pick the most plausible cause or effect of an everyday event?")
    args = parser.parse_args()

    workdir = django_on_fresh_database("bench-llm-real-")
    import httpx2
    from django.conf import settings
    from django.core.management import call_command
    from django.db.models import Count, Q, Sum

    from agents.llm.openai_backend import server_slots
    from benchmarks import services
    from benchmarks.models import AgentRun, LLMCall, Sample
    from teams.services import team_get_or_create

    try:
        httpx2.get(args.url.removesuffix("/v1") + "/health", timeout=5.0).raise_for_status()
    except httpx2.HTTPError as exc:
        raise SystemExit(f"no LLM server at {args.url} ({exc}); start one with `bash scripts/llm.sh start`")
    settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = args.url, "local"
    settings.LLM_MODEL, settings.LLM_ROLE_SETTINGS = args.model, {}
    settings.LLM_MAX_TOKENS, settings.LLM_PRICES = args.max_tokens, {args.model: PRICES}
    settings.LLM_CONCURRENCY_FROM_SERVER = True
    slots = server_slots(args.url, None) or settings.LLM_CONCURRENCY

    team = team_get_or_create(slug="bench")
    call_command("starter_pool", team=team.slug, verbosity=0)
    if Path(settings.SEED_POOL_DIR).is_dir():  # the seed pool (SEED_POOL_DIR): the default request's datasets
        call_command("import_pool", settings.SEED_POOL_DIR, team=team.slug, verbosity=0)
    started = services.build_start(auto_approve=True, team=team, target_size=args.size, engine="llm",
                                   run_in_background=False, text=args.request)
    t0 = time.perf_counter()
    services.build_run_foreground(run_id=started.run.id)
    wall = time.perf_counter() - t0
    run = AgentRun.objects.get(pk=started.run.id)

    calls = LLMCall.objects.filter(Q(run=run) | Q(run__parent=run))
    sent = calls.filter(cached=False)
    totals = sent.aggregate(n=Count("id"), prompt=Sum("prompt_tokens"), completion=Sum("completion_tokens"),
                            money=Sum("cost"), latency=Sum("latency_ms"))
    by_role = dict(sent.values_list("role").annotate(n=Count("id")))
    accepted = Sample.objects.filter(version=started.version, status__in=["ok", "repaired"]).count()
    rejected = Sample.objects.filter(version=started.version, status="rejected").count()
    floor = (totals["latency"] or 0) / 1000 / slots
    print(f"database: {database_label(workdir)}; server {args.url} ({args.model}, {slots} slots, "
          f"max_tokens {args.max_tokens})")
    print(f"run {run.status}: {accepted} accepted, {rejected} rejected of {args.size} asked in {wall:.1f} s"
          + (f" ({run.error[:160]})" if run.error else ""))
    print(f"LLM calls {totals['n']} ({calls.filter(cached=True).count()} from the cache); by role {by_role}")
    print(f"tokens {totals['prompt'] or 0} in, {totals['completion'] or 0} out; money ${totals['money'] or 0:.6f}")
    print(f"floor (call latencies / {slots} slots) {floor:.1f} s; wall / floor {wall / floor:.2f} (goal <= 1.15); "
          f"the calls one after another took {(totals['latency'] or 0) / 1000:.1f} s (planning asks one at a time)"
          if floor else "floor: no calls")
    if accepted:
        print(f"per accepted sample: {totals['n'] / accepted:.1f} LLM calls (goal <= 4), "
              f"{((totals['prompt'] or 0) + (totals['completion'] or 0)) / accepted:.0f} tokens, "
              f"${(totals['money'] or 0) / accepted:.6f}, {wall / accepted:.1f} s")
    else:
        print("per accepted sample: none accepted")


if __name__ == "__main__":
    main()
