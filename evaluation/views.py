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
from common.numbers import InvalidNumber, int_param
from evaluation import selectors, services


def _start(request: HttpRequest, start, *, message, back: str, benchmark, version) -> HttpResponse:
    """Run a service that queues a run; say what happened on the page it came from."""
    try:
        run = start()
        messages.success(request, message(run))
    except PermissionDenied as exc:
        return HttpResponse(str(exc) or "Only owners and editors can do this.", status=403)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(f"{reverse(back, args=[benchmark.pk])}?version={version.number}")


@require_POST
@login_required
def judge_start(request: HttpRequest, pk: int) -> HttpResponse:
    benchmark, version = version_or_404(request, pk)
    return _start(request, lambda: services.judge_start(version=version, user=request.user,
                                                        engine=request.POST.get("engine", "rules")),
                  message=lambda run: f"Judge run {run.pk} queued ({run.get_engine_display()}).",
                  back="dashboard-quality", benchmark=benchmark, version=version)


@require_POST
@login_required
def eval_start(request: HttpRequest, pk: int) -> HttpResponse:
    benchmark, version = version_or_404(request, pk)
    try:
        endpoint_id = int_param(request.POST, "endpoint", min_value=1)
    except InvalidNumber:
        endpoint_id = None  # "Choose a registered model." below
    endpoint = (selectors.endpoint_list(team_ids=[benchmark.team_id]).filter(pk=endpoint_id).first()
                if endpoint_id else None)

    def start():
        if endpoint is None:
            raise ValidationError({"endpoint": "Choose a registered model."})
        return services.eval_start(version=version, endpoint=endpoint, user=request.user)

    return _start(request, start, message=lambda run: f"Evaluation run {run.pk} of {endpoint} queued.",
                  back="dashboard-models", benchmark=benchmark, version=version)


@require_POST
@login_required
def baseline_start(request: HttpRequest, pk: int) -> HttpResponse:
    benchmark, version = version_or_404(request, pk)
    return _start(request, lambda: services.baseline_start(version=version, user=request.user),
                  message=lambda run: f"Baseline run {run.pk} queued: the LLM writes the benchmark directly, then "
                                      "it is judged.",
                  back="dashboard-quality", benchmark=benchmark, version=version)
