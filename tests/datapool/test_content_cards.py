"""Cards that say what the records are about: a profiled card lists the records' salient words,
names, classes and media sizes, has a domain, names the user's file, and a label + image upload
scores as the classification source it is; search finds an upload through what its records
contain, not only through the name its user typed."""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agents.planner.search import qa_bonus
from datapool.cards import dataset_card_view
from datapool.content import ContentProfile, media_phrase
from datapool.models import ImportJob
from datapool.search import dataset_search
from tests.conftest import SEED_POOL, import_seed_datasets

CARS = json.loads((SEED_POOL / "datasets/image/car_brands_recognition/json/annotation.json").read_text())["data"]
BRANDS = ("Hyundai", "Lexus", "Tesla", "Volkswagen")
SOCIAL = json.loads((SEED_POOL / "datasets/nlp/Social-Science-Question-Answering/annotation.json").read_text())["data"]


@pytest.fixture(autouse=True)
def _private_dirs(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.UPLOAD_DIR = tmp_path / "var" / "uploads"


def _upload(api, capture, filename: str, data: bytes):
    with capture(execute=True):
        response = api.post(reverse("api-pool-import-create"), {"team": "team-a", "file": SimpleUploadedFile(
            filename, data)}, format="multipart")
    assert response.status_code == 201, response.json()
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert (job.status, job.error) == ("succeeded", "")
    return job


def _class_folder_zip() -> bytes:
    """Car photos in one folder per brand (an image-folder layout), zipped as a user would."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for brand in BRANDS:
            for record in [r for r in CARS if r["output"]["prediction"] == brand][:3]:
                source = SEED_POOL / "datasets/image/car_brands_recognition" / record["input"]["image_file"]
                archive.writestr(f"photos/{brand}/{Path(source).name}", source.read_bytes())
    return buffer.getvalue()


def test_an_image_class_folder_card_lists_its_classes_and_sizes_and_scores_as_a_classification_source(
        team_a, api_a, django_capture_on_commit_callbacks):
    job = _upload(api_a, django_capture_on_commit_callbacks, "photos.zip", _class_folder_zip())
    dataset = job.dataset
    card = dataset.card
    assert dataset.name == "photos"
    assert card.fields["label"]["paths"] == card.fields["answer"]["paths"] == ["label"]
    assert card.domain == "Hyundai, Lexus, Tesla, Volkswagen"  # brand names, not words: the classes say it
    sizes = card.profile["content"]["images"]
    assert sizes["count"] == 12
    assert card.description == (
        "12 records with answer, image, label. The answer is label (4 classes). Answers: Hyundai, Lexus, Tesla, "
        f"Volkswagen. Each record has {media_phrase(card.profile['content'])}.")
    assert card.card_text.endswith("Card written from a profile of the records (no LLM); source photos.zip/photos.")
    assert job.upload.split(".")[0] not in card.card_text + card.description  # never the random upload name
    # A label with images is as direct a source of items as a question-answer set (0.1 before).
    assert qa_bonus(dataset_card_view(dataset)) == 1.0


def test_search_finds_an_upload_by_what_its_records_show_not_by_its_name(team_a, api_a,
                                                                         django_capture_on_commit_callbacks):
    import_seed_datasets(team_a, ("Art Image Visual Question Answering", "Chemistry Vqa"))
    _upload(api_a, django_capture_on_commit_callbacks, "photos.zip", _class_folder_zip())
    hits = dataset_search(team_ids=[team_a.id], query="Is this a Tesla, a Lexus or a Hyundai?", modalities=["image"])
    assert [h.slug for h in hits][:1] == ["photos"]
    assert hits[0].relevance >= 0.40 > max(h.relevance for h in hits[1:])


def test_search_finds_a_jsonl_upload_by_what_its_texts_are_about(team_a, api_a, django_capture_on_commit_callbacks):
    import_seed_datasets(team_a, ("Causal-Reasoning", "Natural-Language-Inference", "Ethical-Reasoning"))
    rows = [{"id": r["id"], "scenario": r["input"]["text"], "prompt": r["input"]["question"],
             "choices": r["input"]["options"], "key": r["output"]["answer"]} for r in SOCIAL[:40]]
    job = _upload(api_a, django_capture_on_commit_callbacks, "batch_07.jsonl",
                  "\n".join(json.dumps(r) for r in rows).encode())
    card = job.dataset.card
    content = card.profile["content"]
    assert content["salient_terms"][:6] == ["feel", "decided", "proud", "taking", "happen", "help"]
    assert content["names"][:3] == ["Robin", "Sydney", "Emily"]
    assert card.domain == "feel, decided, proud, taking, happen, help"
    assert "For example: " in card.description and "batch_07.jsonl" in card.card_text
    hits = dataset_search(team_ids=[team_a.id], query="How would others feel after what someone did: proud or upset?",
                          modalities=["text"])
    assert hits[0].slug == "batch_07"
    assert hits[0].relevance >= 0.40 > max(h.relevance for h in hits[1:])


def test_the_content_profile_reads_words_names_and_media_sizes():
    profile = ContentProfile()
    profile.add_record(["Alex went to Paris with Robin.", "She didn't like the museum."],
                       [{"width": 28, "height": 28}])
    profile.add_record(["Robin visited the museum in Paris again."], [{"width": 64, "height": 32}])
    profile.add_record(["A recording of rain."], [{"seconds": 2.5}])
    # Fewer than five records: a word of one record counts; a name opening a sentence does not.
    assert (profile.salient(), profile.names()) == (["museum", "rain", "recording", "visited"], ["Paris", "Robin"])
    profile = ContentProfile()
    for i in range(5):
        profile.add_record([f"Then Robin met Sydney in Paris.{' Alex waved.' if i == 0 else ''}"], [])
    assert (profile.salient(), profile.names()) == (["met"], ["Paris", "Robin", "Sydney"])  # Alex: one record
    sized = ContentProfile()
    sized.add_record([], [{"width": 28, "height": 28}])
    sized.add_record([], [{"width": 64, "height": 32}, {"seconds": 2.5}])
    sized.add_record([], [{"seconds": 4.0}])
    assert media_phrase(sized.media_summary()) == (
        "an image (28x28 to 64x32 pixels) and an audio recording (2.5 to 4 seconds)")
