"""Uploaded archives: every refusal with its exact message and nothing written; good archives
imported in the background with a report."""
from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from datapool import services
from datapool.models import Dataset, DatasetRecord, ImportJob
from tests.conftest import SEED_POOL

CAR_IMAGES = sorted((SEED_POOL / "datasets/image/car_brands_recognition/images").glob("*.png"))[:4]


def zip_bytes(members: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16)
            zf.writestr(info, target)
    return buffer.getvalue()


def tar_bytes(members: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tf.addfile(info)
    return buffer.getvalue()


def class_folder_members() -> dict[str, bytes]:
    return {f"logos/{'ab'[i % 2]}/{path.name}": path.read_bytes() for i, path in enumerate(CAR_IMAGES)}


def run_upload(team, user, filename: str, data: bytes, django_capture_on_commit_callbacks, **options) -> ImportJob:
    with django_capture_on_commit_callbacks(execute=True):
        job = services.import_job_create(team=team, user=user, upload=SimpleUploadedFile(filename, data), **options)
    return ImportJob.objects.get(pk=job.pk)


def assert_nothing_written():
    assert Dataset.objects.count() == 0
    assert DatasetRecord.objects.count() == 0
    assert list(Path(django_settings.UPLOAD_DIR).glob("*")) == []
    assert not any((Path(django_settings.VAR_DIR) / "imports").glob("job-*"))


@pytest.fixture(autouse=True)
def _private_var(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.UPLOAD_DIR = tmp_path / "var" / "uploads"


@pytest.mark.parametrize("filename,make,message", [
    ("abs.zip", lambda: zip_bytes({"/etc/passwd.csv": b"id\n1\n"}), "member '/etc/passwd.csv' has an absolute path"),
    ("up.zip", lambda: zip_bytes({"data/../../evil.csv": b"id\n1\n"}), "member 'data/../../evil.csv' has '..' in its path"),
    ("link.zip", lambda: zip_bytes({"a.csv": b"id\n1\n"}, symlinks={"b.csv": "/etc/passwd"}),
     "member 'b.csv' is a symbolic link"),
    ("link.tar.gz", lambda: tar_bytes({"a.csv": b"id\n1\n"}, links={"b.csv": "/etc/passwd"}),
     "member 'b.csv' is a symbolic link"),
    ("bad-image.zip", lambda: zip_bytes({"logos/a/x.png": b"\x89PNG\r\n\x1a\nnot an image", "logos/a/y.txt": b"ok"}),
     "member 'logos/a/x.png' does not decode as an image: cannot identify image file 'x.png'"),
    ("latin.zip", lambda: zip_bytes({"table.csv": "id,text\n1,café\n".encode("latin-1")}),
     "member 'table.csv': invalid continuation byte at byte 13"),
    ("empty.zip", lambda: zip_bytes({}), "the archive is empty"),
    ("notes.zip", lambda: zip_bytes({"notes.txt": b"hello", "more.txt": b"x"}),
     "the archive holds no dataset this platform reads: a General-Bench pool (dataset_cards/ and datasets/), one "
     "General-Bench JSON file, an image or audio folder, or one .jsonl/.csv/.tsv/.parquet table"),
    ("fake.zip", lambda: b"this is not an archive", "the file is not a zip or tar archive"),
])
def test_refused_archives_write_nothing(team_a, user_a, django_capture_on_commit_callbacks, filename, make, message):
    job = run_upload(team_a, user_a, filename, make(), django_capture_on_commit_callbacks)
    assert (job.status, job.error) == ("failed", message)
    assert_nothing_written()


def test_limits_on_size_files_and_unpacked_bytes(team_a, user_a, settings, django_capture_on_commit_callbacks):
    data = zip_bytes(class_folder_members())
    settings.BENCH_MAX_ARCHIVE_FILES = 3
    job = run_upload(team_a, user_a, "logos.zip", data, django_capture_on_commit_callbacks)
    assert job.error == "the archive holds 4 files; the limit is 3"
    settings.BENCH_MAX_ARCHIVE_FILES = 100
    settings.BENCH_MAX_UNPACKED_BYTES = 1000
    job = run_upload(team_a, user_a, "logos.zip", data, django_capture_on_commit_callbacks)
    unpacked = sum(len(v) for v in class_folder_members().values())
    assert job.error == f"the archive unpacks to {unpacked / 2**20:.1f} MB; the limit is 0.0 MB"
    assert_nothing_written()
    settings.BENCH_MAX_UPLOAD_BYTES = 100
    with pytest.raises(ValidationError) as caught:
        services.import_job_create(team=team_a, user=user_a, upload=SimpleUploadedFile("logos.zip", data))
    assert caught.value.message_dict == {"file": [f"logos.zip is {len(data) / 2**20:.1f} MB; the limit is 0.0 MB"]}
    assert ImportJob.objects.count() == 2


def test_uploads_of_other_kinds_and_bad_mappings_are_refused_at_once(team_a, user_a):
    with pytest.raises(ValidationError) as caught:
        services.import_job_create(team=team_a, user=user_a, upload=SimpleUploadedFile("data.xlsx", b"PK"),
                                   mapping={"colour": "x"})
    assert caught.value.message_dict == {
        "file": ["data.xlsx: upload a .zip or .tar(.gz) archive, or one .jsonl, .csv, .tsv or .parquet file"],
        "mapping": ["Unknown roles ['colour']; use any of ['answer', 'audio', 'bbox', 'context', 'dialog', 'id', "
                    "'image', 'label', 'options', 'question']."]}
    assert ImportJob.objects.count() == 0


def test_a_class_folder_archive_is_imported_in_the_background(team_a, user_a, django_capture_on_commit_callbacks):
    job = run_upload(team_a, user_a, "logos.zip", zip_bytes(class_folder_members()), django_capture_on_commit_callbacks,
                     name="Logo classes", license="CC0")
    assert (job.status, job.error, job.progress_done) == ("succeeded", "", 4)
    dataset = Dataset.objects.get(pk=job.dataset_id)
    assert (dataset.name, dataset.team_id, dataset.source_format, dataset.record_count, dataset.license) == (
        "Logo classes", team_a.id, "image-folder", 4, "CC0")
    assert sorted(DatasetRecord.objects.filter(dataset=dataset).values_list("payload__label", flat=True)) == [
        "a", "a", "b", "b"]
    assert list(Path(django_settings.UPLOAD_DIR).glob("*")) == []


def test_a_general_bench_pool_in_a_tarball(team_a, user_a, django_capture_on_commit_callbacks, tmp_path):
    members = {}
    for card_path in sorted((SEED_POOL / "dataset_cards").glob("*_card.json")):
        card = json.loads(card_path.read_text())
        if card["name"] in ("Causal-Reasoning", "Natural-Language-Inference"):
            source = card["raw_meta"]["source_json"].removeprefix("data/")
            members[f"pool/dataset_cards/{card_path.name}"] = card_path.read_bytes()
            members[f"pool/{source}"] = (SEED_POOL / source).read_bytes()
    job = run_upload(team_a, user_a, "pool.tar.gz", tar_bytes(members), django_capture_on_commit_callbacks)
    assert (job.status, job.error) == ("succeeded", "")
    assert [(d["dataset"], d["created"]) for d in job.report["datasets"]] == [
        ("Causal-Reasoning", 200), ("Natural-Language-Inference", 196)]
    assert sorted(Dataset.objects.filter(team=team_a).values_list("slug", flat=True)) == [
        "causal-reasoning", "natural-language-inference"]


def test_a_plain_jsonl_upload_with_a_mapping(team_a, user_a, django_capture_on_commit_callbacks):
    rows = [{"n": i, "q": f"What is {i} + {i}?", "a": str(2 * i)} for i in range(12)]
    data = "\n".join(json.dumps(r) for r in rows).encode()
    job = run_upload(team_a, user_a, "sums.jsonl", data, django_capture_on_commit_callbacks,
                     mapping={"id": "n", "question": "q", "answer": "a"})
    assert (job.status, job.source_format, job.progress_done) == ("succeeded", "jsonl", 12)
    dataset = Dataset.objects.get(pk=job.dataset_id)
    assert (dataset.name, dataset.card.fields["question"]["paths"]) == ("sums", ["q"])
