"""Pages of the review loop (who reviews what, a version's review project) and the two doors Label
Studio uses: the webhook (a shared secret; it only names tasks to pull) and the signed, expiring
media URLs its editor loads across origins. Views are thin: reads through the selectors, writes
through the services."""
from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from annotation import selectors, services
from annotation.labelstudio import LabelStudioError
from annotation.models import ReviewProject
from benchmarks import selectors as benchmark_selectors
from benchmarks.models import MediaAsset
from benchmarks.views import asset_file_response
from teams.models import Membership
from common.json_input import JSONInputError, json_loads_bounded
from common.numbers import InvalidNumber, int_param, parse_int
from teams.selectors import access_team_for_write, team_ids_for_user

MAX_WEBHOOK_BYTES = 1024 * 1024


@csrf_exempt
@require_POST
def review_webhook(request: HttpRequest, uid) -> JsonResponse:
    """Label Studio's call on an annotation created, updated or deleted. The project's secret is
    checked first, from the headers alone: a caller without it never has its body read. Then the
    body, bounded in size and depth; the tasks it names are pulled from Label Studio (queued)."""
    try:
        project = services.review_webhook_authenticate(project_uid=uid,
                                                       secret=request.headers.get(services.WEBHOOK_HEADER, ""))
    except PermissionDenied:
        return JsonResponse({"detail": "forbidden"}, status=403)
    try:
        payload = json_loads_bounded(_body_bounded(request, MAX_WEBHOOK_BYTES), max_bytes=MAX_WEBHOOK_BYTES)
        queued = services.review_webhook_receive(project=project, payload=payload)
    except JSONInputError as exc:
        return JsonResponse({"detail": exc.message}, status=413 if exc.too_large else 400)
    except ValidationError as exc:
        return JsonResponse({"detail": exc.messages}, status=400)
    return JsonResponse({"queued": queued}, status=202)


def _body_bounded(request: HttpRequest, max_bytes: int) -> bytes:
    """The body, unless its declared length is past max_bytes: then JSONInputError(too_large) and the
    body is not read. (Django reads no more than the declared length.)"""
    try:
        declared = parse_int(request.META.get("CONTENT_LENGTH") or "0", field="Content-Length", min_value=0)
    except InvalidNumber:
        declared = 0  # Django reads nothing of a body whose length it cannot read either
    if declared > max_bytes:
        raise JSONInputError(f"The JSON body is larger than {max_bytes} bytes.",
                             reason=f"it is larger than {max_bytes} bytes", too_large=True)
    return request.body


def _cors(response: HttpResponse, project: ReviewProject) -> HttpResponse:
    parts = urlsplit(project.ls_url)
    response["Access-Control-Allow-Origin"] = f"{parts.scheme}://{parts.netloc}"
    response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Range"
    response["Access-Control-Expose-Headers"] = "Content-Length, Content-Range, Accept-Ranges"
    response["Vary"] = "Origin"
    return response


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def review_media(request: HttpRequest, token: str) -> HttpResponse:
    """A sample's media file for the Label Studio editor of its review project: no session, a signed
    URL that expires; only a file of a sample of that project's version, only to that project's
    Label Studio origin (CORS). Anything else is a 404."""
    try:
        project_id, uid = services.media_token_read(token)
    except signing.BadSignature:
        raise Http404("This media link is not valid or has expired.") from None
    project = ReviewProject.objects.filter(pk=project_id).first()
    asset = (MediaAsset.objects.filter(uid=uid, team_id=project.team_id, samples__version_id=project.version_id).first()
             if project else None)
    if asset is None:
        raise Http404("No such media file.")
    if request.method == "OPTIONS":
        return _cors(HttpResponse(status=204), project)
    response = asset_file_response(asset)
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return _cors(response, project)


@require_safe
@login_required
def review_index(request: HttpRequest) -> HttpResponse:
    """What the user reviews (assigned benchmarks, as an annotator) and, for the rest of their
    teams, every review project with its progress."""
    team_ids = team_ids_for_user(user=request.user)
    return render(request, "annotation/review_index.html", {
        "assigned": selectors.assigned_benchmarks(user=request.user),
        "projects": selectors.review_project_list(team_ids=team_ids),
        "label_studio_url": settings.LABEL_STUDIO_URL,
    })


def _benchmark_or_404(request: HttpRequest, pk: int):
    benchmark = benchmark_selectors.benchmark_get(team_ids=team_ids_for_user(user=request.user), pk=pk)
    if benchmark is None:
        raise Http404("No such benchmark in your teams.")
    return benchmark


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def benchmark_review(request: HttpRequest, pk: int) -> HttpResponse:
    """A benchmark's review: its latest version's review project (open it, change the overlap,
    pull now), who is assigned to review it and, for owners, the flagged reviews to resolve."""
    benchmark = _benchmark_or_404(request, pk)
    version = benchmark_selectors.version_latest(benchmark=benchmark)
    can_write = access_team_for_write(user=request.user, slug=benchmark.team.slug) is not None
    is_owner = Membership.objects.filter(team_id=benchmark.team_id, user=request.user,
                                         role=Membership.Role.OWNER).exists()
    status = 200
    errors: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "open" and version is not None:
                raw = request.POST.get("overlap", "1")
                try:
                    overlap = parse_int(raw, field="overlap")
                except InvalidNumber:
                    overlap = raw  # the service says what an overlap must be
                services.review_open(version=version, user=request.user, overlap=overlap)
                messages.success(request, "Sent to Label Studio: its samples are being added as tasks.")
                return redirect(reverse("benchmark-review", args=[benchmark.pk]))
            if action == "pull" and version is not None:
                project = selectors.review_project_for_version(team_ids=[benchmark.team_id], version=version)
                if project is None or not can_write:
                    raise PermissionDenied("Nothing to pull.")
                report = services.review_reconcile(project_id=project.pk)
                messages.success(request, f"Pulled {report.tasks} changed tasks: {report.created} new reviews, "
                                          f"{report.updated} changed, {report.deleted} deleted in Label Studio; "
                                          f"{report.retired} tasks retired.")
                return redirect(reverse("benchmark-review", args=[benchmark.pk]))
            if action == "resolve":
                raw = request.POST.get("review", "")
                review = (selectors.review_get(team_ids=[benchmark.team_id], pk=int(raw))
                          if raw.isdigit() and version is not None else None)
                if review is None or review.project.version_id != version.pk:
                    raise ValidationError({"review": "No such review of this version."})
                review = services.review_resolve(review=review, user=request.user,
                                                 decision=request.POST.get("decision", ""))
                messages.success(request, f"{review.annotator}'s review of sample {review.sample_id}: "
                                          f"{review.get_resolution_display().lower()}.")
                return redirect(reverse("benchmark-review", args=[benchmark.pk]))
            if action == "assign":
                try:
                    assignee_id = int_param(request.POST, "user", min_value=1)
                except InvalidNumber:
                    assignee_id = None
                assignee = get_user_model().objects.filter(pk=assignee_id).first() if assignee_id else None
                if assignee is None:
                    raise ValidationError({"user": "Choose an annotator."})
                services.review_assign(benchmark=benchmark, user=request.user, assignee=assignee)
                messages.success(request, f"{assignee} now reviews {benchmark}.")
                return redirect(reverse("benchmark-review", args=[benchmark.pk]))
            errors = [f"Unknown action {action!r}."]
        except PermissionDenied as exc:
            errors, status = [str(exc) or "Not allowed."], 403
        except ValidationError as exc:
            errors = exc.messages
        except LabelStudioError as exc:
            errors = [str(exc)]
        status = status if status != 200 else 400
    project = selectors.review_project_for_version(team_ids=[benchmark.team_id], version=version) if version else None
    return render(request, "annotation/benchmark_review.html", {
        "benchmark": benchmark, "version": version, "project": project, "can_write": can_write, "is_owner": is_owner,
        "task_count": project.tasks.filter(retired_at__isnull=True).count() if project else 0,
        "retired_count": project.tasks.filter(retired_at__isnull=False).count() if project else 0,
        "flagged": list(selectors.flagged_review_list(version=version)[:200]) if is_owner and project else [],
        "assignments": selectors.assignment_list(benchmark=benchmark),
        "annotators": selectors.annotators_of_team(benchmark=benchmark), "errors": errors,
    }, status=status)
