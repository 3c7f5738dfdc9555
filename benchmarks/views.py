"""Server-rendered pages: the portfolio, a benchmark (request, spec, live build progress, samples),
a sample, and media files, each only for members of the owning team. Views are thin: every read
goes through the selectors, scoped by the user's team ids; another team's object is a 404."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from benchmarks import selectors
from benchmarks.models import AgentRun, Sample
from teams.selectors import team_ids_for_user, team_list_for_user

SAMPLES_PER_PAGE = 50
RECENT_EVENTS = 8


def _progress_context(run: AgentRun | None) -> dict:
    """What the run-progress fragment shows; the detail page renders it first, the poller after."""
    if run is None:
        return {"run": None}
    percent = min(100, round(100 * run.progress_done / run.progress_total)) if run.progress_total else 0
    return {"run": run, "percent": percent, "cells": selectors.run_cells(run=run),
            "events": selectors.run_events_recent(run=run, limit=RECENT_EVENTS)}


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@require_safe
@login_required
def portfolio(request: HttpRequest) -> HttpResponse:
    team_ids = team_ids_for_user(user=request.user)
    return render(request, "benchmarks/portfolio.html", {
        "benchmarks": selectors.benchmark_portfolio(team_ids=team_ids),
        "teams": team_list_for_user(user=request.user),
    })


@require_safe
@login_required
def benchmark_detail(request: HttpRequest, pk: int) -> HttpResponse:
    team_ids = team_ids_for_user(user=request.user)
    benchmark = selectors.benchmark_get(team_ids=team_ids, pk=pk)
    if benchmark is None:
        raise Http404("No such benchmark in your teams.")
    version = selectors.version_get(benchmark=benchmark, number=_int_or_none(request.GET.get("version")))
    if version is None and request.GET.get("version"):
        raise Http404("No such version.")
    context = {"benchmark": benchmark, "version": version,
               "version_numbers": selectors.version_numbers(benchmark=benchmark)}
    if version is not None:
        subtasks = selectors.spec_subtasks(version=version)
        subtask_key = request.GET.get("subtask", "")
        subtask_key = subtask_key if subtask_key in {s.key for s in subtasks} else ""
        status = request.GET.get("status", "")
        status = status if status in Sample.Status.values else ""
        counts = selectors.version_sample_status_counts(version=version)
        samples = selectors.version_sample_list(team_ids=team_ids, version=version, subtask_key=subtask_key,
                                                status=status)
        context.update({
            "spec": getattr(version, "spec", None),
            "subtasks": subtasks,
            "status_counts": [(value, label, counts[value]) for value, label in Sample.Status.choices],
            "sample_total": sum(counts.values()),
            "status_choices": Sample.Status.choices,
            "filter_subtask": subtask_key,
            "filter_status": status,
            "page": Paginator(samples, SAMPLES_PER_PAGE).get_page(request.GET.get("page")),
            **_progress_context(selectors.build_run_for_version(version=version)),
        })
    return render(request, "benchmarks/benchmark_detail.html", context)


@require_safe
@login_required
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """An HTML fragment (status, progress bar, cells, latest events) that the detail page polls."""
    run = selectors.run_get(team_ids=team_ids_for_user(user=request.user), pk=pk)
    if run is None:
        raise Http404("No such run in your teams.")
    response = render(request, "benchmarks/_run_progress.html", _progress_context(run))
    response["Cache-Control"] = "no-store"
    return response


@require_safe
@login_required
def sample_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sample = selectors.sample_get(team_ids=team_ids_for_user(user=request.user), pk=pk)
    if sample is None:
        raise Http404("No such sample in your teams.")
    verification = sample.verification if isinstance(sample.verification, dict) else {}
    return render(request, "benchmarks/sample_detail.html", {
        "sample": sample,
        "benchmark": sample.version.benchmark,
        "checks": verification.get("checks", []),
        "reasons": verification.get("reasons", []),
        "media": list(sample.media.all()),
        "provenance": sample.provenance if isinstance(sample.provenance, dict) else {},
    })


@require_safe
@login_required
def media_asset(request: HttpRequest, uid) -> FileResponse:
    """A media file, streamed only to members of its team; never from a public URL."""
    asset = selectors.media_asset_get(team_ids=team_ids_for_user(user=request.user), uid=uid)
    if asset is None:
        raise Http404("No such media file in your teams.")
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / asset.file).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise Http404("The media file is missing.")
    response = FileResponse(path.open("rb"), content_type=asset.mime or "application/octet-stream")
    # Files come from datasets: opened directly (an SVG, say), they must not run script on our origin.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
