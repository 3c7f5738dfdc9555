"""Reads of evaluation: a version's judge scores summarised per judge and dimension, the judge's
scores per sample (for its agreement with human reviewers), registered models, evaluation runs,
and a version's leaderboard with its consistency checks."""
from __future__ import annotations

from typing import Any

from django.db.models import Avg, Count, Max, Q, QuerySet

from agents.evaluate.stats import SATURATION, ranking_stability, scaling_violations
from agents.judge import ALL_DIMENSIONS, RULES
from benchmarks.models import AgentRun, BenchmarkVersion
from evaluation.models import BaselineItem, EvalRun, JudgeScore, ModelAnswer, ModelEndpoint


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


def endpoint_list(*, team_ids: list[int]) -> QuerySet[ModelEndpoint]:
    return ModelEndpoint.objects.filter(team_id__in=team_ids).select_related("team").order_by("name", "id")


def eval_run_list(*, team_ids: list[int]) -> QuerySet[EvalRun]:
    return EvalRun.objects.filter(team_id__in=team_ids).select_related("endpoint", "version__benchmark")


def leaderboard(*, version: BenchmarkVersion) -> dict[str, Any]:
    """Each model's latest finished run on the version, best first, with its interval and chance
    level; and the consistency checks: ranking stability across bootstrap resamples (Kendall's tau),
    scaling within each declared family, saturation, models not above chance."""
    latest: dict[int, EvalRun] = {}
    for run in (EvalRun.objects.filter(version=version, status=EvalRun.Status.SUCCEEDED).select_related("endpoint")
                .order_by("endpoint_id", "-finished_at", "-id")):
        latest.setdefault(run.endpoint_id, run)
    rows = []
    for run in latest.values():
        summary = run.summary or {}
        ci = summary.get("ci95")
        rows.append({"model": run.endpoint.name, "endpoint_id": run.endpoint_id, "run_id": run.pk,
                     "family": run.endpoint.family, "scale": run.endpoint.scale, "accuracy": run.accuracy,
                     "ci95": ci, "chance": summary.get("chance"), "subtasks": summary.get("subtasks", {}),
                     "answered": summary.get("answered", 0), "failed": summary.get("failed", 0),
                     "money_usd": summary.get("money_usd", "0"),
                     "above_chance": bool(ci and summary.get("chance") is not None and ci[0] > summary["chance"])})
    rows.sort(key=lambda r: (-(r["accuracy"] or 0), r["model"]))
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
    results: dict[str, dict[int, bool]] = {}
    for model, sample_id, correct in (ModelAnswer.objects.filter(run_id__in=[r["run_id"] for r in rows],
                                                                 correct__isnull=False)
                                      .values_list("run__endpoint__name", "sample_id", "correct")):
        results.setdefault(model, {})[sample_id] = correct
    families: dict[str, list[tuple[str, float, float]]] = {}
    for row in rows:
        if row["family"] and row["scale"] is not None and row["accuracy"] is not None:
            families.setdefault(row["family"], []).append((row["model"], row["scale"], row["accuracy"]))
    best = rows[0]["accuracy"] if rows and rows[0]["accuracy"] is not None else None
    warnings = [f"{row['model']} is not above chance ({row['chance']:.1%}): its interval starts at {row['ci95'][0]:.1%}"
                for row in rows if row["ci95"] and row["chance"] is not None and not row["above_chance"]]
    violations = {family: scaling_violations(members) for family, members in sorted(families.items())}
    warnings += [v for found in violations.values() for v in found]
    if best is not None and best > SATURATION:
        warnings.append(f"saturated: the best model scores {best:.1%} (above {SATURATION:.0%}); refresh the benchmark "
                        "with harder items")
    return {"models": rows, "ranking_stability": ranking_stability(results),
            "scaling": {family: {"monotonic": not found, "violations": found} for family, found in violations.items()},
            "saturated": best is not None and best > SATURATION, "warnings": warnings}



def baseline_comparison(*, version: BenchmarkVersion) -> dict[str, Any] | None:
    """The latest direct-prompting baseline of the version beside the agent's samples, per dimension:
    the mean score the same judge gave each (None when that judge has not scored the agent's samples)."""
    run = (AgentRun.objects.filter(version=version, kind=AgentRun.Kind.BASELINE, status__in=[AgentRun.Status.SUCCEEDED,
                                                                                   AgentRun.Status.PARTIAL])
           .order_by("-created_at", "-id").first())
    if run is None:
        return None
    items = list(BaselineItem.objects.filter(run=run).values_list("judge", "scores"))
    judge = next((j for j, _ in items if j), "")
    baseline = {}
    for dimension in ALL_DIMENSIONS:
        values = [s[dimension]["score"] for _, s in items if s.get(dimension, {}).get("score") is not None]
        baseline[dimension] = round(sum(values) / len(values), 2) if values else None
    agent = next((j["dimensions"] for j in judge_summary(version=version) if j["judge"] == judge), {})
    return {"run_id": run.pk, "judge": judge, "items": len(items),
            "baseline": baseline, "agent": {d: agent.get(d, {}).get("mean") for d in ALL_DIMENSIONS}}
