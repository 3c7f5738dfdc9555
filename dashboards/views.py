"""Dashboard pages (server-rendered tables, Plotly charts drawn from the same numbers) and the
plotly.js bundle, served from the installed plotly package (nothing is fetched from a CDN)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import plotly
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from agents.judge import ALL_DIMENSIONS
from benchmarks import selectors as benchmark_selectors
from benchmarks.views import version_or_404
from dashboards import charts, selectors
from evaluation import selectors as evaluation_selectors
from teams.selectors import access_team_for_write, team_ids_for_user


@lru_cache(maxsize=1)
def _plotly_js() -> bytes:
    return (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()


@require_safe
def plotly_js(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_plotly_js(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_safe
@login_required
def portfolio_dashboard(request: HttpRequest) -> HttpResponse:
    data = selectors.portfolio_overview(team_ids=team_ids_for_user(user=request.user))
    return render(request, "dashboards/portfolio.html", {"data": data, "charts": charts.portfolio_charts(data),
                                                         "tab": "portfolio"})


version_for = version_or_404  # the API of the dashboards uses it too


@require_safe
@login_required
def quality_dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    benchmark, version = version_for(request, pk)
    data = selectors.benchmark_quality(benchmark=benchmark, version=version)
    return render(request, "dashboards/quality.html", {
        "data": data, "charts": charts.quality_charts(data), "benchmark": benchmark, "version": version,
        "version_numbers": benchmark_selectors.version_numbers(benchmark=benchmark), "tab": "quality",
        "dimensions": ALL_DIMENSIONS, "llm_configured": bool(settings.OPENAI_BASE_URL),
        "can_write": access_team_for_write(user=request.user, slug=benchmark.team.slug) is not None,
        "judge_run": evaluation_selectors.judge_run_latest(version=version)})


@require_safe
@login_required
def cost_dashboard(request: HttpRequest) -> HttpResponse:
    data = selectors.cost_overview(team_ids=team_ids_for_user(user=request.user))
    return render(request, "dashboards/cost.html", {"data": data, "charts": charts.cost_charts(data), "tab": "cost"})


@require_safe
@login_required
def models_dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    """A version's leaderboard: models' accuracy with intervals, per subtask, chance, the checks."""
    benchmark, version = version_for(request, pk)
    team_ids = team_ids_for_user(user=request.user)
    data = evaluation_selectors.leaderboard(version=version)
    return render(request, "dashboards/models.html", {
        "data": data, "charts": charts.leaderboard_charts(data), "benchmark": benchmark, "version": version,
        "tab": "models", "endpoints": evaluation_selectors.endpoint_list(team_ids=[benchmark.team_id]),
        "runs": evaluation_selectors.eval_run_list(team_ids=team_ids).filter(version=version)[:10],
        "can_write": access_team_for_write(user=request.user, slug=benchmark.team.slug) is not None})


@require_safe
@login_required
def versions_dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    """The benchmark's versions side by side (size, shared records, judge, acceptance, models)."""
    benchmark, version = version_for(request, pk)
    data = {"benchmark_id": benchmark.pk, "versions": selectors.version_comparison(benchmark=benchmark)}
    return render(request, "dashboards/versions.html", {
        "data": data, "charts": charts.version_charts(data), "benchmark": benchmark, "version": version,
        "tab": "versions", "dimensions": ALL_DIMENSIONS})
