"""Server-rendered pages: the portfolio, a benchmark (request, spec, live build progress, samples),
a spec under review (quotas, drop, re-plan, approve), a sample, and media files, each only for members of the owning team. Views are thin: every read
goes through the selectors, scoped by the user's team ids; another team's object is a 404."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from benchmarks import exporting, freezing, selectors, services
from benchmarks.errors import ChecksumMismatchError
from benchmarks.models import AgentRun, Sample, Spec, VersionExport
from common.auth import login_or_token_required
from common.numbers import InvalidNumber, int_param, parse_int
from teams.selectors import access_team_for_write, team_ids_for_user, team_list_for_user

SAMPLES_PER_PAGE = 50
RECENT_EVENTS = 8


def _progress_context(run: AgentRun | None, *, user=None) -> dict:
    """What the run-progress fragment shows; the detail page renders it first, the poller after."""
    if run is None:
        return {"run": None}
    percent = min(100, round(100 * run.progress_done / run.progress_total)) if run.progress_total else 0
    can_cancel = (not run.is_finished and user is not None
                  and access_team_for_write(user=user, slug=run.team.slug) is not None)
    return {"run": run, "percent": percent, "cells": selectors.run_cells(run=run),
            "events": selectors.run_events_recent(run=run, limit=RECENT_EVENTS),
            "costs": selectors.run_costs(run=run) if run.is_finished else None, "can_cancel": can_cancel}


def _version_number(request: HttpRequest) -> int | None:
    """?version= as a version number; None (the latest) when absent; a 400 when not a whole number
    (common.numbers.InvalidNumber, answered by common.middleware.BadInputMiddleware)."""
    return int_param(request.GET, "version", min_value=1)


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
    version = selectors.version_get(benchmark=benchmark, number=_version_number(request))
    if version is None and request.GET.get("version"):
        raise Http404("No such version.")
    context = {"benchmark": benchmark, "version": version,
               "version_numbers": selectors.version_numbers(benchmark=benchmark),
               "export_formats": VersionExport.Format.choices,
               "can_write": access_team_for_write(user=request.user, slug=benchmark.team.slug) is not None}
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
            **_progress_context(selectors.build_run_for_version(version=version), user=request.user),
        })
    return render(request, "benchmarks/benchmark_detail.html", context)


def _form_quotas(request: HttpRequest, spec: Spec) -> tuple[dict[str, int | str], list[str]]:
    """The quota inputs and drop checkboxes of the spec form; a non-number stays a string for the
    service to name in its message."""
    quotas: dict[str, int | str] = {}
    dropped: list[str] = []
    for subtask in spec.subtasks.all():
        raw = request.POST.get(f"quota-{subtask.key}")
        if raw is not None:
            try:
                quotas[subtask.key] = parse_int(raw, field=f"quota-{subtask.key}")
            except InvalidNumber:
                quotas[subtask.key] = raw.strip()
        if request.POST.get(f"drop-{subtask.key}"):
            dropped.append(subtask.key)
    return quotas, dropped


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def spec_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A version's spec: subtasks, grounding datasets with scores and plans, quotas, the trace; while
    it is a draft, its owners and editors save quotas, drop subtasks, re-plan or approve it."""
    team_ids = team_ids_for_user(user=request.user)
    benchmark = selectors.benchmark_get(team_ids=team_ids, pk=pk)
    if benchmark is None:
        raise Http404("No such benchmark in your teams.")
    version = selectors.version_get(benchmark=benchmark, number=_version_number(request))
    spec = selectors.spec_for_version(team_ids=team_ids, version=version) if version else None
    if spec is None:
        raise Http404("This version has no spec yet.")
    can_write = access_team_for_write(user=request.user, slug=benchmark.team.slug) is not None
    errors: dict[str, list[str]] = {}
    submitted: dict[str, object] = {}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        quotas, dropped = _form_quotas(request, spec)
        submitted = {"quotas": quotas, "dropped": dropped}
        benchmark_url = f"{reverse('benchmark-detail', args=[benchmark.pk])}?version={version.number}"
        try:
            if action == "save":
                saved_spec = services.spec_quotas_set(spec=spec, user=request.user, quotas=quotas, dropped=dropped)
                messages.success(request, "Quotas saved. Approve the spec to build it.")
                for note in saved_spec.quota_notes:
                    messages.warning(request, note)
                return redirect(request.get_full_path())
            if action == "approve":
                saved = {s.key: s.quota for s in spec.subtasks.all()}
                was_dropped = [s.key for s in spec.subtasks.all() if s.dropped]
                if quotas and ({**saved, **quotas} != saved or dropped != was_dropped):
                    services.spec_quotas_set(spec=spec, user=request.user, quotas=quotas, dropped=dropped)
                services.spec_approve(spec=spec, user=request.user)
                messages.success(request, "Spec approved: the build is running.")
                return redirect(benchmark_url)
            if action == "replan":
                services.spec_replan(spec=spec, user=request.user)
                messages.success(request, "The draft spec was discarded and planned again.")
                return redirect(benchmark_url)
            errors = {"action": [f"Unknown action {action!r}."]}
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"spec": exc.messages}
        status = 400
    rows = []
    candidates = selectors.spec_candidates(spec=spec)
    for subtask in spec.subtasks.all():
        form_quota = submitted.get("quotas", {}).get(subtask.key, subtask.quota) if submitted else subtask.quota
        rows.append({"subtask": subtask, "quota": form_quota,
                     "dropped": subtask.key in submitted["dropped"] if submitted else subtask.dropped,
                     "capacity": sum(g.capacity for g in subtask.groundings.all()),
                     "candidates": candidates.get(subtask.key, [])})
    kept_total = sum(row["subtask"].quota for row in rows if not row["subtask"].dropped)
    return render(request, "benchmarks/spec_detail.html", {
        "benchmark": benchmark, "version": version, "spec": spec, "rows": rows,
        "run": selectors.build_run_for_version(version=version),
        "can_edit": can_write and spec.status == Spec.Status.DRAFT, "can_write": can_write,
        "errors": errors, "submitted": submitted, "kept_total": kept_total,
        "target": version.request.target_size, "decisions": selectors.spec_decisions(spec=spec),
        "llm_calls": selectors.spec_llm_calls(spec=spec), "request": version.request,
        "uncertain_asks": selectors.spec_uncertain_asks(spec=spec), "plan_reason": selectors.spec_end_reason(spec=spec),
    }, status=status)


@require_safe
@login_required
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """An HTML fragment (status, progress bar, cells, latest events) that the detail page polls."""
    run = selectors.run_get(team_ids=team_ids_for_user(user=request.user), pk=pk)
    if run is None:
        raise Http404("No such run in your teams.")
    response = render(request, "benchmarks/_run_progress.html", _progress_context(run, user=request.user))
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["POST"])
@login_required
def run_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a build run that has not finished; back to its benchmark's page."""
    run = selectors.run_get(team_ids=team_ids_for_user(user=request.user), pk=pk)
    if run is None:
        raise Http404("No such run in your teams.")
    return _post_action(request, lambda: services.run_cancel(run=run, user=request.user),
                        done=f"Run #{run.pk} is cancelled; the samples it made are kept.",
                        denied="Only owners and editors cancel a run.",
                        back=f"{reverse('benchmark-detail', args=[run.version.benchmark_id])}?version={run.version.number}")


def _post_action(request: HttpRequest, call, *, done: str, denied: str, back: str) -> HttpResponse:
    """A page's POST action: `done` as a message when it worked, a 403 saying `denied` when the user
    may not, the refusal's reasons as a message otherwise; then back to `back`."""
    try:
        call()
        messages.success(request, done)
    except PermissionDenied:
        return HttpResponse(denied, status=403)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(back)


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
@login_or_token_required
def media_asset(request: HttpRequest, uid) -> FileResponse:
    """A media file, streamed only to members of its team; never from a public URL. API clients
    follow a sample's media URL with their token (Authorization: Token ...), as in the API."""
    asset = selectors.media_asset_get(team_ids=team_ids_for_user(user=request.user), uid=uid)
    if asset is None:
        raise Http404("No such media file in your teams.")
    return asset_file_response(asset)


def asset_file_response(asset) -> FileResponse:
    """The asset's file, streamed, never cached publicly; 404 when the file is missing or its path
    leaves MEDIA_ROOT. Files come from datasets: opened directly (an SVG, say), they must not run
    script on our origin."""
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / asset.file).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise Http404("The media file is missing.")
    response = FileResponse(path.open("rb"), content_type=asset.mime or "application/octet-stream")
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def version_or_404(request: HttpRequest, pk: int):
    """The benchmark (of the user's teams) and its `?version=` (default: latest), else 404; the pages
    of other apps use it too."""
    benchmark = selectors.benchmark_get(team_ids=team_ids_for_user(user=request.user), pk=pk)
    version = selectors.version_get(benchmark=benchmark, number=_version_number(request)) \
        if benchmark else None
    if version is None:
        raise Http404("No such benchmark version in your teams.")
    return benchmark, version


@require_http_methods(["POST"])
@login_required
def version_freeze(request: HttpRequest, pk: int) -> HttpResponse:
    benchmark, version = version_or_404(request, pk)
    return _post_action(request, lambda: freezing.version_freeze(version=version, user=request.user),
                        done=f"v{version.number} is frozen: its samples no longer change; download it below.",
                        denied="Only owners and editors freeze a version.",
                        back=f"{reverse('benchmark-detail', args=[benchmark.pk])}?version={version.number}")


@require_safe
@login_required
def version_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """A frozen version as a zip in one export format (made on the first download, then kept); a
    version changed since it was frozen is not exported: its page says why."""
    benchmark, version = version_or_404(request, pk)
    try:
        export = exporting.version_export(version=version, fmt=fmt)
    except ChecksumMismatchError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(f"{reverse('benchmark-detail', args=[benchmark.pk])}?version={version.number}")
    except ValidationError as exc:
        raise Http404(" ".join(exc.messages)) from exc
    return export_file_response(export)


def export_file_response(export) -> FileResponse:
    path = Path(settings.MEDIA_ROOT) / export.file
    response = FileResponse(path.open("rb"), as_attachment=True, filename=path.name, content_type="application/zip")
    response["X-Content-SHA256"] = export.sha256
    response["X-Version-Checksum"] = export.version_checksum
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["POST"])
@login_required
def benchmark_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    """Build a new version from the latest spec, from source records no earlier version used."""
    benchmark, _ = version_or_404(request, pk)
    try:
        started = services.version_refresh(benchmark=benchmark, user=request.user)
        messages.success(request, f"v{started.version.number} is being built from records no earlier version used.")
        return redirect(f"{reverse('benchmark-detail', args=[benchmark.pk])}?version={started.version.number}")
    except PermissionDenied:
        return HttpResponse("Only owners and editors refresh a benchmark.", status=403)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(reverse("benchmark-detail", args=[benchmark.pk]))
