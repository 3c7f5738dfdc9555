"""Text that PostgreSQL cannot store (NUL) and hostile JSON in the pool's forms and API: a 400 with the
reason, never a 500 (SQLite would store what PostgreSQL refuses, so the refusal is checked, not the
database's error)."""
from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from datapool.models import Dataset, ImportJob

NUL_IN_JSON = "The mapping is not valid JSON: its strings may not contain \\u0000 (NUL)."


def _upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("rows.jsonl", json.dumps({"q": "What?", "a": "That."}).encode())


@pytest.fixture(autouse=True)
def _private_var(settings, tmp_path):
    settings.UPLOAD_DIR = tmp_path / "uploads"


@pytest.fixture
def page(user_a):
    client = Client(raise_request_exception=False)
    client.force_login(user_a)
    return client


@pytest.mark.parametrize("mapping, message", [
    ('{"question": "q\\u0000"}', NUL_IN_JSON),
    ("[" * 100_000, "The mapping is not valid JSON: it nests deeper than 64 levels."),
])
def test_the_import_api_refuses_a_mapping_postgresql_could_not_store_or_python_could_not_parse(api_a, team_a,
                                                                                               mapping, message):
    response = api_a.post(reverse("api-pool-import-create"), {"team": "team-a", "file": _upload(),
                                                             "mapping": mapping}, format="multipart")

    assert (response.status_code, response.json()) == (400, {"mapping": [message]})
    assert ImportJob.objects.count() == 0


def test_the_import_page_refuses_a_nul_in_any_field(page, team_a):
    response = page.post(reverse("pool-import-new"), {"team": "team-a", "file": _upload(), "name": "a\x00b"})

    assert response.status_code == 400
    assert '<p class="error-text">Null characters are not allowed.</p>' in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_the_import_page_names_a_mapping_with_nul(page, team_a):
    response = page.post(reverse("pool-import-new"), {"team": "team-a", "file": _upload(),
                                                       "mapping": '{"question": "\\u0000"}'})

    assert response.status_code == 200  # the form again, with the reason
    assert NUL_IN_JSON in response.content.decode()
    assert ImportJob.objects.count() == 0


@pytest.mark.parametrize("data, status, message", [
    ({"description": "a\x00b"}, 400, "Null characters are not allowed."),
    ({"fields": '{"question": "\\u0000"}'}, 200, "The fields are not valid JSON: its strings may not contain "
                                                 "\\u0000 (NUL)."),
    ({"fields": "[" * 100_000}, 200, "The fields are not valid JSON: it nests deeper than 64 levels."),
], ids=["nul-in-text", "nul-in-json", "deep-json"])
def test_the_card_form_refuses_what_postgresql_could_not_store(page, pool_a, data, status, message):
    dataset = Dataset.objects.filter(team__slug="team-a").order_by("id").first()
    before = dataset.card.description

    response = page.post(reverse("pool-card-edit", args=[dataset.pk]), {"description": "new", **data})

    assert response.status_code == status  # 200: the form again, with the reason
    assert message in response.content.decode()
    dataset.card.refresh_from_db()
    assert dataset.card.description == before
