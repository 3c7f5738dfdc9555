"""Freezing a version and exporting it; each export is loaded back by the tool it is for: the
Hugging Face `datasets` library, Inspect AI (dataset, task file, and an offline run with its mock
model), and a JSONL reader."""
from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import os
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from benchmarks import services  # noqa: E402
from benchmarks.models import MediaAsset, Sample, VersionExport  # noqa: E402


def _unzip(body: bytes, into: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        names = archive.namelist()
        assert all(not n.startswith("/") and ".." not in n for n in names)
        archive.extractall(into)
    return into / names[0].split("/")[0]


def _download(client, version, fmt: str):
    response = client.get(f"/benchmarks/{version.benchmark_id}/export/{fmt}/?version={version.number}")
    assert response.status_code == 200, response.content[:300]
    body = b"".join(response.streaming_content)
    assert response["X-Content-SHA256"] == hashlib.sha256(body).hexdigest()
    assert response["X-Version-Checksum"] == version.checksum
    return body


@pytest.fixture
def frozen(built_image_benchmark, user_a):
    return services.version_freeze(version=built_image_benchmark.version, user=user_a)


def test_only_a_finished_version_is_frozen_by_its_owners_and_then_it_no_longer_changes(
        built_image_benchmark, user_a, user_b, api_a):
    version = built_image_benchmark.version
    with pytest.raises(PermissionDenied):
        services.version_freeze(version=version, user=user_b)
    with pytest.raises(ValidationError, match="Freeze"):
        services.version_export(version=version, fmt="jsonl")
    assert api_a.get(f"/api/benchmarks/{version.benchmark_id}/export/").status_code == 400
    response = api_a.post(f"/api/benchmarks/{version.benchmark_id}/freeze/")
    assert response.status_code == 200
    version.refresh_from_db()
    assert version.frozen and version.checksum == services.version_checksum(version)
    sample = Sample.objects.filter(version=version, status="ok").first()
    with pytest.raises(ValidationError, match="frozen"):
        services.samples_replace(version=version, reasons={sample.pk: "test"})


def test_jsonl_export_carries_every_item_and_its_media(client, user_a, frozen, tmp_path):
    client.force_login(user_a)
    body = _download(client, frozen, "jsonl")
    folder = _unzip(body, tmp_path)
    rows = [json.loads(line) for line in (folder / "data.jsonl").read_text().splitlines()]
    samples = {s.item_key: s for s in Sample.objects.filter(version=frozen, status__in=["ok", "repaired"])}
    assert sorted(r["id"] for r in rows) == sorted(samples) and len(rows) == 6
    for row in rows:
        sample = samples[row["id"]]
        assert (row["question"], row["options"], row["answer"], row["answer_index"]) == (
            sample.question, sample.options, sample.answer, sample.answer_index)
        asset = sample.media.get(kind=MediaAsset.Kind.IMAGE)
        assert hashlib.sha256((folder / row["image"]).read_bytes()).hexdigest() == asset.sha256
    assert json.loads((folder / "info.json").read_text())["checksum"] == frozen.checksum
    # Made once and kept: the second download is the same file.
    assert _download(client, frozen, "jsonl") == body
    assert VersionExport.objects.filter(version=frozen).count() == 1


def test_hugging_face_export_loads_with_datasets(client, user_a, frozen, tmp_path):
    import datasets
    from PIL import Image

    client.force_login(user_a)
    folder = _unzip(_download(client, frozen, "hf"), tmp_path)
    card = (folder / "README.md").read_text()
    assert "num_examples: 6" in card and "dtype: image" in card and frozen.request.text in card
    loaded = datasets.load_dataset(str(folder), split="test", cache_dir=str(tmp_path / "cache"))
    assert len(loaded) == 6
    assert isinstance(loaded.features["image"], datasets.Image)
    samples = {s.item_key: s for s in Sample.objects.filter(version=frozen, status__in=["ok", "repaired"])}
    for row in loaded:
        sample = samples[row["id"]]
        assert row["options"] == sample.options and row["answer_index"] == sample.answer_index
        asset = sample.media.get(kind=MediaAsset.Kind.IMAGE)
        assert row["image"].size == Image.open(_asset_path(asset)).size


def _asset_path(asset) -> Path:
    from django.conf import settings
    return Path(settings.MEDIA_ROOT) / asset.file


def test_inspect_export_loads_as_an_inspect_dataset_and_task(client, user_a, frozen, tmp_path):
    from inspect_ai.dataset import json_dataset

    client.force_login(user_a)
    folder = _unzip(_download(client, frozen, "inspect"), tmp_path)
    dataset = json_dataset(str(folder / "dataset.jsonl"))
    assert len(dataset) == 6
    samples = {s.item_key: s for s in Sample.objects.filter(version=frozen, status__in=["ok", "repaired"])}
    for sample in dataset:
        ours = samples[sample.id]
        assert sample.choices == ours.options and sample.target == "ABCDEFGH"[ours.answer_index]
        kinds = [part.type for part in sample.input[0].content]
        assert kinds == ["text", "image"]
    spec = importlib.util.spec_from_file_location("exported_task", folder / "task.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    task_function = next(getattr(module, n) for n in dir(module) if not n.startswith("_") and callable(getattr(module, n))
                         and getattr(getattr(module, n), "__module__", "") == "exported_task")
    # Inspect's own task loader builds the task (its run needs a tokenizer download: no network here).
    task = task_function()
    assert len(task.dataset) == 6 and task.dataset[0].target in "ABCD"
    assert [s.id for s in task.dataset] == [s.id for s in dataset]


def test_exports_belong_to_the_team(client, api_b, user_b, frozen):
    client.force_login(user_b)
    assert client.get(f"/benchmarks/{frozen.benchmark_id}/export/jsonl/").status_code == 404
    assert api_b.get(f"/api/benchmarks/{frozen.benchmark_id}/export/?export_format=jsonl").status_code == 404
    assert api_b.post(f"/api/benchmarks/{frozen.benchmark_id}/freeze/").status_code == 404


def test_lm_eval_export_loads_with_the_harness(client, user_a, built_text_benchmark, tmp_path, monkeypatch):
    from lm_eval.tasks import TaskManager

    version = services.version_freeze(version=built_text_benchmark.version, user=user_a)
    client.force_login(user_a)
    folder = _unzip(_download(client, version, "lm_eval"), tmp_path)
    name = f"{version.benchmark.slug.replace('-', '_')[:60]}_v1"
    assert (folder / f"{name}.yaml").is_file()
    monkeypatch.chdir(folder)  # the task's data file is relative to the exported folder
    task = TaskManager(include_path=str(folder)).load([name])["tasks"][name]
    docs = list(task.test_docs())
    samples = {s.item_key: s for s in Sample.objects.filter(version=version, status__in=["ok", "repaired"])}
    assert len(docs) == len(samples) == 12
    doc = docs[0]
    ours = samples[doc["id"]]
    assert task.doc_to_choice(doc) == ours.options and task.doc_to_target(doc) == ours.answer_index
    text = task.doc_to_text(doc)
    # Line breaks, not the two characters backslash and n (the YAML is written by a YAML dumper).
    assert text == ((f"{ours.context}\n\n" if ours.context else "") + f"Question: {ours.question}\n"
                    + "".join(f"{letter}. {option}\n" for letter, option in zip("ABCDEFGH", ours.options))
                    + "Answer:")


def test_lmms_eval_export_hooks_read_the_parquet(client, user_a, frozen, tmp_path):
    import datasets
    import yaml

    client.force_login(user_a)
    folder = _unzip(_download(client, frozen, "lmms_eval"), tmp_path)
    config_file = next(folder.glob("*.yaml"))

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!function", lambda loader, node: ("function", loader.construct_scalar(node)))
    config = yaml.load(config_file.read_text(), Loader=Loader)  # noqa: S506 - our own loader, safe plus one tag
    assert config["output_type"] == "generate_until" and config["doc_to_visual"] == ("function", "utils.doc_to_visual")
    spec = importlib.util.spec_from_file_location("lmms_utils", folder / "utils.py")
    utils = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(utils)
    rows = datasets.load_dataset("parquet", data_files={"test": str(folder / config["dataset_kwargs"]["data_files"]["test"])},
                                 split="test", cache_dir=str(tmp_path / "cache"))
    assert len(rows) == 6
    for row in rows:
        ours = Sample.objects.get(version=frozen, item_key=row["id"])
        [image] = utils.doc_to_visual(row)
        assert image.size == _image_size(ours)
        assert utils.doc_to_text(row).splitlines()[0] == ours.question
        assert utils.process_results(row, [utils.doc_to_target(row)]) == {"accuracy": 1.0}


def _image_size(sample) -> tuple[int, int]:
    from PIL import Image

    return Image.open(_asset_path(sample.media.get(kind=MediaAsset.Kind.IMAGE))).size


def test_vlmevalkit_tsv_has_the_mmbench_columns_and_base64_images(client, user_a, frozen, tmp_path):
    import base64

    import pandas

    client.force_login(user_a)
    folder = _unzip(_download(client, frozen, "vlmevalkit"), tmp_path)
    table = pandas.read_csv(next(folder.glob("*.tsv")), sep="\t", keep_default_na=False)
    assert list(table.columns[:4]) == ["index", "image", "question", "hint"] and "answer" in table.columns
    assert len(table) == 6
    for _, row in table.iterrows():
        ours = Sample.objects.get(version=frozen, question=row["question"])
        assert row["answer"] == "ABCDEFGH"[ours.answer_index] and row["A"] == ours.options[0]
        asset = ours.media.get(kind=MediaAsset.Kind.IMAGE)
        assert hashlib.sha256(base64.b64decode(row["image"])).hexdigest() == asset.sha256


def test_the_api_downloads_the_same_zip_as_the_page(client, api_a, user_a, frozen):
    client.force_login(user_a)
    page = _download(client, frozen, "vlmevalkit")
    response = api_a.get(f"/api/benchmarks/{frozen.benchmark_id}/export/?export_format=vlmevalkit&version=1")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert b"".join(response.streaming_content) == page
    assert response["X-Content-SHA256"] == hashlib.sha256(page).hexdigest()
    bad = api_a.get(f"/api/benchmarks/{frozen.benchmark_id}/export/?export_format=xlsx")
    assert bad.status_code == 400 and "format" in bad.json()
