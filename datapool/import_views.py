"""Pages to upload a dataset (archive or table) for a background import, follow the import, and
edit a dataset's card. Login required; writes need the owner or editor role in the team."""
from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from common.json_input import JSONInputError, json_loads_bounded
from datapool import services
from datapool.selectors import dataset_list, import_job_get
from teams.models import WRITE_ROLES
from teams.selectors import access_team_for_write, team_ids_for_user, team_list_for_user


def _writable_teams(user):
    return team_list_for_user(user=user).filter(memberships__user=user, memberships__role__in=WRITE_ROLES)


def _mapping(text: str) -> dict | None:
    if not text.strip():
        return None
    try:
        return json_loads_bounded(text)
    except JSONInputError as exc:
        raise ValidationError({"mapping": f"The mapping is not valid JSON: {exc.reason}."}) from exc


@require_http_methods(["GET", "POST"])
@login_required
def import_new(request: HttpRequest) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        team = access_team_for_write(user=request.user, slug=request.POST.get("team", ""))
        upload = request.FILES.get("file")
        try:
            if team is None:
                raise ValidationError({"team": "Choose a team you may import into."})
            if upload is None:
                raise ValidationError({"file": "Choose a file to upload."})
            job = services.import_job_create(team=team, user=request.user, upload=upload,
                                             name=request.POST.get("name", ""),
                                             mapping=_mapping(request.POST.get("mapping", "")),
                                             license=request.POST.get("license", ""))
            return redirect("pool-import-detail", pk=job.pk)
        except ValidationError as exc:
            errors = exc.message_dict
    return render(request, "datapool/import_new.html", {"teams": _writable_teams(request.user), "errors": errors,
                                                        "values": request.POST})


@require_safe
@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = import_job_get(team_ids=team_ids_for_user(user=request.user), pk=pk)
    if job is None:
        raise Http404("No such import in your teams.")
    return render(request, "datapool/import_detail.html", {"job": job})


@require_http_methods(["GET", "POST"])
@login_required
def card_edit(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = dataset_list(team_ids=team_ids_for_user(user=request.user)).filter(pk=pk).first()
    if dataset is None or access_team_for_write(user=request.user, slug=dataset.team.slug) is None:
        raise Http404("No such dataset that you may edit.")
    card = getattr(dataset, "card", None)
    errors: list[str] = []
    if request.method == "POST":
        # A field the form did not send stays as it is; the role map is merged, not replaced.
        try:
            fields = json_loads_bounded(request.POST["fields"]) if request.POST.get("fields", "").strip() else None
        except JSONInputError as exc:
            line = f" (line {exc.lineno})" if exc.lineno else ""
            errors = [f"The fields are not valid JSON: {exc.reason}{line}."]
        else:
            tasks = request.POST.get("tasks")
            try:
                services.card_update(dataset=dataset, user=request.user, description=request.POST.get("description"),
                                     card_text=request.POST.get("card_text"), domain=request.POST.get("domain"),
                                     tasks=tasks.split(",") if tasks is not None else None,
                                     license=request.POST.get("license"), fields=fields)
                return redirect("pool-dataset-detail", pk=dataset.pk)
            except ValidationError as exc:
                errors = exc.messages
    return render(request, "datapool/card_edit.html", {
        "dataset": dataset, "card": card, "errors": errors,
        "fields_json": request.POST.get("fields") or json.dumps(card.fields if card else {}, indent=2),
    })
