"""Reads of evaluation: a version's judge scores summarised per judge and dimension, and the
judge's scores per sample (for its agreement with human reviewers)."""
from __future__ import annotations

from typing import Any

from django.db.models import Avg, Count, Max, Q

from agents.judge import ALL_DIMENSIONS, RULES
from benchmarks.models import AgentRun, BenchmarkVersion
from evaluation.models import JudgeScore


def judge_summary(*, version: BenchmarkVersion) -> list[dict[str, Any]]:
    """Per judge (the rules, then each LLM, most recent first): samples judged and, per dimension,
    the mean of the scores given, how many were given, and how many were not scored."""
    rows = (JudgeScore.objects.filter(sample__version=version).order_by().values("model", "dimension")
            .annotate(mean=Avg("score"), scored=Count("id", filter=Q(score__isnull=False)),
                      not_scored=Count("id", filter=Q(score__isnull=True)), samples=Count("sample_id", distinct=True),
                      last=Max("created_at")))
    judges: dict[str, dict[str, Any]] = {}
    for row in rows:
        judge = judges.setdefault(row["model"], {"judge": row["model"], "samples": 0, "last": row["last"],
                                                 "dimensions": {}})
        judge["samples"] = max(judge["samples"], row["samples"])
        judge["last"] = max(judge["last"], row["last"])
        judge["dimensions"][row["dimension"]] = {
            "mean": None if row["mean"] is None else round(row["mean"], 2), "scored": row["scored"],
            "not_scored": row["not_scored"]}
    ordered = sorted(judges.values(), key=lambda j: (j["judge"] != RULES, -j["last"].timestamp()))
    return [{"judge": j["judge"], "samples": j["samples"], "last": j["last"].isoformat(),
             "dimensions": {d: j["dimensions"].get(d, {"mean": None, "scored": 0, "not_scored": 0})
                            for d in ALL_DIMENSIONS}} for j in ordered]


def judge_scores_by_sample(*, version: BenchmarkVersion, model: str, dimension: str) -> dict[int, float]:
    return dict(JudgeScore.objects.filter(sample__version=version, model=model, dimension=dimension,
                                          score__isnull=False).values_list("sample_id", "score"))


def judge_run_latest(*, version: BenchmarkVersion) -> AgentRun | None:
    return AgentRun.objects.filter(version=version, kind=AgentRun.Kind.JUDGE).order_by("-created_at", "-id").first()
