"""Reads of the benchmarks app. Every function takes the caller's team ids: nothing leaves its team."""
from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate

from benchmarks.models import (
    AgentRun,
    AgentRunEvent,
    Benchmark,
    BenchmarkVersion,
    Grounding,
    LLMCall,
    MediaAsset,
    Sample,
    Spec,
    Subtask,
    ToolCall,
)

ACCEPTED = (Sample.Status.OK, Sample.Status.REPAIRED)


def benchmark_list(*, team_ids: list[int]) -> QuerySet[Benchmark]:
    return (Benchmark.objects.filter(team_id__in=team_ids).select_related("team")
            .annotate(version_count=Count("versions", distinct=True)).order_by("-created_at", "-id"))


def benchmark_get(*, team_ids: list[int], pk: int) -> Benchmark | None:
    return benchmark_list(team_ids=team_ids).filter(pk=pk).first()


def version_latest(*, benchmark: Benchmark) -> BenchmarkVersion | None:
    return (benchmark.versions.select_related("request", "spec").order_by("-number").first())


def version_list(*, team_ids: list[int]) -> QuerySet[BenchmarkVersion]:
    return (BenchmarkVersion.objects.filter(benchmark__team_id__in=team_ids)
            .select_related("benchmark", "request")
            .annotate(accepted_count=Count("samples", filter=Q(samples__status__in=ACCEPTED))))


def run_list(*, team_ids: list[int]) -> QuerySet[AgentRun]:
    return AgentRun.objects.filter(team_id__in=team_ids).select_related("version__benchmark")


def run_get(*, team_ids: list[int], pk: int) -> AgentRun | None:
    return run_list(team_ids=team_ids).filter(pk=pk).first()


def build_run_for_version(*, version: BenchmarkVersion) -> AgentRun | None:
    return (version.runs.filter(kind=AgentRun.Kind.BUILD)
            .prefetch_related(Prefetch("children", queryset=AgentRun.objects.select_related("grounding__dataset",
                                                                                             "grounding__subtask")))
            .order_by("-created_at").first())


def sample_list(*, team_ids: list[int]) -> QuerySet[Sample]:
    return (Sample.objects.filter(version__benchmark__team_id__in=team_ids)
            .select_related("subtask", "grounding__dataset", "source_record", "version__benchmark")
            .prefetch_related("media"))


def sample_get(*, team_ids: list[int], pk: int) -> Sample | None:
    return sample_list(team_ids=team_ids).filter(pk=pk).first()


def media_asset_get(*, team_ids: list[int], uid) -> MediaAsset | None:
    return MediaAsset.objects.filter(team_id__in=team_ids, uid=uid).first()


# --- Reads for the pages -------------------------------------------------------------------------

def benchmark_portfolio(*, team_ids: list[int]) -> QuerySet[Benchmark]:
    """The teams' benchmarks, each annotated with its latest version, that version's accepted-sample
    count and its latest build run (id, status, progress, engine), in one query."""
    latest_version = BenchmarkVersion.objects.filter(benchmark=OuterRef("pk")).order_by("-number")
    latest_run = (AgentRun.objects.filter(version_id=OuterRef("latest_version_id"), kind=AgentRun.Kind.BUILD)
                  .order_by("-created_at", "-id"))
    accepted = (Sample.objects.filter(version_id=OuterRef("latest_version_id"), status__in=ACCEPTED)
                .order_by().values("version_id").annotate(n=Count("id")).values("n"))
    return (Benchmark.objects.filter(team_id__in=team_ids).select_related("team").order_by("-created_at", "-id")
            .annotate(latest_version_id=Subquery(latest_version.values("id")[:1]),
                      latest_version_number=Subquery(latest_version.values("number")[:1]))
            .annotate(accepted_count=Coalesce(Subquery(accepted[:1]), 0),
                      run_id=Subquery(latest_run.values("id")[:1]),
                      run_status=Subquery(latest_run.values("status")[:1]),
                      run_stage=Subquery(latest_run.values("stage")[:1]),
                      run_done=Subquery(latest_run.values("progress_done")[:1]),
                      run_total=Subquery(latest_run.values("progress_total")[:1]),
                      run_engine=Subquery(latest_run.values("engine")[:1])))


def version_get(*, benchmark: Benchmark, number: int | None = None) -> BenchmarkVersion | None:
    """The benchmark's version with this number, or its latest when number is None."""
    if number is None:
        return version_latest(benchmark=benchmark)
    return benchmark.versions.select_related("request", "spec").filter(number=number).first()


def spec_subtasks(*, version: BenchmarkVersion) -> list[Subtask]:
    """The version's subtasks in plan order, with their groundings and datasets (empty before planning)."""
    return list(Subtask.objects.filter(spec__version=version)
                .prefetch_related(Prefetch("groundings", queryset=Grounding.objects.select_related("dataset")))
                .order_by("position", "id"))


def spec_list(*, team_ids: list[int]) -> QuerySet[Spec]:
    """Specs of the teams' benchmarks, each with its subtasks, groundings and datasets."""
    return (Spec.objects.filter(version__benchmark__team_id__in=team_ids)
            .select_related("version__request", "version__benchmark__team", "approved_by")
            .prefetch_related(Prefetch("subtasks", queryset=Subtask.objects.order_by("position", "id")),
                              Prefetch("subtasks__groundings", queryset=Grounding.objects.select_related("dataset"))))


def spec_get(*, team_ids: list[int], pk: int) -> Spec | None:
    return spec_list(team_ids=team_ids).filter(pk=pk).first()


def spec_for_version(*, team_ids: list[int], version: BenchmarkVersion) -> Spec | None:
    return spec_list(team_ids=team_ids).filter(version=version).first()


def run_events_recent(*, run: AgentRun, limit: int = 8) -> list[AgentRunEvent]:
    """The newest events of a run and of its cell runs, oldest first."""
    events = (AgentRunEvent.objects.filter(Q(run=run) | Q(run__parent=run)).select_related("run")
              .order_by("-id")[:limit])
    return list(reversed(events))


def version_sample_list(*, team_ids: list[int], version: BenchmarkVersion, subtask_key: str = "",
                        status: str = "") -> QuerySet[Sample]:
    """A version's samples, optionally of one subtask (by key) and one status."""
    samples = sample_list(team_ids=team_ids).filter(version=version)
    if subtask_key:
        samples = samples.filter(subtask__key=subtask_key)
    if status:
        samples = samples.filter(status=status)
    return samples.order_by("id")


def version_sample_status_counts(*, version: BenchmarkVersion) -> dict[str, int]:
    """Number of the version's samples per status, every status present (zero when none)."""
    counts = dict(version.samples.order_by().values_list("status").annotate(n=Count("id")))
    return {status: counts.get(status, 0) for status in Sample.Status.values}


def run_cells(*, run: AgentRun) -> list[AgentRun]:
    """A build run's cell runs, each with its subtask and dataset."""
    return list(run.children.select_related("grounding__dataset", "grounding__subtask").order_by("id"))


def version_numbers(*, benchmark: Benchmark) -> list[int]:
    """The benchmark's version numbers, newest first."""
    return list(benchmark.versions.order_by("-number").values_list("number", flat=True))


# --- Reads for the REST API ----------------------------------------------------------------------
# The same team-scoped querysets, with what the API's serializers need prefetched.

def benchmark_list_detailed(*, team_ids: list[int]) -> QuerySet[Benchmark]:
    """Benchmarks with their versions (newest first), specs, subtasks, groundings and build runs."""
    versions = (BenchmarkVersion.objects.select_related("spec")
                .annotate(accepted_count=Count("samples", filter=Q(samples__status__in=ACCEPTED)))
                .order_by("-number"))
    build_runs = AgentRun.objects.filter(kind=AgentRun.Kind.BUILD).order_by("-created_at", "-id")
    return benchmark_list(team_ids=team_ids).prefetch_related(
        Prefetch("versions", queryset=versions),
        "versions__spec__subtasks__groundings__dataset",
        Prefetch("versions__runs", queryset=build_runs, to_attr="build_runs"),
    )


RUN_RECENT_EVENTS = 20


def run_list_detailed(*, team_ids: list[int]) -> QuerySet[AgentRun]:
    """Runs with their cell runs and their last RUN_RECENT_EVENTS events (as `recent_events`, newest first)."""
    children = AgentRun.objects.select_related("grounding__dataset", "grounding__subtask").order_by("id")
    recent_events = AgentRunEvent.objects.order_by("-id")[:RUN_RECENT_EVENTS]
    return (run_list(team_ids=team_ids).order_by("-created_at", "-id").prefetch_related(
        Prefetch("children", queryset=children),
        Prefetch("events", queryset=recent_events, to_attr="recent_events"),
    ))


def spec_candidates(*, spec: Spec) -> dict[str, list[dict]]:
    """Per subtask, the datasets its last grounding round considered, with scores and the decision."""
    latest: dict[str, list[dict]] = {}
    for step in spec.trace:
        if step.get("step") == "grounding" and step.get("subtask"):
            latest[step["subtask"]] = step.get("candidates", [])
    return latest


def spec_decisions(*, spec: Spec) -> list[dict]:
    """Every design decision of the planning loop, in order, with its round and rationale."""
    return [decision for step in spec.trace if step.get("step") == "design" for decision in step.get("decisions", [])]


def spec_llm_calls(*, spec: Spec) -> list[LLMCall]:
    """The LLM calls planning made for the spec's version (its build runs, not the cells)."""
    return list(LLMCall.objects.filter(run__version_id=spec.version_id, run__kind=AgentRun.Kind.BUILD)
                .order_by("created_at", "id")
                .only("role", "model", "prompt_tokens", "completion_tokens", "cost", "latency_ms", "cached",
                      "created_at"))


def run_costs(*, run: AgentRun) -> dict:
    """What a run spent, with its cells: LLM calls (tokens, money, minutes) and tool calls (minutes),
    and per accepted sample of its version: agent minutes and money."""
    runs = AgentRun.objects.filter(Q(pk=run.pk) | Q(parent_id=run.pk))
    llm = LLMCall.objects.filter(run__in=runs).aggregate(
        calls=Count("id"), cached=Count("id", filter=Q(cached=True)), prompt=Sum("prompt_tokens"),
        completion=Sum("completion_tokens"), money=Sum("cost"), ms=Sum("latency_ms"))
    tools = ToolCall.objects.filter(run__in=runs).aggregate(calls=Count("id"), ms=Sum("latency_ms"))
    accepted = Sample.objects.filter(version_id=run.version_id, status__in=ACCEPTED).count()
    money = llm["money"] or Decimal(0)
    minutes = ((llm["ms"] or 0) + (tools["ms"] or 0)) / 60000
    return {
        "llm_calls": llm["calls"], "llm_cached_calls": llm["cached"], "prompt_tokens": llm["prompt"] or 0,
        "completion_tokens": llm["completion"] or 0, "money_usd": f"{money:.6f}",
        "llm_minutes": round((llm["ms"] or 0) / 60000, 4), "tool_calls": tools["calls"],
        "tool_minutes": round((tools["ms"] or 0) / 60000, 4), "agent_minutes": round(minutes, 4),
        "accepted_samples": accepted,
        "agent_minutes_per_sample": round(minutes / accepted, 5) if accepted else None,
        "money_per_sample_usd": f"{money / accepted:.6f}" if accepted else None,
    }


# --- Reads for the dashboards ----------------------------------------------------------------------

def latest_versions(*, team_ids: list[int]) -> list[BenchmarkVersion]:
    """The latest version of each of the teams' benchmarks (benchmark and request loaded)."""
    latest = BenchmarkVersion.objects.filter(benchmark=OuterRef("benchmark")).order_by("-number").values("id")[:1]
    return list(BenchmarkVersion.objects.filter(benchmark__team_id__in=team_ids, id=Subquery(latest))
                .select_related("benchmark__team", "request").order_by("-benchmark__created_at", "-benchmark_id"))


def accepted_by_version(*, version_ids: list[int]) -> dict[int, int]:
    return dict(Sample.objects.filter(version_id__in=version_ids, status__in=ACCEPTED).order_by()
                .values_list("version_id").annotate(n=Count("id")))


def costs_by_version(*, version_ids: list[int]) -> dict[int, dict]:
    """Per version, what its build and cell runs spent: LLM calls, tokens, money and minutes, tool minutes."""
    out: dict[int, dict] = {v: {"llm_calls": 0, "tokens": 0, "money_usd": 0.0, "llm_ms": 0, "tool_ms": 0}
                            for v in version_ids}
    building = (AgentRun.Kind.BUILD, AgentRun.Kind.CELL)  # judging a version is not part of making it
    for row in (LLMCall.objects.filter(run__version_id__in=version_ids, run__kind__in=building).order_by()
                .values("run__version_id")
                .annotate(calls=Count("id"), prompt=Sum("prompt_tokens"), completion=Sum("completion_tokens"),
                          money=Sum("cost"), ms=Sum("latency_ms"))):
        out[row["run__version_id"]].update(
            llm_calls=row["calls"], tokens=(row["prompt"] or 0) + (row["completion"] or 0),
            money_usd=float(row["money"] or 0), llm_ms=row["ms"] or 0)
    for row in (ToolCall.objects.filter(run__version_id__in=version_ids, run__kind__in=building).order_by()
                .values("run__version_id")
                .annotate(ms=Sum("latency_ms"))):
        out[row["run__version_id"]]["tool_ms"] = row["ms"] or 0
    return out


def llm_costs_by_role_model(*, team_ids: list[int]) -> list[dict]:
    """The teams' LLM spending by agent role and model: calls, cached calls, tokens in and out, money."""
    rows = (LLMCall.objects.filter(team_id__in=team_ids).order_by().values("role", "model")
            .annotate(calls=Count("id"), cached=Count("id", filter=Q(cached=True)), prompt=Sum("prompt_tokens"),
                      completion=Sum("completion_tokens"), money=Sum("cost"), ms=Sum("latency_ms"))
            .order_by("role", "model"))
    return [{"role": r["role"], "model": r["model"], "calls": r["calls"], "cached_calls": r["cached"],
             "prompt_tokens": r["prompt"] or 0, "completion_tokens": r["completion"] or 0,
             "money_usd": round(float(r["money"] or 0), 6), "minutes": round((r["ms"] or 0) / 60000, 3)}
            for r in rows]


def agent_costs_by_day(*, team_ids: list[int]) -> dict[str, dict]:
    """Per day (UTC): tokens, money and LLM minutes, tool minutes, and samples made and kept."""
    days: dict[str, dict] = {}

    def day(value) -> dict:
        return days.setdefault(value.isoformat(), {"tokens": 0, "money_usd": 0.0, "agent_minutes": 0.0, "samples": 0})

    for row in (LLMCall.objects.filter(team_id__in=team_ids).annotate(day=TruncDate("created_at")).order_by()
                .values("day").annotate(prompt=Sum("prompt_tokens"), completion=Sum("completion_tokens"),
                                        money=Sum("cost"), ms=Sum("latency_ms"))):
        entry = day(row["day"])
        entry["tokens"] += (row["prompt"] or 0) + (row["completion"] or 0)
        entry["money_usd"] += float(row["money"] or 0)
        entry["agent_minutes"] += (row["ms"] or 0) / 60000
    for row in (ToolCall.objects.filter(team_id__in=team_ids).annotate(day=TruncDate("created_at")).order_by()
                .values("day").annotate(ms=Sum("latency_ms"))):
        day(row["day"])["agent_minutes"] += (row["ms"] or 0) / 60000
    for row in (Sample.objects.filter(version__benchmark__team_id__in=team_ids, status__in=ACCEPTED)
                .annotate(day=TruncDate("created_at")).order_by().values("day").annotate(n=Count("id"))):
        day(row["day"])["samples"] += row["n"]
    return days


def spec_uncertain_asks(*, spec: Spec) -> list[str]:
    """The asks the analysis read from weak evidence, in words; such a spec always waits for review."""
    return [ask.get("text", ask.get("key", "")) for ask in (spec.scope or {}).get("asks", []) if ask.get("uncertain")]


def spec_end_reason(*, spec: Spec) -> str:
    """Why planning ended as it did, in the planner's words ("" for ok)."""
    end = next((step for step in reversed(spec.trace or []) if step.get("step") == "end"), {})
    return end.get("reason", "")
