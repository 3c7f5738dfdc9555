"""Evaluation actions from the pages (thin: the work is in evaluation.services)."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from benchmarks import selectors as benchmark_selectors
from evaluation import selectors, services
from teams.selectors import team_ids_for_user


@require_POST
@login_required
def judge_start(request: HttpRequest, pk: int) -> HttpResponse:
    benchmark = benchmark_selectors.benchmark_get(team_ids=team_ids_for_user(user=request.user), pk=pk)
    raw = request.GET.get("version", "")
    version = (benchmark_selectors.version_get(benchmark=benchmark, number=int(raw) if raw.isdigit() else None)
               if benchmark else None)
    if version is None:
        raise Http404("No such benchmark version in your teams.")
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
    team_ids = team_ids_for_user(user=request.user)
    benchmark = benchmark_selectors.benchmark_get(team_ids=team_ids, pk=pk)
    raw = request.GET.get("version", "")
    version = (benchmark_selectors.version_get(benchmark=benchmark, number=int(raw) if raw.isdigit() else None)
               if benchmark else None)
    endpoint = selectors.endpoint_list(team_ids=team_ids).filter(pk=request.POST.get("endpoint") or 0).first()
    if version is None:
        raise Http404("No such benchmark version in your teams.")
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
