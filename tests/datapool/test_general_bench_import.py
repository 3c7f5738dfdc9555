"""The General-Bench importer on the real seed pool and on malformed files."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from PIL import Image

from datapool.importers.general_bench import (
    dataset_import_general_bench,
    pool_import_general_bench,
)
from datapool.models import Dataset, DatasetCard, DatasetRecord
from tests.conftest import SEED_POOL, import_seed_datasets


def test_text_dataset_imports_every_record_with_its_card(team_a):
    report = import_seed_datasets(team_a, ["Causal-Reasoning"])["Causal-Reasoning"]
    assert (report.created, report.updated, report.unchanged, report.bad_rows, report.error) == (200, 0, 0, [], "")
    dataset = Dataset.objects.get(team=team_a, slug="causal-reasoning")
    assert (dataset.record_count, dataset.size_declared, dataset.modalities) == (200, 200, ["text"])
    assert dataset.card.fields["options"]["paths"] == ["input.options"]
    first = DatasetRecord.objects.get(dataset=dataset, source_id="cr452")
    assert first.position == 0
    assert first.payload["input"]["question"] == "What is the effect of: He said he saw a hellhound running on the street.?"


def test_image_dataset_copies_media_into_the_store(team_a, media_root):
    report = import_seed_datasets(team_a, ["Art Image Visual Question Answering"])["Art Image Visual Question Answering"]
    assert (report.created, report.media_files, len(report.bad_rows)) == (200, 175, 0)
    record = DatasetRecord.objects.get(dataset__team=team_a, source_id="art_image_vqa_0164")
    source = SEED_POOL / "datasets/image/ArtImageVisualQuestionAnswering/images/17098-1arles10.jpg"
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    # The store is content-addressed: one copy per distinct file, under a name no source can choose.
    assert record.media == [{"path": "input.image_file", "kind": "image", "sha256": digest,
                             "file": f"pool/team-a/art-image-visual-question-answering/{digest[:2]}/{digest}.jpg"}]
    assert (media_root / record.media[0]["file"]).read_bytes() == source.read_bytes()


def test_reimport_changes_nothing(team_a):
    import_seed_datasets(team_a, ["Causal-Reasoning"])
    again = import_seed_datasets(team_a, ["Causal-Reasoning"])["Causal-Reasoning"]
    assert (again.created, again.updated, again.unchanged) == (0, 0, 200)
    assert Dataset.objects.filter(team=team_a).count() == 1
    assert DatasetRecord.objects.filter(dataset__team=team_a).count() == 200


def test_the_same_dataset_in_two_teams_is_two_datasets(team_a, team_b):
    import_seed_datasets(team_a, ["Causal-Reasoning"])
    import_seed_datasets(team_b, ["Causal-Reasoning"])
    assert sorted(Dataset.objects.values_list("team__slug", flat=True)) == ["team-a", "team-b"]


def _write(tmp_path: Path, document) -> Path:
    folder = tmp_path / "datasets" / "image" / "Mini"
    (folder / "images").mkdir(parents=True)
    path = folder / "data.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    return path


def test_bad_rows_are_named_and_good_rows_imported(team_a, tmp_path):
    path = _write(tmp_path, {"task": "mini", "data": [
        {"id": "ok1", "input": {"question": "q1", "image_file": "a.png"}, "output": {"text": "x"}},
        {"input": {"question": "no id"}, "output": {"text": "y"}},
        {"id": "ok1", "input": {"question": "again"}, "output": {"text": "z"}},
        {"id": "gone", "input": {"question": "q", "image_file": "missing.png"}, "output": {"text": "w"}},
        {"id": "escape", "input": {"question": "q", "image_file": "../../../../etc/hostname.png"}, "output": {"text": "w"}},
        "not an object",
        {"id": "ok2", "input": {"question": "q2"}, "output": {"text": "v"}},
        {"id": "broken", "input": {"question": "q", "image_file": "broken.png"}, "output": {"text": "w"}},
    ]})
    Image.new("RGB", (4, 3), "red").save(path.parent / "images" / "a.png")
    (path.parent / "images" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    report = dataset_import_general_bench(team=team_a, json_path=path, card={"name": "Mini"},
                                          pool_datasets_dir=tmp_path / "datasets")
    assert report.created == 2
    assert report.bad_rows == [
        {"row": 1, "reason": "record has no id"},
        {"row": 2, "id": "ok1", "reason": "duplicate id (first at row 0)"},
        {"row": 3, "id": "gone", "reason": "image file 'missing.png' (input.image_file) not found in the dataset folder"},
        {"row": 4, "id": "escape",
         "reason": "image file '../../../../etc/hostname.png' (input.image_file) not found in the dataset folder"},
        {"row": 5, "reason": "record is not a JSON object"},
        {"row": 7, "id": "broken", "reason": "image file 'broken.png' (input.image_file) does not decode as an image: "
                                             "Truncated File Read"},
    ]
    assert sorted(DatasetRecord.objects.filter(dataset__team=team_a).values_list("source_id", flat=True)) == ["ok1", "ok2"]
    assert Dataset.objects.get(team=team_a).import_report["bad_row_count"] == 6


def test_malformed_files_write_nothing(team_a, tmp_path):
    for document, error in [
        ('{"data": [', "data.json is not valid JSON: Expecting value at line 1 column 11"),
        ('[1, 2]', "data.json is not a General-Bench file: it needs a top-level object with a 'data' list"),
        ('{"data": {"id": 1}}', "data.json is not a General-Bench file: it needs a top-level object with a 'data' list"),
    ]:
        folder = tmp_path / str(abs(hash(document)))
        path = _write(folder, document)
        report = dataset_import_general_bench(team=team_a, json_path=path, card={"name": "Broken"})
        assert report.error == error
    latin1 = _write(tmp_path / "latin1", "")
    latin1.write_bytes('{"data": [{"id": "é"}]}'.encode("latin-1"))
    report = dataset_import_general_bench(team=team_a, json_path=latin1, card={"name": "Latin"})
    assert report.error == "data.json is not UTF-8 text: invalid continuation byte at byte 18"
    assert Dataset.objects.count() == 0 and DatasetCard.objects.count() == 0


def test_whole_seed_pool_imports(team_a):
    reports = pool_import_general_bench(team=team_a, pool_dir=SEED_POOL)
    assert len(reports) == 17
    assert [r.error for r in reports if r.error] == []
    assert sum(r.created for r in reports) == 3012
    assert Dataset.objects.filter(team=team_a).count() == 17
