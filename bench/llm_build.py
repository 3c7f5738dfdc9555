#!/usr/bin/env python
"""Benchmark (not a test): an LLM build of image items against the local OpenAI-protocol server
(tests/llm_server.py) with injected latency: wall time against the ideal (LLM calls x latency /
concurrency) as a ratio (aim: 1.25 or less at concurrency 16), and LLM calls and tokens per
accepted sample. The LLM plans (scope, design, judge); every image item goes to the item author
(it keeps the item), then to two checks at once: blind (the scripted model guesses, so about one
item in four is rejected and replaced) and ambiguity (the scripted reviewer sees the image and
knows its label).

    .venv/bin/python bench/llm_build.py [--size 200] [--latency 0.5] [--concurrency 16]
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import re
import time

from _django import database_label, django_on_fresh_database, local_llm


LABELS: dict[str, set[str]] = {}  # image sha256 -> its record's answer texts (normalised)


def _leaves(value) -> list[str]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [str(value)]


def review(request) -> list[str]:
    """The letters of the options that name the attached image's label."""
    from agents.operators import normalise

    content = request.messages[-1]["content"]
    text = "\n".join(p.get("text", "") for p in content if p.get("type") == "text")
    labels: set[str] = set()
    for part in content:
        if part.get("type") == "image_url":
            data = base64.b64decode(part["image_url"]["url"].split(",", 1)[1])
            labels |= LABELS.get(hashlib.sha256(data).hexdigest(), set())
    return [letter for letter, option in re.findall(r"^([A-H])\. (.*)$", text, re.M) if normalise(option) in labels]


def scripted(request):
    from tests.llm_server import ok_json

    name = request.body.get("response_format", {}).get("json_schema", {}).get("name")
    # Text at ~4 characters a token; an image at 85 tokens (a low-detail image on OpenAI's models).
    parts = [m["content"] if isinstance(m["content"], str) else
             "\n".join(p.get("text", "") for p in m["content"] if p.get("type") == "text") for m in request.messages]
    images = sum(1 for m in request.messages if isinstance(m["content"], list)
                 for p in m["content"] if p.get("type") == "image_url")
    tokens = max(1, len("\n".join(parts)) // 4) + 85 * images
    if name == "ScopeReply":
        return ok_json({"topic": "clothing", "modalities": ["image", "text"], "keywords": ["clothing"]},
                       prompt_tokens=tokens, completion_tokens=30)
    if name == "DesignReply":
        return ok_json({"subtasks": [{"key": "garments", "name": "Garment recognition", "modalities": ["image", "text"],
                                      "description": "Which kind of clothing item or accessory a product photo shows.",
                                      "keywords": ["clothing", "fashion", "garment", "product", "photo"],
                                      "roles": ["image", "answer"]}], "decisions": []},
                       prompt_tokens=tokens, completion_tokens=200)
    if name == "AssessReply":
        return ok_json({"scores": [{"dataset": s, "alignment": 0.9, "simplicity": 0.8, "risk": 0.1}
                                   for s in re.findall(r"^Candidate (\S+)$", request.text, re.M)]},
                       prompt_tokens=tokens, completion_tokens=60)
    if name == "AuthorReply":  # the author keeps the item (a real model would often rewrite; one call either way)
        return ok_json({"steps": [{"action": "keep", "rationale": "the label question is clear"}]},
                       prompt_tokens=tokens, completion_tokens=25)
    if name.startswith("ItemReview"):
        return ok_json({"correct": review(request), "reason": "the image shows it"}, prompt_tokens=tokens,
                       completion_tokens=20)
    return ok_json({"letter": "ABCD"[len(request.text) % 4]}, prompt_tokens=tokens, completion_tokens=3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    workdir = django_on_fresh_database("bench-llm-build-")
    from django.conf import settings
    from django.core.management import call_command
    from django.db.models import Count, Sum

    from benchmarks import services
    from benchmarks.models import LLMCall, Sample
    from teams.services import team_get_or_create

    server = local_llm(latency_s=args.latency, concurrency=args.concurrency, default=scripted)
    settings.BENCH_TASKS_INLINE = True
    # One cell: this build runs in the foreground, where cells run one after another (on a cluster
    # the shards of a large quota run side by side, each with its own start and tail).
    settings.BENCH_CELL_SHARD_SIZE = args.size
    team = team_get_or_create(slug="bench")
    call_command("starter_pool", team=team.slug, verbosity=0)
    from agents.operators import normalise
    from datapool.models import DatasetRecord

    for payload, media in DatasetRecord.objects.filter(dataset__team=team).values_list("payload", "media"):
        for ref in media:
            LABELS[ref["sha256"]] = {normalise(leaf) for leaf in _leaves(payload.get("output", payload))}
    started = services.build_start(auto_approve=True, team=team, target_size=args.size, engine="llm",
                                   run_in_background=False,
                                   text="Can a model tell which kind of clothing item a small product photo shows?")
    t0 = time.perf_counter()
    run = services.build_run_foreground(run_id=started.run.id)
    wall = time.perf_counter() - t0
    server.stop()
    calls = LLMCall.objects.filter(run__version=started.version).aggregate(
        n=Count("id"), prompt=Sum("prompt_tokens"), completion=Sum("completion_tokens"))
    accepted = Sample.objects.filter(version=started.version, status__in=["ok", "repaired"]).count()
    rejected = Sample.objects.filter(version=started.version, status="rejected").count()
    ideal = calls["n"] * args.latency / args.concurrency
    print(f"database: {database_label(workdir)}; latency {args.latency} s; concurrency {args.concurrency}")
    print(f"run {run.status}: {accepted} accepted, {rejected} rejected (blind and ambiguity checks) in {wall:.1f} s")
    print(f"LLM calls {calls['n']} (server saw {len(server.requests)}, at most {server.max_active} at once); "
          f"ideal {ideal:.1f} s; ratio {wall / ideal:.2f}")
    busy = sum(r.finished_at - r.received_at for r in server.requests if r.finished_at)
    print(f"calls in flight on average {busy / wall:.1f} of {args.concurrency}")
    print(f"per accepted sample: {calls['n'] / accepted:.2f} LLM calls, "
          f"{((calls['prompt'] or 0) + (calls['completion'] or 0)) / accepted:.0f} tokens")


if __name__ == "__main__":
    main()
