"""Synthetic benchmark versions for the review and dashboard benches: real rows (request, spec,
subtasks, groundings, samples, ledger, reviews) bulk-inserted, so a bench can reach 10,000 or
100,000 samples in seconds. The samples' text repeats a few real-looking items; what the benches
measure (sync, queries) depends on row counts and sizes, not on wording."""
from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

QUESTIONS = [
    ("The man turned on the faucet. What happened as a result?", ["The toilet filled with water.",
                                                                   "Water flowed from the spout.",
                                                                   "The sink drained.", "The pipes froze."]),
    ("The girl found a bug in her cereal. What did she do next?", ["She poured milk in the bowl.",
                                                                   "She lost her appetite.",
                                                                   "She ate the cereal.", "She bought more cereal."]),
    ("The woman's ring slipped off in the shower. What happened?", ["The ring went down the drain.",
                                                                    "The ring got polished.",
                                                                    "She put on gloves.", "The water turned cold."]),
]


def synthetic_versions(*, team, benchmarks: int, samples_per_version: int, reviews_per_sample: int = 0,
                       llm_calls_per_version: int = 0, seed: int = 0, batch: int = 5000) -> list:
    """`benchmarks` benchmarks with one version each, of `samples_per_version` accepted samples (two
    subtasks over one dataset); optionally reviewed (a review project with a task per sample and
    `reviews_per_sample` annotators' reviews each) and with LLM and tool calls in the ledger."""
    from django.utils import timezone

    from annotation.models import HumanReview, ReviewProject, ReviewTask
    from benchmarks.models import (
        AgentRun,
        Benchmark,
        BenchmarkRequest,
        BenchmarkVersion,
        Grounding,
        LLMCall,
        Sample,
        Spec,
        Subtask,
        ToolCall,
    )
    from datapool.models import Dataset, DatasetRecord

    rng = random.Random(seed)
    dataset, _ = Dataset.objects.get_or_create(team=team, slug="synthetic-copa", defaults={
        "name": "Synthetic COPA", "source_format": "jsonl", "modalities": ["text"]})
    record, _ = DatasetRecord.objects.get_or_create(dataset=dataset, source_id="r0", defaults={
        "position": 0, "payload": {"premise": "synthetic"}})
    now = timezone.now()
    versions = []
    start = Benchmark.objects.filter(team=team).count()
    for b in range(start, start + benchmarks):
        benchmark = Benchmark.objects.create(team=team, name=f"Everyday causal reasoning #{b}", slug=f"causal-{b}")
        request = BenchmarkRequest.objects.create(team=team, benchmark=benchmark, text="Cause and effect of events.",
                                                  target_size=samples_per_version)
        version = BenchmarkVersion.objects.create(benchmark=benchmark, number=1, request=request)
        spec = Spec.objects.create(version=version, engine="offline", status="approved")
        groundings = []
        for position, key in enumerate(("cause", "effect")):
            subtask = Subtask.objects.create(spec=spec, key=key, name=f"Pick the {key}", position=position,
                                             modalities=["text"], quota=samples_per_version // 2)
            groundings.append(Grounding.objects.create(subtask=subtask, dataset=dataset, quota=subtask.quota))
        run = AgentRun.objects.create(team=team, kind="build", version=version, engine="offline", status="succeeded")
        rows = []
        for i in range(samples_per_version):
            grounding = groundings[i % 2]
            question, options = QUESTIONS[i % len(QUESTIONS)]
            rows.append(Sample(version=version, subtask_id=grounding.subtask_id, grounding=grounding,
                               source_record=record, item_key=f"{grounding.subtask_id}/synthetic/{i}",
                               question=f"{question} (#{i})", options=options, answer=options[1], answer_index=1,
                               answer_type="choice", engine="offline", status="ok",
                               provenance={"run_id": run.pk}, verification={"checks": []}))
        Sample.objects.bulk_create(rows, batch_size=batch)
        if llm_calls_per_version:
            LLMCall.objects.bulk_create([
                LLMCall(team=team, run=run, role=rng.choice(["design", "author", "verify", "judge"]),
                        model=rng.choice(["gpt-4o-mini", "gpt-4o"]), prompt_tokens=rng.randint(300, 2000),
                        completion_tokens=rng.randint(20, 400), cost=Decimal("0.00042"), latency_ms=rng.randint(200, 3000))
                for _ in range(llm_calls_per_version)], batch_size=batch)
            ToolCall.objects.bulk_create([ToolCall(team=team, run=run, tool="ocr", latency_ms=rng.randint(50, 900))
                                          for _ in range(llm_calls_per_version)], batch_size=batch)
        if reviews_per_sample:
            project = ReviewProject.objects.create(team=team, version=version, ls_url="http://ls.synthetic",
                                                   ls_project_id=100000 + b, overlap=reviews_per_sample)
            ids = list(Sample.objects.filter(version=version).order_by("pk").values_list("pk", flat=True))
            ReviewTask.objects.bulk_create([ReviewTask(project=project, sample_id=s, ls_task_id=10 ** 7 * (b + 1) + s,
                                                       media_signed_at=now) for s in ids], batch_size=batch)
            tasks = dict(ReviewTask.objects.filter(project=project).values_list("sample_id", "pk"))
            reviews, annotation = [], 0
            for s in ids:
                for a in range(reviews_per_sample):
                    annotation += 1
                    accepted = rng.random() < 0.8
                    reviews.append(HumanReview(
                        team=team, project=project, task_id=tasks[s], sample_id=s, annotation_id=annotation,
                        annotator=f"annotator{(s + a) % 7}@example.org", accepted=accepted,
                        reasons=[] if accepted else [rng.choice(["ambiguous", "incorrect_answer", "poor_media"])],
                        intent_alignment=rng.randint(3, 5) if accepted else rng.randint(1, 3),
                        lead_time_seconds=rng.uniform(60, 600),
                        reviewed_at=now - timedelta(minutes=rng.randint(0, 60 * 24 * 14))))
                if len(reviews) >= batch:
                    HumanReview.objects.bulk_create(reviews)
                    reviews = []
            HumanReview.objects.bulk_create(reviews)
        versions.append(version)
    return versions
