"""The Label Studio client against a real Label Studio server (started by `make test` through
scripts/labelstudio.sh, or the one LABEL_STUDIO_URL / LABEL_STUDIO_API_KEY name)."""
from __future__ import annotations

import uuid

import pytest

from annotation.labelstudio import LabelStudio, LabelStudioError, labeling_config, review_from, verdict_result


def _task(i: int) -> dict:
    return {"data": {"question": f"What does picture {i} show?", "context": "", "options": "A. a cat\nB. a dog",
                     "answer": "a cat", "image": "", "audio": ""}, "meta": {"sample_id": 100 + i}}


def test_a_review_project_takes_tasks_in_batches_and_gives_back_every_review(label_studio):
    project = label_studio.create_project(title=f"test {uuid.uuid4().hex[:8]}",
                                          label_config=labeling_config(image=True, audio=True), overlap=2)
    ids = label_studio.import_tasks(project, [_task(i) for i in range(5)], batch=2)
    assert len(ids) == 5 and len(set(ids)) == 5

    accepted = label_studio.create_annotation(ids[0], verdict_result(accept=True, intent=5), lead_time_s=31.5)
    rejected = label_studio.create_annotation(ids[3], verdict_result(
        accept=False, reasons=["ambiguous", "leaks_answer"], intent=2, comment="two options fit"), lead_time_s=64.0)

    tasks = {t["id"]: t for t in label_studio.tasks(project, page_size=2)}  # paged
    assert sorted(tasks) == sorted(ids)
    reviews = sorted((review_from(a, t) for t in tasks.values() for a in t["annotations"]), key=lambda r: r.task_id)
    assert [(r.annotation_id, r.sample_id, r.accepted, r.reasons, r.intent_alignment, r.comment, r.lead_time_s)
            for r in reviews] == [
        (accepted, 100, True, [], 5, "", 31.5),
        (rejected, 103, False, ["ambiguous", "leaks_answer"], 2, "two options fit", 64.0)]
    assert all(r.annotator_id is not None for r in reviews)


def test_text_only_projects_have_no_media_fields(label_studio):
    config = labeling_config()
    assert "$image" not in config and "$audio" not in config
    project = label_studio.create_project(title=f"text {uuid.uuid4().hex[:8]}", label_config=config)
    assert label_studio.import_tasks(project, [{"data": {k: v for k, v in _task(0)["data"].items()
                                                         if k not in ("image", "audio")}}])


def test_a_dead_or_refusing_label_studio_gives_a_clear_error(label_studio):
    dead = LabelStudio("http://127.0.0.1:9", "x", timeout_s=2)
    assert dead.health() is False
    with pytest.raises(LabelStudioError, match="cannot be reached"):
        dead.create_project(title="t", label_config=labeling_config())
    wrong_key = LabelStudio(label_studio.base_url, "not-a-token")
    with pytest.raises(LabelStudioError, match="HTTP 401") as refused:
        wrong_key.create_project(title="t", label_config=labeling_config())
    assert refused.value.status == 401
    with pytest.raises(LabelStudioError, match="not configured"):
        LabelStudio("", "")
