"""Pages of the dataset pool: the datasets a user's teams may use (their own and the shared ones)
with a search box whose hits show their score parts, and one dataset's card, import report and
first records. Login required; another team's private dataset is a 404."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from datapool.search import MODALITIES, WEIGHTS, dataset_search
from datapool.selectors import dataset_list, record_preview_list
from teams.selectors import access_team_for_write, team_ids_for_user, team_list_for_user

SEARCH_ROLES = ("question", "answer", "options", "context", "image")
PREVIEW_RECORDS = 5
BAD_ROWS_SHOWN = 50


@require_safe
@login_required
def pool_index(request: HttpRequest) -> HttpResponse:
    team_ids = team_ids_for_user(user=request.user)
    query = request.GET.get("q", "")
    modality = request.GET.get("modality", "")
    roles = [r for r in request.GET.getlist("role") if r]
    context = {
        "datasets": dataset_list(team_ids=team_ids).defer("card__embedding", "card__raw", "card__profile")
                    .order_by("name", "id"),
        "teams": team_list_for_user(user=request.user),
        "query": query, "modality": modality, "roles": roles,
        "modality_choices": MODALITIES, "role_choices": SEARCH_ROLES, "weights": WEIGHTS,
        "searched": "q" in request.GET, "hits": [], "errors": [],
    }
    if context["searched"]:
        try:
            context["hits"] = dataset_search(team_ids=team_ids, query=query, roles=roles,
                                             modalities=[modality] if modality else None)
        except ValidationError as exc:
            context["errors"] = exc.messages
    return render(request, "datapool/pool.html", context)


@require_safe
@login_required
def dataset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = dataset_list(team_ids=team_ids_for_user(user=request.user)).filter(pk=pk).first()
    if dataset is None:
        raise Http404("No such dataset in your teams' pool.")
    card = getattr(dataset, "card", None)
    report = dataset.import_report if isinstance(dataset.import_report, dict) else {}
    bad_rows = report.get("bad_rows", []) if isinstance(report.get("bad_rows"), list) else []
    return render(request, "datapool/dataset_detail.html", {
        "dataset": dataset,
        "card": card,
        "field_roles": list((card.fields if card and isinstance(card.fields, dict) else {}).items()),
        "can_edit": access_team_for_write(user=request.user, slug=dataset.team.slug) is not None,
        "bad_rows": bad_rows[:BAD_ROWS_SHOWN],
        "bad_row_count": report.get("bad_row_count", len(bad_rows)),
        "records": record_preview_list(dataset_id=dataset.id, count=PREVIEW_RECORDS),
    })
