"""Names people give are stored as they are seen: control, bidi and invisible characters (RLO, ZWSP,
...) are removed and whitespace collapsed by one helper (common.names) in every service that writes
a name; a name with nothing visible left is refused with a 400 naming the field."""
from __future__ import annotations

import json
import socket

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from benchmarks.models import Benchmark
from common import outbound
from common.names import name_clean, name_strip
from datapool.models import Dataset, ImportJob
from evaluation.models import ModelEndpoint
from teams.services import team_get_or_create

RLO, ZWSP, LRI, PDI, BOM = "\u202e", "\u200b", "\u2066", "\u2069", "\ufeff"
EMPTY = "The name is empty once control and invisible characters are removed; give one with visible characters."


@pytest.mark.parametrize("raw, clean", [
    (f"{RLO}Cats{ZWSP} and\t\n dogs  v2 ", "Cats and dogs v2"),
    (f"invoice{RLO}fdp.exe", "invoicefdp.exe"),
    (f"a\u00a0b\u3000c\u2028d{BOM}e\x00f\x1bg\x7fh", "a b c defgh"),
    ("Café 東京 — naïve", "Café 東京 — naïve"),
    (f"{LRI}{PDI}{ZWSP} \n", ""),
])
def test_name_strip_removes_control_and_invisible_characters_and_collapses_whitespace(raw, clean):
    assert name_strip(raw) == clean


def test_name_clean_refuses_a_name_with_nothing_visible_and_cuts_to_length():
    with pytest.raises(ValidationError) as refused:
        name_clean(f"{ZWSP}{RLO}\t", field="team")
    assert refused.value.message_dict == {"team": [EMPTY]}
    assert name_clean("abc   def", max_length=4) == "abc"


def test_a_benchmark_name_through_the_api_is_stored_clean(api_a, team_a):
    response = api_a.post("/api/requests/", {"team": "team-a", "text": f"Can a model{ZWSP} tell cause from effect?",
                                             "target_size": 10, "name": f"{RLO}Cause{ZWSP} and\teffect\n v2"},
                          format="json")
    assert response.status_code == 201, response.content
    benchmark = Benchmark.objects.get(pk=response.json()["benchmark"])
    assert (benchmark.name, benchmark.slug) == ("Cause and effect v2", "cause-and-effect-v2")
    # No name: derived from the request text, cleaned the same way.
    derived = api_a.post("/api/requests/", {"team": "team-a", "text": f"Which{ZWSP} event{RLO} came first?",
                                            "target_size": 10}, format="json")
    assert Benchmark.objects.get(pk=derived.json()["benchmark"]).name == "Which event came first?"


def test_a_benchmark_name_of_invisible_characters_is_a_400(api_a, team_a):
    response = api_a.post("/api/requests/", {"team": "team-a", "text": "Can a model tell cause from effect?",
                                             "target_size": 10, "name": f"{RLO}{ZWSP}{LRI}"}, format="json")
    assert (response.status_code, response.json()) == (400, {"name": [EMPTY]})
    invisible_text = api_a.post("/api/requests/", {"team": "team-a", "text": f"{ZWSP}{RLO}", "target_size": 10},
                                format="json")
    assert (invisible_text.status_code, invisible_text.json()) == (
        400, {"text": ["Describe what the benchmark should evaluate; the text is empty."]})
    assert Benchmark.objects.count() == 0


def test_a_model_name_through_the_api_is_stored_clean(api_a, team_a, monkeypatch):
    # The base URL must resolve to a public address (common.outbound): x.test is given one.
    monkeypatch.setattr(outbound, "_getaddrinfo", lambda host, port, *a, **k: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))])
    response = api_a.post("/api/evaluation/models/", {
        "team_slug": "team-a", "name": f"GPT{ZWSP}-4o{RLO} mini", "base_url": "http://x.test/v1",
        "model": f"gpt-4o-mini{ZWSP}", "family": f"gpt{BOM}"}, format="json")
    assert response.status_code == 201, response.content
    endpoint = ModelEndpoint.objects.get(pk=response.json()["id"])
    assert (endpoint.name, endpoint.model, endpoint.family) == ("GPT-4o mini", "gpt-4o-mini", "gpt")
    refused = api_a.post("/api/evaluation/models/", {"team_slug": "team-a", "name": f"{ZWSP}{RLO}",
                                                     "base_url": "http://x.test/v1", "model": "m"}, format="json")
    assert (refused.status_code, refused.json()) == (400, {"name": ["Give the model a name (with visible characters)."]})
    assert ModelEndpoint.objects.count() == 1


@pytest.fixture
def _private_var(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.UPLOAD_DIR = tmp_path / "var" / "uploads"


def _upload() -> SimpleUploadedFile:
    rows = [{"n": i, "q": f"What is {i} + {i}?", "a": str(2 * i)} for i in range(3)]
    return SimpleUploadedFile("sums.jsonl", "\n".join(json.dumps(r) for r in rows).encode())


def test_a_dataset_name_through_the_api_is_stored_clean(api_a, team_a, _private_var,
                                                        django_capture_on_commit_callbacks):
    mapping = json.dumps({"id": "n", "question": "q", "answer": "a"})
    with django_capture_on_commit_callbacks(execute=True):
        response = api_a.post(reverse("api-pool-import-create"), {
            "team": "team-a", "file": _upload(), "mapping": mapping, "name": f"{RLO}Sums{ZWSP} of\ttwo",
            "license": f"CC0{ZWSP}"}, format="multipart")
    assert response.status_code == 201, response.json()
    dataset = Dataset.objects.get(pk=api_a.get(reverse("api-pool-import-detail", args=[response.json()["id"]]))
                                  .json()["dataset"])
    assert (dataset.name, dataset.slug, dataset.license) == ("Sums of two", "sums-of-two", "CC0")
    refused = api_a.post(reverse("api-pool-import-create"), {"team": "team-a", "file": _upload(), "mapping": mapping,
                                                            "name": f"{ZWSP}{RLO}"}, format="multipart")
    assert (refused.status_code, refused.json()) == (400, {"name": [EMPTY]})
    assert ImportJob.objects.count() == 1


def test_a_team_name_is_stored_clean(db):
    assert team_get_or_create(slug="lab", name=f"The{ZWSP} {RLO}Lab\n").name == "The Lab"
    with pytest.raises(ValidationError) as refused:
        team_get_or_create(slug="ghost", name=f"{ZWSP}")
    assert refused.value.message_dict == {"name": [EMPTY]}


def test_the_labels_of_a_card_edit_are_stored_clean(client, user_a, team_a):
    dataset = Dataset.objects.create(team=team_a, name="Sums", slug="sums")
    client.force_login(user_a)
    response = client.post(reverse("pool-card-edit", args=[dataset.id]), {
        "description": "Sums of two numbers.", "card_text": "", "domain": f"arith{ZWSP}metic{RLO}",
        "tasks": f"{RLO}qa{ZWSP}, {ZWSP}, maths\t", "license": f"MIT{BOM}", "fields": "{}"})
    assert response.status_code == 302
    dataset.refresh_from_db()
    assert (dataset.card.domain, dataset.card.tasks, dataset.license) == ("arithmetic", ["qa", "maths"], "MIT")
