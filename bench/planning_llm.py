#!/usr/bin/env python
"""Benchmark (not a test): LLM planning of the example requests against the local OpenAI-protocol
server (tests/llm_server.py) with injected latency: calls, tokens, money and wall time per planned
request, and what a second plan of the same request costs (the response cache).

The server is scripted: it answers each role's schema with a fixed, plausible reply (one subtask
per request, every candidate judged), so the figures measure the platform's side of planning —
prompts, concurrency, cache, ledger — not a model's quality.

    .venv/bin/python bench/planning_llm.py [--latency 0.5] [--concurrency 4]
"""
from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

from _django import ROOT, database_label, django_on_fresh_database, local_llm


def scripted(request):
    from tests.llm_server import ok_json

    name = request.body.get("response_format", {}).get("json_schema", {}).get("name")
    text = request.text
    prompt_tokens = max(1, len(text) // 4)
    if name == "ScopeReply":
        lowered = text.lower()
        modalities = ["text"] + (["audio"] if "speech" in lowered else []) + (["image"] if "image" in lowered else [])
        return ok_json({"topic": "as requested", "modalities": modalities, "keywords": ["reasoning"],
                        "rationale": "scripted"}, prompt_tokens=prompt_tokens, completion_tokens=40)
    if name == "DesignReply":
        request_text = re.search(r"Request: (.*)", text).group(1)
        words = [w for w in re.findall(r"[a-z]+", request_text.lower()) if len(w) > 5][:6]
        return ok_json({"subtasks": [{
            "key": "main-skill", "name": "Main skill", "description": request_text[:600],
            "answer_type": "choice", "modalities": ["text"], "keywords": words,
            "sample_schema": {"question": "text", "options": "list[text]", "answer": "text"},
            "importance": 1, "roles": ["question", "answer"], "rationale": "scripted"}],
            "decisions": [{"action": "propose", "key": "main-skill", "rationale": "scripted"}]},
            prompt_tokens=prompt_tokens, completion_tokens=250)
    if name == "AssessReply":
        slugs = re.findall(r"^Candidate (\S+)$", text, re.M)
        return ok_json({"scores": [{"dataset": s, "alignment": 0.8, "simplicity": 0.7, "risk": 0.2,
                                    "rationale": "scripted"} for s in slugs]},
                       prompt_tokens=prompt_tokens, completion_tokens=60 * len(slugs))
    return ok_json({})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    workdir = django_on_fresh_database("bench-plan-llm-")
    from django.conf import settings
    from django.db.models import Count, Sum

    from benchmarks import services
    from benchmarks.models import LLMCall, Spec
    from datapool.services import pool_import
    from teams.services import team_get_or_create

    server = local_llm(latency_s=args.latency, concurrency=args.concurrency, default=scripted)
    team = team_get_or_create(slug="bench")
    pool_import(team=team, pool_dir=Path(settings.SEED_POOL_DIR))
    print(f"database: {database_label(workdir)}; latency {args.latency} s; concurrency {args.concurrency}")
    for path in sorted(Path(settings.SEED_POOL_DIR, "user_queries").glob("*.json")):
        query = json.loads(path.read_text(encoding="utf-8"))
        for attempt in ("first", "again"):
            t0 = time.perf_counter()
            started = services.build_start(team=team, text=query["description"], target_size=query["target_size"],
                                           engine="llm", run_in_background=False)
            services.build_plan(run_id=started.run.id)
            wall = time.perf_counter() - t0
            spec = Spec.objects.get(version=started.version)
            calls = LLMCall.objects.filter(run=started.run).aggregate(
                n=Count("id"), prompt=Sum("prompt_tokens"), completion=Sum("completion_tokens"), cost=Sum("cost"))
            hits = LLMCall.objects.filter(run=started.run, cached=True).count()
            print(f"{query['id'][:44]:44s} {attempt:5s} {spec.end_state:10s} wall {wall:5.2f} s  "
                  f"calls {calls['n']} (cached {hits})  tokens {calls['prompt'] or 0}+{calls['completion'] or 0}  "
                  f"${calls['cost'] or 0:.5f}")
    server.stop()
    print(f"(server saw {len(server.requests)} requests; root {ROOT})")


if __name__ == "__main__":
    main()
