"""Evaluation actions from the pages (thin: the work is in evaluation.services)."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from benchmarks.views import version_or_404
from evaluation import selectors, services


@require_POST
@login_required
def judge_start(request: HttpRequest, pk: int) -> HttpResponse:
    benchmark, version = version_or_404(request, pk)
    try:
        run = services.judge_start(version=version, user=request.user, engine=request.POST.get("engine", "rules"))
        messages.success(request, f"Judge run {run.pk} queued ({run.get_engine_display()}).")
    except PermissionDenied:
        return HttpResponse("Only owners and editors start a judge run.", status=403)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(f"{reverse('dashboard-quality', args=[benchmark.pk])}?version={version.number}")


@require_POST
@login_required
def eval_start(request: HttpRequest, pk: int) -> HttpResponse:
    benchmark, version = version_or_404(request, pk)
    endpoint = selectors.endpoint_list(team_ids=[benchmark.team_id]).filter(pk=request.POST.get("endpoint") or 0).first()
    try:
        if endpoint is None:
            raise ValidationError({"endpoint": "Choose a registered model."})
        run = services.eval_start(version=version, endpoint=endpoint, user=request.user)
        messages.success(request, f"Evaluation run {run.pk} of {endpoint} queued.")
    except PermissionDenied:
        return HttpResponse("Only owners and editors start evaluations.", status=403)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(f"{reverse('dashboard-models', args=[benchmark.pk])}?version={version.number}")


@require_POST
@login_required
def baseline_start(request: HttpRequest, pk: int) -> HttpResponse:
    benchmark, version = version_or_404(request, pk)
    try:
        run = services.baseline_start(version=version, user=request.user)
        messages.success(request, f"Baseline run {run.pk} queued: the LLM writes the benchmark directly, then it is judged.")
    except PermissionDenied:
        return HttpResponse("Only owners and editors start a baseline.", status=403)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(f"{reverse('dashboard-quality', args=[benchmark.pk])}?version={version.number}")
