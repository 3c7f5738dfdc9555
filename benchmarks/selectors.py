"""Reads of the benchmarks app. Every function takes the caller's team ids: nothing leaves its team."""
from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from benchmarks.models import AgentRun, Benchmark, BenchmarkVersion, MediaAsset, Sample

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
