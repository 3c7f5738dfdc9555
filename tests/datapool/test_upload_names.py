"""An upload's reports and errors name the user's own file (and the paths inside their archive),
never the server's folders or the random name the upload was kept under — on the API, the import
page, the dataset page and the card."""
from __future__ import annotations

import io
import json
import tarfile
import tempfile
import zipfile
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from datapool.models import Dataset, ImportJob
from tests.conftest import SEED_POOL

ROWS = [{"n": i, "q": f"What is {i} + {i}?", "a": str(2 * i)} for i in range(12)]
MAPPING = {"id": "n", "question": "q", "answer": "a"}


@pytest.fixture(autouse=True)
def _private_dirs(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.UPLOAD_DIR = tmp_path / "var" / "uploads"
    settings.MEDIA_ROOT = tmp_path / "media"


def jsonl(rows=ROWS, extra: list[str] = ()) -> bytes:
    return "\n".join([json.dumps(r) for r in rows] + list(extra)).encode()


def api_upload(api, capture, filename: str, data: bytes, **fields) -> ImportJob:
    with capture(execute=True):
        response = api.post(reverse("api-pool-import-create"), {"team": "team-a", "file": SimpleUploadedFile(
            filename, data), **fields}, format="multipart")
    assert response.status_code == 201, response.json()
    return ImportJob.objects.get(pk=response.json()["id"])


def assert_no_server_names(job: ImportJob, *texts: str) -> None:
    stored = Path(job.upload)
    shown = "\n".join([json.dumps(job.report), job.error, *texts])
    for marker in (str(django_settings.VAR_DIR), str(django_settings.UPLOAD_DIR), str(django_settings.MEDIA_ROOT),
                   tempfile.gettempdir() + "/", stored.name, stored.name.split(".")[0], "job-"):
        assert marker not in shown, marker


def test_a_tables_report_card_and_pages_name_the_users_file(api_a, client, user_a, django_capture_on_commit_callbacks):
    job = api_upload(api_a, django_capture_on_commit_callbacks, "Exam Sums.jsonl", jsonl(extra=["{oops"]),
                     mapping=json.dumps(MAPPING))
    detail = api_a.get(reverse("api-pool-import-detail", args=[job.id])).json()
    report = detail["report"]["datasets"][0]
    assert (detail["status"], report["source"], report["created"], report["bad_rows"]) == (
        "succeeded", "Exam Sums.jsonl", 12,
        [{"row": 13, "reason": "line 13 is not valid JSON: Expecting property name enclosed in double quotes at "
                               "column 2"}])
    dataset = Dataset.objects.get(pk=job.dataset_id)
    assert (dataset.name, dataset.source_path, dataset.import_report["source"]) == (
        "Exam Sums", "Exam Sums.jsonl", "Exam Sums.jsonl")
    assert dataset.card.card_text.endswith("; source Exam Sums.jsonl.")
    client.force_login(user_a)
    pages = [client.get(reverse("pool-import-detail", args=[job.id])).content.decode(),
             client.get(reverse("pool-dataset-detail", args=[dataset.id])).content.decode(),
             json.dumps(api_a.get(reverse("api-pool-dataset-detail", args=[dataset.id])).json())]
    assert "Import of Exam Sums.jsonl" in pages[0]
    assert_no_server_names(job, *pages)


@pytest.mark.parametrize("filename,data,fields,error", [
    ("latin.jsonl", '{"n": 1, "q": "café"}'.encode("latin-1"), {},
     "latin.jsonl is not UTF-8 text: invalid continuation byte at byte 18"),
    ("broken.jsonl", b"{oops\n[1]\n", {},
     "no usable records in broken.jsonl (2 bad rows; first bad row: line 1 is not valid JSON: Expecting property name "
     "enclosed in double quotes at column 2)"),
    ("sums.jsonl", jsonl(), {"mapping": json.dumps({"question": "x"})},
     "sums.jsonl: column 'x' (mapped to question) is not in the file; columns: n, q, a"),
    ("table.parquet", b"not a parquet file", {},
     "table.parquet cannot be read: Parquet magic bytes not found in footer. Either the file is corrupted or this is "
     "not a parquet file."),
])
def test_refused_uploads_name_the_users_file(api_a, django_capture_on_commit_callbacks, filename, data, fields, error):
    job = api_upload(api_a, django_capture_on_commit_callbacks, filename, data, **fields)
    assert (job.status, job.error, job.report["datasets"][0]["source"]) == ("failed", error, filename)
    assert_no_server_names(job)


def tar_gz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def zip_file(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def test_an_archives_reports_name_the_paths_inside_it(api_a, django_capture_on_commit_callbacks):
    members = {}
    for card_path in sorted((SEED_POOL / "dataset_cards").glob("*_card.json")):
        card = json.loads(card_path.read_text())
        if card["name"] in ("Causal-Reasoning", "Natural-Language-Inference"):
            source = card["raw_meta"]["source_json"].removeprefix("data/")
            members[f"pool/dataset_cards/{card_path.name}"] = card_path.read_bytes()
            members[f"pool/{source}"] = (SEED_POOL / source).read_bytes()
    job = api_upload(api_a, django_capture_on_commit_callbacks, "my-pool.tar.gz", tar_gz(members))
    assert [d["source"] for d in job.report["datasets"]] == [
        "my-pool.tar.gz/pool/datasets/nlp/Causal-Reasoning/annotation.json",
        "my-pool.tar.gz/pool/datasets/nlp/Natural-Language-Inference/annotation.json"]
    assert_no_server_names(job)


def test_an_archive_without_a_top_folder_is_named_after_the_users_file(api_a, django_capture_on_commit_callbacks):
    job = api_upload(api_a, django_capture_on_commit_callbacks, "Logo Sums.zip", zip_file({"data.jsonl": jsonl()}),
                     mapping=json.dumps(MAPPING))
    dataset = Dataset.objects.get(pk=job.dataset_id)
    assert (job.status, dataset.name, dataset.slug, job.report["datasets"][0]["source"]) == (
        "succeeded", "Logo Sums", "logo-sums", "Logo Sums.zip/data.jsonl")
    assert_no_server_names(job)


def test_a_broken_file_inside_an_archive_is_named_by_its_path_there(api_a, django_capture_on_commit_callbacks):
    job = api_upload(api_a, django_capture_on_commit_callbacks, "sets.zip",
                     zip_file({"sets/x.json": b'{"data": [1, 2'}))
    assert (job.status, job.error) == ("failed", "sets.zip/sets/x.json is not valid JSON: Expecting ',' delimiter at "
                                                 "line 1 column 15")
    assert_no_server_names(job)


def test_the_upload_page_shows_the_users_file_name(client, user_a, team_a, django_capture_on_commit_callbacks):
    client.force_login(user_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("pool-import-new"), {"team": "team-a", "file": SimpleUploadedFile(
            "Week 3.jsonl", jsonl(extra=["[1]"])), "mapping": json.dumps(MAPPING)})
    job = ImportJob.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert "Import of Week 3.jsonl" in page
    assert "<td>13</td><td class=\"mono\">—</td><td>line 13 is not a JSON object</td>" in page
    assert_no_server_names(job, page)
