"""The numbers of the three dashboards — portfolio, benchmark quality, cost — from the benchmarks'
ledger and human review. Pages and API serve the same dicts: what a page draws is what the API says.
A handful of grouped queries whatever the portfolio's size."""
from __future__ import annotations

from typing import Any

from django.db.models import Count

from agents.judge import RULES
from annotation import selectors as review_selectors
from annotation.agreement import spearman
from benchmarks import selectors as benchmark_selectors
from benchmarks.models import Benchmark, BenchmarkVersion, Sample
from evaluation import selectors as evaluation_selectors


def _per(value: float, count: int, digits: int = 4) -> float | None:
    return round(value / count, digits) if count else None


def portfolio_overview(*, team_ids: list[int]) -> dict[str, Any]:
    """Each benchmark's latest version: size, acceptance, intent alignment, cost, minutes per sample."""
    versions = benchmark_selectors.latest_versions(team_ids=team_ids)
    ids = [v.id for v in versions]
    accepted = benchmark_selectors.accepted_by_version(version_ids=ids)
    costs = benchmark_selectors.costs_by_version(version_ids=ids)
    reviews = review_selectors.reviews_by_version(version_ids=ids)
    rows = []
    for version in versions:
        size, cost, review = accepted.get(version.id, 0), costs[version.id], reviews.get(version.id, {})
        agent_minutes = (cost["llm_ms"] + cost["tool_ms"]) / 60000
        rows.append({
            "benchmark_id": version.benchmark_id, "name": version.benchmark.name, "team": version.benchmark.team.slug,
            "version": version.number, "size": size, "target_size": version.request.target_size,
            "reviews": review.get("reviews", 0), "reviewed_samples": review.get("reviewed_samples", 0),
            "acceptance_rate": review.get("acceptance_rate"), "intent_mean": review.get("intent_mean"),
            "tokens": cost["tokens"], "money_usd": round(cost["money_usd"], 6),
            "money_per_sample_usd": _per(cost["money_usd"], size, 6),
            "agent_minutes_per_sample": _per(agent_minutes, size),
            "human_minutes_per_sample": review.get("human_minutes_per_sample"),
        })
    reviewed = [r for r in rows if r["reviews"]]
    review_count = sum(r["reviews"] for r in reviewed)
    return {
        "benchmarks": rows,
        "totals": {
            "benchmarks": len(rows), "samples": sum(r["size"] for r in rows), "reviews": review_count,
            "acceptance_rate": (round(sum(r["acceptance_rate"] * r["reviews"] for r in reviewed) / review_count, 4)
                                if review_count else None),
            "tokens": sum(r["tokens"] for r in rows), "money_usd": round(sum(r["money_usd"] for r in rows), 6),
        },
    }


def benchmark_quality(*, benchmark: Benchmark, version: BenchmarkVersion) -> dict[str, Any]:
    """Human review of one version: acceptance by subtask and dataset, intent alignment, reject
    reasons, agreement, annotators; with the agent's minutes and money per sample beside the human minutes."""
    stats = review_selectors.version_review_stats(version=version)
    size = benchmark_selectors.accepted_by_version(version_ids=[version.id]).get(version.id, 0)
    cost = benchmark_selectors.costs_by_version(version_ids=[version.id])[version.id]
    agent_minutes = (cost["llm_ms"] + cost["tool_ms"]) / 60000
    judges = evaluation_selectors.judge_summary(version=version)
    return {
        "benchmark_id": benchmark.pk, "name": benchmark.name, "version": version.number, "size": size,
        **stats,
        "agent_minutes_per_sample": _per(agent_minutes, size),
        "money_per_sample_usd": _per(cost["money_usd"], size, 6),
        "judges": judges,
        "judge_vs_human": judge_vs_human(version=version, judges=judges),
        "baseline": evaluation_selectors.baseline_comparison(version=version),
    }


def judge_vs_human(*, version: BenchmarkVersion, judges: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Spearman's rho between the latest LLM judge's UIA and the annotators' mean intent alignment,
    over the samples both scored (the rules judge does not score UIA)."""
    llm = next((j["judge"] for j in judges if j["judge"] != RULES), None)
    if llm is None:
        return None
    uia = evaluation_selectors.judge_scores_by_sample(version=version, model=llm, dimension="UIA")
    intent = review_selectors.intent_by_sample(version=version)
    shared = sorted(set(uia) & set(intent))
    rho = spearman([uia[s] for s in shared], [intent[s] for s in shared]) if shared else None
    return {"judge": llm, "samples": len(shared), "spearman": None if rho is None else round(rho, 4)}


def cost_overview(*, team_ids: list[int]) -> dict[str, Any]:
    """Tokens and money by agent role and model; agent and human minutes per sample by benchmark;
    and both over time (per day)."""
    portfolio = portfolio_overview(team_ids=team_ids)
    agent_days = benchmark_selectors.agent_costs_by_day(team_ids=team_ids)
    human_days = review_selectors.human_minutes_by_day(team_ids=team_ids)
    days = []
    for day in sorted(set(agent_days) | set(human_days)):
        agent, human = agent_days.get(day, {}), human_days.get(day, {})
        days.append({"day": day, "tokens": agent.get("tokens", 0), "money_usd": round(agent.get("money_usd", 0.0), 6),
                     "agent_minutes": round(agent.get("agent_minutes", 0.0), 3), "samples": agent.get("samples", 0),
                     "reviews": human.get("reviews", 0), "human_minutes": human.get("human_minutes", 0.0)})
    return {
        "by_role_model": benchmark_selectors.llm_costs_by_role_model(team_ids=team_ids),
        "minutes_per_sample": [{key: row[key] for key in ("benchmark_id", "name", "version", "size",
                                                          "agent_minutes_per_sample", "human_minutes_per_sample",
                                                          "money_per_sample_usd")}
                               for row in portfolio["benchmarks"]],
        "by_day": days,
        "totals": portfolio["totals"],
    }


def version_comparison(*, benchmark) -> list[dict[str, Any]]:
    """Each version of the benchmark side by side: size (per subtask), source records shared with an
    earlier version (0 for a refresh), judge means per dimension (per judge), human acceptance, and
    each model's accuracy from its latest run."""
    versions = list(benchmark.versions.order_by("number"))
    numbers = {v.pk: v.number for v in versions}
    sizes: dict[int, dict[str, int]] = {}
    for version_id, key, n in (Sample.objects.filter(version__in=versions, status__in=("ok", "repaired")).order_by()
                               .values_list("version_id", "subtask__key").annotate(n=Count("id"))):
        sizes.setdefault(version_id, {})[key] = n
    records = {v.pk: set(Sample.objects.filter(version=v, status__in=("ok", "repaired"))
                         .values_list("source_record_id", flat=True)) for v in versions}
    reviews = review_selectors.reviews_by_version(version_ids=[v.pk for v in versions])
    out, seen = [], set()
    for version in versions:
        accuracies = {}
        for row in evaluation_selectors.leaderboard(version=version)["models"]:
            accuracies[row["model"]] = row["accuracy"]
        judges = {j["judge"]: {d: v["mean"] for d, v in j["dimensions"].items()}
                  for j in evaluation_selectors.judge_summary(version=version)}
        out.append({"version": version.number, "refreshed_from": numbers.get(version.refreshed_from_id),
                    "frozen": version.frozen, "checksum": version.checksum,
                    "size": sum(sizes.get(version.pk, {}).values()), "subtasks": sizes.get(version.pk, {}),
                    "records_shared_with_earlier": len(records[version.pk] & seen),
                    "acceptance_rate": reviews.get(version.pk, {}).get("acceptance_rate"),
                    "judges": judges, "models": accuracies})
        seen |= records[version.pk]
    return out
