"""Uploading through the API and the pages, following the import, and editing a card; all team-scoped."""
from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from datapool.models import Dataset, ImportJob
from teams.models import Membership
from tests.factories import MembershipFactory, UserFactory

ROWS = [{"n": i, "q": f"What is {i} + {i}?", "a": str(2 * i)} for i in range(12)]


def jsonl_upload(name: str = "sums.jsonl") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, "\n".join(json.dumps(r) for r in ROWS).encode())


@pytest.fixture(autouse=True)
def _private_var(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.UPLOAD_DIR = tmp_path / "var" / "uploads"


def test_api_upload_imports_in_the_background(api_a, team_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_a.post(reverse("api-pool-import-create"), {
            "team": "team-a", "file": jsonl_upload(), "mapping": json.dumps({"id": "n", "question": "q", "answer": "a"}),
            "license": "CC0"}, format="multipart")
    assert response.status_code == 201, response.json()
    job = ImportJob.objects.get(pk=response.json()["id"])
    detail = api_a.get(reverse("api-pool-import-detail", args=[job.id])).json()
    assert (detail["status"], detail["progress_done"], detail["error"]) == ("succeeded", 12, "")
    assert detail["report"]["datasets"][0]["created"] == 12
    assert Dataset.objects.get(pk=detail["dataset"]).license == "CC0"


@pytest.mark.parametrize("data,errors", [
    ({"team": "team-b"}, {"team": ["Unknown team 'team-b', or you may not import into it."]}),
    ({"team": "team-a", "mapping": "{oops"},
     {"mapping": ["The mapping is not valid JSON: Expecting property name enclosed in double quotes."]}),
    ({"team": "team-a", "name": "x", "file_name": "data.xlsx"},
     {"file": ["data.xlsx: upload a .zip or .tar(.gz) archive, or one .jsonl, .csv, .tsv or .parquet file"]}),
])
def test_api_refuses_bad_uploads(api_a, team_b, data, errors):
    file = jsonl_upload(data.pop("file_name", "sums.jsonl"))
    response = api_a.post(reverse("api-pool-import-create"), {**data, "file": file}, format="multipart")
    assert (response.status_code, response.json()) == (400, errors)
    assert ImportJob.objects.count() == 0


def test_a_viewer_cannot_import(team_a, db):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    viewer = UserFactory(username="vera")
    MembershipFactory(team=team_a, user=viewer, role=Membership.Role.VIEWER)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=viewer).key}")
    response = client.post(reverse("api-pool-import-create"), {"team": "team-a", "file": jsonl_upload()},
                           format="multipart")
    assert (response.status_code, response.json()) == (
        400, {"team": ["Unknown team 'team-a', or you may not import into it."]})


def test_another_teams_import_is_404(api_a, api_b, team_a, django_capture_on_commit_callbacks, client, user_b):
    with django_capture_on_commit_callbacks(execute=True):
        job_id = api_a.post(reverse("api-pool-import-create"), {"team": "team-a", "file": jsonl_upload()},
                            format="multipart").json()["id"]
    assert api_b.get(reverse("api-pool-import-detail", args=[job_id])).status_code == 404
    client.force_login(user_b)
    assert client.get(reverse("pool-import-detail", args=[job_id])).status_code == 404


def test_upload_page_starts_an_import_and_shows_its_report(client, user_a, team_a, django_capture_on_commit_callbacks):
    client.force_login(user_a)
    page = client.get(reverse("pool-import-new"))
    assert page.status_code == 200
    assert b'<option value="team-a"' in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("pool-import-new"), {
            "team": "team-a", "file": jsonl_upload(), "name": "Sums", "mapping": '{"id": "n", "answer": "a"}'})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("pool-import-detail", args=[job.id])
    detail = client.get(response["Location"])
    assert b'data-status="succeeded"' in detail.content
    assert b"12 new, 0 updated, 0 unchanged" in detail.content


def test_upload_page_shows_the_refusal(client, user_a, team_a):
    client.force_login(user_a)
    response = client.post(reverse("pool-import-new"), {"team": "team-a", "file": jsonl_upload("x.docx")})
    assert response.status_code == 200
    assert b"x.docx: upload a .zip or .tar(.gz) archive, or one .jsonl, .csv, .tsv or .parquet file" in response.content
    assert ImportJob.objects.count() == 0


def test_card_edit_by_the_team_and_not_by_others(client, user_a, user_b, pool_a):
    dataset = Dataset.objects.get(team__slug="team-a", slug="causal-reasoning")
    url = reverse("pool-card-edit", args=[dataset.id])
    client.force_login(user_b)
    assert client.get(url).status_code == 404
    client.force_login(user_a)
    assert client.get(url).status_code == 200
    before = dict(dataset.card.fields)
    fields = {"question": {"paths": ["input.question"]}, "options": {"paths": ["input.options"]},
              "answer": {"paths": ["output.answer"]}}
    response = client.post(url, {"description": "Cause and effect, two options.", "card_text": "", "domain": "everyday",
                                 "tasks": "multiple_choice_qa, causal", "license": "MIT", "fields": json.dumps(fields)})
    assert response.status_code == 302
    dataset.refresh_from_db()
    assert (dataset.card.description, dataset.card.tasks, dataset.card.written_by, dataset.license) == (
        "Cause and effect, two options.", ["multiple_choice_qa", "causal"], "team", "MIT")
    # The roles are merged into the card's (test_card_edit.py): these paths were already the card's own.
    assert dataset.card.fields == before
    bad = client.post(url, {"description": "x", "fields": json.dumps({"colour": {"paths": ["x"]}})})
    assert bad.status_code == 200
    assert b"Unknown role &#x27;colour&#x27;" in bad.content
