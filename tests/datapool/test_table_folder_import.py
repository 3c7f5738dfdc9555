"""JSONL, CSV, Parquet and folder importers on real records (the seed pool's), with bad rows."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benchmarks import services
from benchmarks.models import Sample
from datapool.importers.folders import dataset_import_folder
from datapool.importers.tabular import dataset_import_table
from datapool.models import Dataset, DatasetRecord
from tests.conftest import SEED_POOL

CAUSAL = json.loads((SEED_POOL / "datasets/nlp/Causal-Reasoning/annotation.json").read_text())["data"]
NLI = json.loads((SEED_POOL / "datasets/nlp/Natural-Language-Inference/annotation.json").read_text())["data"]
CARS = json.loads((SEED_POOL / "datasets/image/car_brands_recognition/json/annotation.json").read_text())["data"]


def flat_causal(limit: int = 40) -> list[dict]:
    return [{"qid": r["id"], "q": r["input"]["question"], "choices": r["input"]["options"], "key": r["output"]["answer"]}
            for r in CAUSAL[:limit]]


MAPPING = {"id": "qid", "question": "q", "options": "choices", "answer": "key"}


def test_jsonl_import_names_bad_lines_and_imports_the_rest(team_a, tmp_path):
    rows = flat_causal(30)
    lines = [json.dumps(r) for r in rows]
    lines.insert(5, "{not json")
    lines.insert(10, "[1, 2]")
    lines.insert(15, json.dumps({**rows[0]}))  # the first row again
    lines.insert(20, json.dumps({"q": "no id", "choices": ["a", "b"], "key": "A"}))
    path = tmp_path / "causal.jsonl"
    path.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    report = dataset_import_table(team=team_a, path=path, name="Causal JSONL", mapping=MAPPING)
    assert report.error == ""
    assert report.created == 30
    assert report.bad_rows == [
        {"row": 6, "reason": "line 6 is not valid JSON: Expecting property name enclosed in double quotes at column 2"},
        {"row": 11, "reason": "line 11 is not a JSON object"},
        {"row": 16, "id": "cr452", "reason": "duplicate id (first at row 1)"},
        {"row": 21, "reason": "record has no id"},
    ]
    dataset = Dataset.objects.get(team=team_a, slug="causal-jsonl")
    assert (dataset.source_format, dataset.record_count, dataset.modalities) == ("jsonl", 30, ["text"])
    assert dataset.card.fields["options"]["paths"] == ["choices"]
    assert dataset.card.fields["answer"]["paths"] == ["key"]
    assert dataset.card.written_by == "profile"
    assert dataset.card.profile["answer_format"] == "letter"
    assert dataset.card.profile["capacity"] == 30


def test_reimport_updates_in_place_and_drops_rows_gone_from_the_source(team_a, tmp_path):
    path = tmp_path / "causal.jsonl"
    rows = flat_causal(10)
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    dataset_import_table(team=team_a, path=path, name="Causal", mapping=MAPPING)
    rows[0]["q"] = "changed question"
    path.write_text("\n".join(json.dumps(r) for r in rows[:8]), encoding="utf-8")
    report = dataset_import_table(team=team_a, path=path, name="Causal", mapping=MAPPING)
    assert (report.created, report.updated, report.unchanged, report.removed) == (0, 1, 7, 2)
    assert DatasetRecord.objects.filter(dataset__team=team_a).count() == 8
    assert DatasetRecord.objects.get(dataset__team=team_a, source_id="cr452").payload["q"] == "changed question"


def test_csv_import_parses_option_lists_and_rejects_short_lines(team_a, tmp_path):
    path = tmp_path / "nli.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "premise_hypothesis", "instruction", "label"])
        for r in NLI[:25]:
            writer.writerow([r["id"], r["input"]["raw_text"], "Entailment, contradiction or neutral?", r["output"]["category"]])
        handle.write("broken,line\n")
    report = dataset_import_table(team=team_a, path=path, name="NLI CSV",
                                  mapping={"context": "premise_hypothesis", "question": "instruction", "answer": "label"})
    assert (report.error, report.created) == ("", 25)
    # Each premise/hypothesis cell spans two lines: rows are named by their physical line.
    assert report.bad_rows == [{"row": 52, "reason": "line 52 has 2 fields; the header has 4"}]
    card = Dataset.objects.get(team=team_a, slug="nli-csv").card
    assert card.profile["answer_format"] == "label (3 classes)"
    assert card.description.startswith("25 records with answer, context, question. The answer is label (3 classes). "
                                       "Answers: contradiction, entailment, neutral.")


def test_parquet_import(team_a, tmp_path):
    rows = flat_causal(50)
    path = tmp_path / "causal.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=16)
    report = dataset_import_table(team=team_a, path=path, name="Causal Parquet", mapping=MAPPING)
    assert (report.error, report.created, report.bad_rows) == ("", 50, [])
    record = DatasetRecord.objects.get(dataset__slug="causal-parquet", source_id="cr022")
    assert record.payload == {"qid": "cr022", "q": "What is the effect of: Mary read some papers.?",
                              "choices": ["She made many mistakes because of her frets.", "She knew lots of details."],
                              "key": "B"}


@pytest.mark.parametrize("mapping,error", [
    ({"answer": "nope"}, "causal.jsonl: column 'nope' (mapped to answer) is not in the file; columns: qid, q, choices, key"),
    ({"colour": "q"}, "causal.jsonl: unknown roles ['colour']; use any of ['answer', 'audio', 'bbox', 'context', "
                      "'dialog', 'id', 'image', 'label', 'options', 'question']"),
])
def test_a_bad_mapping_is_refused_before_anything_is_written(team_a, tmp_path, mapping, error):
    path = tmp_path / "causal.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in flat_causal(5)), encoding="utf-8")
    report = dataset_import_table(team=team_a, path=path, name="x", mapping=mapping)
    assert report.error == error
    assert Dataset.objects.count() == 0


def test_not_utf8_and_wrong_suffix_are_refused(team_a, tmp_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes("id,text\n1,café\n".encode("latin-1"))
    assert dataset_import_table(team=team_a, path=latin).error == (
        "latin.csv is not UTF-8 text: invalid continuation byte at byte 13")
    other = tmp_path / "data.xlsx"
    other.write_bytes(b"PK")
    assert dataset_import_table(team=team_a, path=other).error == (
        "data.xlsx: not a .jsonl, .ndjson, .csv, .tsv or .parquet file")
    assert Dataset.objects.count() == 0


def _car_image(record: dict) -> Path:
    return SEED_POOL / "datasets/image/car_brands_recognition" / record["input"]["image_file"]


def test_image_class_folders_become_a_labelled_image_dataset_that_builds(team_a, tmp_path):
    root = tmp_path / "cars"
    brands = {}
    for record in CARS:
        brand = record["output"]["prediction"]
        if len(brands.setdefault(brand, [])) < 3:
            brands[brand].append(record)
    chosen = sorted(brands)[:6]
    for brand in chosen:
        (root / brand).mkdir(parents=True)
        for record in brands[brand]:
            shutil.copy(_car_image(record), root / brand / Path(record["input"]["image_file"]).name)
    (root / "stray.png").write_bytes(_car_image(CARS[0]).read_bytes())
    (root / chosen[0] / "link.png").symlink_to(_car_image(CARS[1]))
    report = dataset_import_folder(team=team_a, root=root, name="Car logos")
    expected = sum(len(brands[b]) for b in chosen)
    assert (report.error, report.created, report.media_files) == ("", expected, expected)
    assert [bad["reason"] for bad in report.bad_rows] == [
        f"{chosen[0]}/link.png is a symbolic link", "stray.png is not inside a class folder (expected <class>/<file>)"]
    dataset = Dataset.objects.get(team=team_a, slug="car-logos")
    assert (dataset.source_format, dataset.modalities) == ("image-folder", ["image", "text"])
    assert dataset.card.fields["image"]["paths"] == ["file_name"]
    assert dataset.card.profile["answer_format"] == "label (6 classes)"

    started = services.build_start(auto_approve=True, team=team_a, text="Recognise the car brand from a logo image", target_size=6,
                                   run_in_background=False)
    services.build_run_foreground(run_id=started.run.id)
    samples = Sample.objects.filter(version=started.version, status="ok")
    assert samples.count() == 6
    # The logo set holds one crop in several tints, and badges that spell their brand: those items are
    # replaced (the same picture twice; the key written in the picture).
    rejected = Sample.objects.filter(version=started.version, status="rejected")
    assert {reason.split(":")[0] for s in rejected for reason in s.verification["reasons"]} <= {
        "near_duplicate", "answer_in_image"}
    for sample in samples:
        assert sample.question == "Which car logo does the image show?"  # the question names what it asks
        assert sample.answer == sample.source_record.payload["label"]
        assert sample.media.get().kind == "image"


def test_metadata_folder_takes_file_names_and_texts_from_the_metadata(team_a, tmp_path):
    root = tmp_path / "captions"
    (root / "images").mkdir(parents=True)
    with (root / "metadata.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_name", "text"])
        for record in CARS[:5]:
            name = Path(record["input"]["image_file"]).name
            shutil.copy(_car_image(record), root / "images" / name)
            writer.writerow([f"images/{name}", f"a {record['output']['prediction']} logo"])
        writer.writerow(["images/missing.png", "nothing"])
        writer.writerow(["../outside.png", "escape"])
    report = dataset_import_folder(team=team_a, root=root, name="Captions")
    assert (report.error, report.created) == ("", 5)
    assert report.bad_rows == [
        {"row": 7, "id": "images/missing.png",
         "reason": "image file 'images/missing.png' (file_name) not found in the dataset folder"},
        {"row": 8, "id": "../outside.png", "reason": "image file '../outside.png' (file_name) not found in the dataset folder"},
    ]
    card = Dataset.objects.get(team=team_a, slug="captions").card
    assert card.fields["answer"]["paths"] == ["text"]
    assert card.fields["image"]["paths"] == ["file_name"]
