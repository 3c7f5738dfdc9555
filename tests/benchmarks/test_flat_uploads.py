"""A team's own flat upload, end to end: a JSONL or CSV file whose columns are literally named
question, context, options and answer (no mapping) is imported, found by grounding through the
request's words, planned (record paths and draft fields are separate namespaces), built, and its
samples carry the records' own questions, passages, options and answers."""
from __future__ import annotations

import csv
import io
import json

import pytest

from benchmarks import services
from benchmarks.models import Sample, Spec
from datapool.models import Dataset, DatasetRecord
from tests.conftest import SEED_POOL, import_seed_datasets
from tests.datapool.test_content_cards import _upload as upload

SOCIAL = json.loads((SEED_POOL / "datasets/nlp/Social-Science-Question-Answering/annotation.json").read_text())["data"]
FLAT = [{"id": r["id"], "question": r["input"]["question"], "context": r["input"]["text"],
         "options": r["input"]["options"], "answer": r["output"]["answer"]} for r in SOCIAL[:60]]
# The team's other datasets: none of them is about how behaviour is perceived.
OTHERS = ("Causal-Reasoning", "Natural-Language-Inference", "Ethical-Reasoning", "Temporal-Reasoning")
REQUEST = ("Workplace perception questions: how would people perceive someone's behaviour in a workplace or "
           "classroom situation?")

CONTENT_REQUEST = "How would others feel after what someone did in an everyday situation: proud, upset or happy?"


@pytest.fixture(autouse=True)
def _private_dirs(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.UPLOAD_DIR = tmp_path / "var" / "uploads"


def _upload(api, capture, filename: str, data: bytes) -> Dataset:
    return upload(api, capture, filename, data).dataset


def _csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["id", "question", "context", "options", "answer"])
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "options": json.dumps(row["options"])})
    return out.getvalue().encode()


def _grounded(spec: Spec) -> dict[str, list[str]]:
    return {g.dataset.slug: [op["op"] for op in g.plan["operators"]]
            for s in spec.subtasks.all() for g in s.groundings.select_related("dataset")}


def test_a_flat_jsonl_upload_is_found_by_the_request_grounds_and_builds(team_a, user_a, api_a,
                                                                        django_capture_on_commit_callbacks):
    import_seed_datasets(team_a, OTHERS)
    data = "\n".join(json.dumps(r) for r in FLAT).encode()
    dataset = _upload(api_a, django_capture_on_commit_callbacks, "Workplace perception questions.jsonl", data)
    card = dataset.card
    assert (dataset.name, dataset.slug) == ("Workplace perception questions", "workplace-perception-questions")
    assert {role: spec["paths"] for role, spec in card.fields.items()} == {
        "question": ["question"], "context": ["context"], "options": ["options"], "answer": ["answer"]}
    assert "Workplace perception questions.jsonl" in card.card_text

    started = services.build_start(auto_approve=True, team=team_a, user=user_a, text=REQUEST, target_size=8,
                                   run_in_background=False)
    run = services.build_run_foreground(run_id=started.run.id)
    spec = Spec.objects.get(version=started.version)
    assert spec.end_state == "ok"
    grounded = _grounded(spec)
    assert list(grounded) == ["workplace-perception-questions"]
    assert grounded["workplace-perception-questions"][:3] == ["read_text", "read_text", "options_from_list"]
    plan = spec.subtasks.get().groundings.get().plan
    assert plan["operators"][0]["reads"] == ["record:question"]
    considered = next(s for s in spec.trace if s["step"] == "grounding")["candidates"]
    upload = next(c for c in considered if c["dataset"] == "workplace-perception-questions")
    assert upload["relevance"] >= 0.40 and "rejected" not in upload
    assert all(c["rejected"] for c in considered if c["dataset"] != "workplace-perception-questions")

    assert run.status == "succeeded", run.error
    samples = list(Sample.objects.filter(version=started.version, status__in=["ok", "repaired"]))
    assert len(samples) == 8
    for sample in samples:
        source = sample.source_record.payload
        assert (sample.question, sample.context) == (source["question"], source["context"])
        assert sorted(sample.options) == sorted(source["options"])
        assert sample.answer == source["options"]["ABCDE".index(source["answer"])]


def test_a_flat_csv_upload_with_option_lists_in_cells_grounds_and_builds(team_a, user_a, api_a,
                                                                          django_capture_on_commit_callbacks):
    dataset = _upload(api_a, django_capture_on_commit_callbacks, "perceptions.csv", _csv(FLAT[:30]))
    assert DatasetRecord.objects.get(dataset=dataset, source_id=FLAT[0]["id"]).payload["options"] == FLAT[0]["options"]
    assert dataset.card.fields["options"]["paths"] == ["options"]

    # The file's name says little; the request is found through what its records say.
    started = services.build_start(auto_approve=True, team=team_a, user=user_a, target_size=4,
                                   run_in_background=False, text=CONTENT_REQUEST)
    run = services.build_run_foreground(run_id=started.run.id)
    assert run.status == "succeeded", run.error
    assert list(_grounded(Spec.objects.get(version=started.version))) == ["perceptions"]
    samples = list(Sample.objects.filter(version=started.version, status__in=["ok", "repaired"]))
    assert len(samples) == 4
    assert all(s.question == s.source_record.payload["question"] for s in samples)
