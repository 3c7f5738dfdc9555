"""Resource bombs refused as a class, each with its exact reason, nothing of it written, and the
good rows kept: archives that unpack far past their size, images that declare a huge canvas,
recordings that declare hours, and records far past the row limit (read no further than it)."""
from __future__ import annotations

import csv
import io
import json
import shutil
import tracemalloc
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from agents.tools.files import file_sha256
from datapool import services
from datapool.importers.archive import ArchiveRefused, archive_extract
from datapool.importers.folders import dataset_import_folder
from datapool.importers.general_bench import dataset_import_general_bench
from datapool.importers.rows import byte_size
from datapool.importers.tabular import dataset_import_table
from datapool.models import Dataset, DatasetRecord, ImportJob
from tests.conftest import SEED_POOL
from tests.hostile import huge_png, tar_gz_of_zeros, wav_declaring, zip_of_zeros, zip_with_lying_sizes

CAR_IMAGES = sorted((SEED_POOL / "datasets/image/car_brands_recognition/images").glob("*.png"))[:3]
RECORDINGS = sorted(Path("/usr/share/pocketsphinx/test/data/librivox").glob("*.wav"))[:2]
MB = 1024 * 1024
ROW_LIMIT = 64 * 1024
BIG_ROW = 5 * MB


@pytest.fixture(autouse=True)
def _private_dirs(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.UPLOAD_DIR = tmp_path / "var" / "uploads"
    settings.MEDIA_ROOT = tmp_path / "media"


def media_files() -> list[str]:
    root = Path(django_settings.MEDIA_ROOT)
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def var_files() -> list[str]:
    return sorted(str(p.relative_to(django_settings.VAR_DIR)) for p in Path(django_settings.VAR_DIR).rglob("*")
                  if p.is_file())


def upload(team, user, filename: str, data: bytes, capture, **options) -> ImportJob:
    with capture(execute=True):
        job = services.import_job_create(team=team, user=user, upload=SimpleUploadedFile(filename, data), **options)
    return ImportJob.objects.get(pk=job.pk)


def assert_nothing_written() -> None:
    assert (Dataset.objects.count(), DatasetRecord.objects.count()) == (0, 0)
    assert var_files() == []
    assert media_files() == []


# --- archives -------------------------------------------------------------------------------------

def test_a_zip_bomb_is_refused_from_its_headers_before_anything_is_written(team_a, user_a,
                                                                           django_capture_on_commit_callbacks, tmp_path):
    data = zip_of_zeros({"bomb/zeros.csv": 64 * MB})  # 64 KB that unpacks to 64 MB; the unpacked limit is 2 GB
    compressed = zipfile.ZipFile(io.BytesIO(data)).getinfo("bomb/zeros.csv").compress_size
    reason = (f"member 'bomb/zeros.csv' unpacks to 64.0 MB from {byte_size(compressed)}, {64 * MB // compressed} "
              f"times its compressed size; the limit is 100 times")
    archive, dest = tmp_path / "bomb.zip", tmp_path / "unpacked"
    archive.write_bytes(data)
    with pytest.raises(ArchiveRefused) as refused:
        archive_extract(archive=archive, dest=dest)
    assert (str(refused.value), dest.exists()) == (reason, False)  # refused before the folder was made
    job = upload(team_a, user_a, "bomb.zip", data, django_capture_on_commit_callbacks)
    assert (job.status, job.error) == ("failed", reason)
    assert_nothing_written()


def test_many_small_members_of_zeros_are_refused_by_the_archives_own_ratio(team_a, user_a,
                                                                          django_capture_on_commit_callbacks):
    # Each member is at the size below which a member's ratio is not judged; together they are a bomb.
    data = zip_of_zeros({f"zeros/{i:02d}.csv": MB for i in range(40)})
    job = upload(team_a, user_a, "many.zip", data, django_capture_on_commit_callbacks)
    assert (job.status, job.error) == ("failed", f"the archive unpacks to 40.0 MB from {byte_size(len(data))}, "
                                                 f"{40 * MB // len(data)} times its size; the limit is 100 times")
    assert_nothing_written()


def test_a_gzipped_tar_bomb_is_refused_by_its_ratio(team_a, user_a, django_capture_on_commit_callbacks, settings):
    data = tar_gz_of_zeros("zeros.csv", 64 * MB)
    job = upload(team_a, user_a, "bomb.tar.gz", data, django_capture_on_commit_callbacks)
    assert (job.status, job.error) == ("failed", f"the archive unpacks to 64.0 MB from {byte_size(len(data))}, "
                                                 f"{64 * MB // len(data)} times its size; the limit is 100 times")
    assert_nothing_written()
    settings.BENCH_MAX_COMPRESSION_RATIO = 2000  # the operator's choice; the unpacked-size limit still holds
    settings.BENCH_MAX_UNPACKED_BYTES = 32 * MB
    job = upload(team_a, user_a, "bomb.tar.gz", data, django_capture_on_commit_callbacks)
    assert job.error == "the archive unpacks to 64.0 MB; the limit is 32.0 MB"
    assert_nothing_written()


def test_a_zip_whose_headers_understate_its_member_leaves_nothing_behind(team_a, user_a,
                                                                        django_capture_on_commit_callbacks):
    data = zip_with_lying_sizes("table.csv", 8 * MB, declared=1000)  # the headers say 1000 bytes
    job = upload(team_a, user_a, "lying.zip", data, django_capture_on_commit_callbacks)
    assert (job.status, job.error) == ("failed", "the archive cannot be unpacked: Bad CRC-32 for file 'table.csv'")
    assert_nothing_written()


def test_a_small_very_regular_table_still_imports(team_a, user_a, django_capture_on_commit_callbacks):
    rows = "".join(json.dumps({"id": i, "question": "Is it?" + " " * 1000, "answer": "yes"}) + "\n" for i in range(900))
    data = zip_of_zeros({}, extra={"table.jsonl": rows.encode()})
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("table.jsonl")
    assert info.file_size > 100 * info.compress_size and info.file_size < MB  # a high ratio, but a small file
    job = upload(team_a, user_a, "table.zip", data, django_capture_on_commit_callbacks)
    assert (job.status, job.error, job.progress_done) == ("succeeded", "", 900)


# --- images and recordings ----------------------------------------------------------------------

def image_folder(root: Path, extra: dict[str, bytes]) -> Path:
    root.mkdir()
    names = []
    for path in CAR_IMAGES:
        shutil.copyfile(path, root / path.name)
        names.append(path.name)
    for name, data in extra.items():
        (root / name).write_bytes(data)
        names.append(name)
    with (root / "metadata.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_name", "label"])
        writer.writerows([name, "car"] for name in names)
    return root


def test_an_image_declaring_144_megapixels_is_a_bad_row_and_never_stored(team_a, tmp_path):
    big = huge_png(12000, 12000)
    assert len(big) < 150_000  # a 140 KB file; decoded, 144 MB of pixels (432 MB once made RGB)
    root = image_folder(tmp_path / "cars", {"big.png": big, "tall.png": huge_png(5000, 9000)})
    report = dataset_import_folder(team=team_a, root=root, name="Cars")
    assert (report.error, report.created) == ("", 3)
    # Above twice the limit Pillow's own guard (set to our limit) refuses it at open, before we read
    # its header: its size is then known only as a pixel count.
    assert report.bad_rows == [
        {"row": 5, "id": "big.png", "reason": "image file 'big.png' (file_name) is 144.0 megapixels; the limit is "
                                              "40.0 megapixels"},
        {"row": 6, "id": "tall.png", "reason": "image file 'tall.png' (file_name) is 5000x9000 pixels (45.0 "
                                               "megapixels); the limit is 40.0 megapixels"}]
    assert media_files() == sorted(f"{file_sha256(path)}.png" for path in CAR_IMAGES)


def test_the_pixel_limit_is_a_setting(team_a, tmp_path, settings):
    settings.BENCH_MAX_IMAGE_PIXELS = 129 * 124 - 1  # one pixel less than each car logo
    root = image_folder(tmp_path / "cars", {})
    report = dataset_import_folder(team=team_a, root=root, name="Cars")
    assert (report.created, [bad["reason"] for bad in report.bad_rows]) == (0, [
        f"image file '{path.name}' (file_name) is 129x124 pixels (0.0 megapixels); the limit is 0.0 megapixels"
        for path in CAR_IMAGES])


def test_an_image_past_pillows_own_guard_is_a_reason_not_a_crash(team_a, tmp_path):
    # Pillow refuses, at open, an image above twice its MAX_IMAGE_PIXELS, which the app sets to our limit.
    assert Image.MAX_IMAGE_PIXELS == django_settings.BENCH_MAX_IMAGE_PIXELS == 40_000_000
    root = image_folder(tmp_path / "cars", {"wide.png": huge_png(9000, 9000)})
    report = dataset_import_folder(team=team_a, root=root, name="Cars")
    assert (report.error, report.created, report.bad_rows) == ("", 3, [
        {"row": 5, "id": "wide.png", "reason": "image file 'wide.png' (file_name) is 81.0 megapixels; the limit is "
                                               "40.0 megapixels"}])


def test_an_archive_holding_a_huge_image_is_refused_naming_it(team_a, user_a, django_capture_on_commit_callbacks):
    members = {f"logos/a/{p.name}": p.read_bytes() for p in CAR_IMAGES} | {"logos/b/big.png": huge_png(12000, 12000)}
    data = zip_of_zeros({}, extra=members)
    job = upload(team_a, user_a, "logos.zip", data, django_capture_on_commit_callbacks)
    assert (job.status, job.error) == ("failed", "member 'logos/b/big.png' is 144.0 megapixels; the limit is 40.0 "
                                                 "megapixels")
    assert_nothing_written()


def test_a_wav_declaring_two_hours_is_a_bad_row(team_a, tmp_path):
    root = tmp_path / "speech"
    (root / "a").mkdir(parents=True)
    for path in RECORDINGS:
        shutil.copyfile(path, root / "a" / path.name)
    (root / "a" / "long.wav").write_bytes(wav_declaring(2 * 3600))  # 244 bytes
    report = dataset_import_folder(team=team_a, root=root, name="Speech")
    assert (report.error, report.created) == ("", 2)
    # (A class folder's rows name the file in both their id and file_name columns; the first is named.)
    assert report.bad_rows == [{"row": 1, "id": "a/long.wav", "reason": "audio file 'a/long.wav' (id) is a recording "
                                                                        "of 7,200 s; the limit is 600 s"}]


# --- rows -----------------------------------------------------------------------------------------

def flat_rows(n: int) -> list[dict]:
    return [{"id": f"r{i}", "question": f"What is {i} + {i}?", "answer": str(2 * i)} for i in range(n)]


MAPPING = {"id": "id", "question": "question", "answer": "answer"}


def peak_bytes(run):
    """What `run` returns, and the peak of Python memory it allocated on top of what was there."""
    tracemalloc.start()
    try:
        result = run()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_5_mb_jsonl_line_is_a_bad_row_never_read_whole(team_a, tmp_path, settings):
    settings.BENCH_MAX_ROW_BYTES = ROW_LIMIT
    lines = [json.dumps(row) for row in flat_rows(6)]
    lines[2] = json.dumps({"id": "huge", "question": "x" * BIG_ROW, "answer": "1"})
    path = tmp_path / "sums.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report, peak = peak_bytes(lambda: dataset_import_table(team=team_a, path=path, name="Sums", mapping=MAPPING))
    assert (report.error, report.created, report.bad_row_count) == ("", 5, 1)
    assert report.bad_rows == [{"row": 3, "reason": f"line 3 is {byte_size(len(lines[2]))}, over the 64 KB limit for "
                                                    f"one record"}]
    assert byte_size(len(lines[2])) == "5.0 MB"
    # The 5 MB line was never held: the largest thing was the UTF-8 check's 1 MB chunk.
    assert peak < BIG_ROW // 2
    assert sorted(DatasetRecord.objects.values_list("source_id", flat=True)) == ["r0", "r1", "r3", "r4", "r5"]


def test_the_row_limit_is_exact(team_a, tmp_path, settings):
    settings.BENCH_MAX_ROW_BYTES = 1000
    at_limit = json.dumps({"id": "a", "question": "", "answer": "1"})
    at_limit = at_limit.replace('"question": ""', '"question": "' + "q" * (1000 - len(at_limit)) + '"')
    over = at_limit.replace('"id": "a"', '"id": "bb"')
    assert (len(at_limit), len(over)) == (1000, 1001)
    path = tmp_path / "edge.jsonl"
    path.write_bytes(f"{at_limit}\r\n{over}\n{json.dumps({'id': 'c', 'question': 'q', 'answer': '2'})}".encode())
    report = dataset_import_table(team=team_a, path=path, name="Edge", mapping=MAPPING)
    assert (report.created, report.bad_rows) == (2, [
        {"row": 2, "reason": "line 2 is 1001 bytes, over the 1000 bytes limit for one record"}])


def test_a_5_mb_csv_cell_is_a_bad_row_and_quoted_lines_still_count_as_one_row(team_a, tmp_path, settings):
    settings.BENCH_MAX_ROW_BYTES = ROW_LIMIT
    path = tmp_path / "sums.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "question", "answer"])
        writer.writerow(["r0", "What is 0 + 0?", "0"])
        writer.writerow(["r1", "A question\nover two lines?", "2"])  # lines 3-4
        writer.writerow(["huge", "x" * BIG_ROW, "1"])  # line 5
        writer.writerow(["r3", "What is 3 + 3?", "6"])
    report, peak = peak_bytes(lambda: dataset_import_table(team=team_a, path=path, name="Sums", mapping=MAPPING))
    assert (report.error, report.created) == ("", 3)
    assert report.bad_rows == [{"row": 5, "reason": "line 5 is 5.0 MB, over the 64 KB limit for one record"}]
    assert peak < BIG_ROW // 2
    assert DatasetRecord.objects.get(source_id="r1").payload["question"] == "A question\nover two lines?"


def test_a_csv_header_past_the_limit_is_the_files_error(team_a, tmp_path, settings):
    settings.BENCH_MAX_ROW_BYTES = ROW_LIMIT
    path = tmp_path / "wide.csv"
    header = ",".join(f"column_{i:06d}" for i in range(10_000))
    path.write_text(header + "\n1\n", encoding="utf-8")
    report = dataset_import_table(team=team_a, path=path, name="Wide")
    assert (byte_size(len(header)), report.error) == (
        "137 KB", "wide.csv: the header (line 1) is 137 KB, over the 64 KB limit for one record")
    assert Dataset.objects.count() == 0


def test_a_5_mb_parquet_cell_is_a_bad_row(team_a, tmp_path, settings):
    settings.BENCH_MAX_ROW_BYTES = ROW_LIMIT
    rows = flat_rows(4)
    rows[2]["question"] = "x" * BIG_ROW
    path = tmp_path / "sums.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    report = dataset_import_table(team=team_a, path=path, name="Sums", mapping=MAPPING)
    assert (report.error, report.created) == ("", 3)
    assert report.bad_rows == [{"row": 2, "reason": "row 2 is 5.0 MB, over the 64 KB limit for one record"}]


def test_a_5_mb_general_bench_record_is_a_bad_row(team_a, tmp_path, settings):
    settings.BENCH_MAX_ROW_BYTES = ROW_LIMIT
    records = [{"id": f"r{i}", "input": {"question": f"What is {i} + {i}?"}, "output": {"answer": str(2 * i)}}
               for i in range(4)]
    records[1]["input"]["context"] = "x" * BIG_ROW
    path = tmp_path / "sums" / "annotation.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"task": "sums", "data": records}), encoding="utf-8")
    report = dataset_import_general_bench(team=team_a, json_path=path, card=None)
    assert (report.error, report.created) == ("", 3)
    assert report.bad_rows == [{"row": 1, "reason": "record 1 is 5.0 MB, over the 64 KB limit for one record"}]
    assert sorted(DatasetRecord.objects.values_list("source_id", flat=True)) == ["r0", "r2", "r3"]


def test_an_uploaded_jsonl_names_the_long_line_and_imports_the_rest(team_a, user_a,
                                                                    django_capture_on_commit_callbacks, settings):
    settings.BENCH_MAX_ROW_BYTES = ROW_LIMIT
    lines = [json.dumps(row) for row in flat_rows(6)]
    lines[4] = json.dumps({"id": "huge", "question": "x" * BIG_ROW, "answer": "1"})
    job = upload(team_a, user_a, "sums.jsonl", "\n".join(lines).encode(), django_capture_on_commit_callbacks,
                 mapping=MAPPING)
    assert (job.status, job.progress_done) == ("succeeded", 5)
    assert job.report["datasets"][0]["bad_rows"] == [
        {"row": 5, "reason": "line 5 is 5.0 MB, over the 64 KB limit for one record"}]
