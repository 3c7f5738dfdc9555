"""Builds on the real seed pool through the Django shell: exact counts, provenance, idempotency."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from agents.operators import get_path, normalise
from agents.tools.hygiene import image_metadata
from benchmarks import services
from benchmarks.adapters import DjangoSink
from benchmarks.models import AgentRun, BenchmarkVersion, Grounding, MediaAsset, Sample, Spec, ToolCall
from datapool.models import Dataset

TEXT_REQUEST = "Can a model pick the most plausible cause or effect of an everyday event?"


def build(team, text=TEXT_REQUEST, size=10, **kwargs):
    started = services.build_start(auto_approve=True, team=team, text=text, target_size=size, run_in_background=False, **kwargs)
    services.build_run_foreground(run_id=started.run.id)
    return started


def test_build_yields_exactly_the_requested_samples_each_from_its_record(team_a, pool_a):
    started = build(team_a, size=25)
    run = AgentRun.objects.get(pk=started.run.pk)
    assert (run.status, run.progress_done, run.progress_total, run.error) == ("succeeded", 25, 25, "")
    samples = Sample.objects.filter(version=started.version, status="ok").select_related("source_record__dataset", "grounding")
    assert samples.count() == 25
    spec = Spec.objects.get(version=started.version)
    assert (spec.engine, spec.status, spec.end_state) == ("offline", "approved", "ok")
    assert sum(spec.subtasks.values_list("quota", flat=True)) == 25
    for sample in samples:
        record = sample.source_record
        assert sample.item_key == f"{sample.subtask.key}/{record.dataset.slug}/{record.source_id}"
        assert record.dataset_id == sample.grounding.dataset_id
        assert sample.provenance["source_id"] == record.source_id
        assert sample.engine == "offline"
        assert sample.answer == sample.options[sample.answer_index]
        question_path = next(op["params"]["path"] for op in sample.grounding.plan["operators"]
                             if op["op"] == "read_text" and op["params"]["into"] == "question")
        source = get_path(record.payload, question_path)
        # The source's own question, or its safe repair (".?" -> "?"), which the sample's checks say.
        repaired = [c["detail"] for c in sample.verification["checks"] if c["name"] == "source_repair"]
        assert sample.question in source or (repaired and normalise(sample.question) in normalise(source))


def test_causal_samples_keep_the_datasets_own_key(team_a, pool_a):
    started = build(team_a, size=10)
    causal = Sample.objects.filter(version=started.version, source_record__dataset__slug="causal-reasoning")
    assert causal.count() > 0
    for sample in causal:
        payload = sample.source_record.payload
        keyed = payload["input"]["options"]["AB".index(payload["output"]["answer"])]
        assert sample.answer == keyed
        assert sorted(sample.options) == sorted(payload["input"]["options"])


def test_rerunning_cells_creates_no_duplicates(team_a, pool_a):
    started = build(team_a, size=12)
    keys = sorted(Sample.objects.filter(version=started.version).values_list("item_key", flat=True))
    cells = AgentRun.objects.filter(parent=started.run, kind="cell")
    # As if the worker died mid-build (its heartbeats stopped long ago) and the queue delivered every task again.
    cells.update(status="running", stage="executing", heartbeat_at=timezone.now() - timedelta(hours=1))
    AgentRun.objects.filter(pk=started.run.pk).update(status="running", stage="executing")
    for cell in cells:
        services.build_cell(run_id=cell.id)
    services.build_plan(run_id=started.run.id)
    assert sorted(Sample.objects.filter(version=started.version).values_list("item_key", flat=True)) == keys
    assert Sample.objects.filter(version=started.version, status="ok").count() == 12
    assert AgentRun.objects.filter(parent=started.run).count() == cells.count()
    assert AgentRun.objects.get(pk=started.run.pk).status == "succeeded"


def test_the_sink_refuses_a_second_sample_with_the_same_item_key(team_a, pool_a):
    started = build(team_a, size=3)
    sample = Sample.objects.filter(version=started.version).first()
    cell = AgentRun.objects.get(parent=started.run, grounding=sample.grounding)
    from agents.types import SampleDraft

    draft = SampleDraft(item_key=sample.item_key, subtask_key=sample.subtask.key, grounding_id=sample.grounding_id,
                        record_id=sample.source_record_id, source_id="x", question="q", options=["a", "b"],
                        answer="a", answer_index=0)
    assert DjangoSink(run=cell).put(draft) is False
    assert Sample.objects.filter(version=started.version, item_key=sample.item_key).count() == 1


def test_a_finished_run_is_not_run_again(team_a, pool_a):
    started = build(team_a, size=4)
    assert services.build_plan(run_id=started.run.id) == []
    assert Spec.objects.filter(version=started.version).count() == 1


def test_same_seed_same_draw_other_seed_other_draw(team_a, pool_a):
    first = build(team_a, size=8, seed=7)
    second = build(team_a, size=8, seed=7)
    third = build(team_a, size=8, seed=8)

    def keys(started):
        return sorted(Sample.objects.filter(version=started.version, status="ok").values_list("item_key", flat=True))

    assert keys(first) == keys(second)
    assert keys(first) != keys(third)


def test_image_build_links_media_and_records_tool_calls(team_a, pool_a):
    started = build(team_a, text="Visual question answering about what is shown in artwork images and paintings.", size=6)
    samples = Sample.objects.filter(version=started.version, status="ok")
    assert samples.count() == 6
    assert MediaAsset.objects.filter(samples__in=samples).distinct().count() == len(
        {s.source_record.media[0]["sha256"] for s in samples})
    for sample in samples:
        asset = sample.media.get()
        source = sample.source_record.media[0]["file"]
        # The seed pool's paintings carry JPEG comments: each sample shows a copy without them.
        stripped = ToolCall.objects.get(sample=sample, tool="strip_metadata")
        assert (stripped.ok, stripped.detail["source"], stripped.detail["file"]) == (True, source, asset.file)
        assert asset.file.startswith("generated/clean/") and asset.file != source
        assert image_metadata(str(Path(settings.MEDIA_ROOT) / asset.file)) == []
        assert asset.team_id == team_a.id
    decoded = ToolCall.objects.filter(run__parent=started.run, tool="image_decode", ok=True)
    assert decoded.filter(sample__in=samples).count() == 6


def test_request_for_a_modality_the_pool_lacks_fails_with_the_reason(team_a, pool_a):
    started = build(team_a, text="Understand spoken conversations that mix languages.", size=5)
    run = AgentRun.objects.get(pk=started.run.pk)
    assert run.status == "failed"
    assert run.error == ("Planning ended ungroundable: no dataset in the pool has the inputs "
                         "['audio', 'text'] nor a dialogue to speak")
    assert Sample.objects.filter(version=started.version).count() == 0


def test_a_gap_is_reported_not_hidden(team_a, pool_a):
    started = build(team_a, size=700)
    run = AgentRun.objects.get(pk=started.run.pk)
    spec = Spec.objects.get(version=started.version)
    made = Sample.objects.filter(version=started.version, status="ok").count()
    capacity = sum(Grounding.objects.filter(subtask__spec=spec).values_list("capacity", flat=True))
    # Fewer samples than the target can be planned: the spec is partial and says why, and so does the run.
    assert spec.end_state == "partial"
    assert [(c["key"], c["status"]) for c in spec.coverage] == [("capability:causal-reasoning", "served")]
    planned = sum(spec.subtasks.values_list("quota", flat=True))
    end = next(step for step in spec.trace if step["step"] == "end")
    assert end["reason"] == (f"{planned} of the 700 samples could be planned; insufficient supply: the chosen "
                             f"datasets hold {planned} usable records for 700 requested")
    assert (run.status, run.error) == ("partial", f"{made} of the 700 samples were made")
    rejected = Sample.objects.filter(version=started.version, status="rejected").count()
    assert made + rejected == capacity  # capacity counts records the plan transforms; verification rejects some
    finished = run.events.get(kind="finished")
    assert finished.message.startswith(f"{made} of 700 samples made; {700 - made} short")
    # The allocation gap leaves every subtask at its capacity; one whose records verification rejected is named.
    short = {key: r for key, r in finished.data["subtasks"].items() if r["made"] < r["quota"]}
    assert all(f"{key}: {r['made']} of {r['quota']} (its datasets ran out)" in finished.message
               for key, r in short.items())


@pytest.mark.parametrize("text,size,field,message", [
    ("", 5, "text", "Describe what the benchmark should evaluate; the text is empty."),
    ("   ", 5, "text", "Describe what the benchmark should evaluate; the text is empty."),
    ("ok", 0, "target_size", "target_size must be between 1 and 10000; got 0."),
    ("ok", 100000, "target_size", "target_size must be between 1 and 10000; got 100000."),
])
def test_invalid_requests_are_refused_before_anything_is_written(team_a, text, size, field, message):
    with pytest.raises(ValidationError) as caught:
        services.build_start(auto_approve=True, team=team_a, text=text, target_size=size, run_in_background=False)
    assert caught.value.message_dict == {field: [message]}
    assert AgentRun.objects.count() == 0


def test_pool_of_another_team_is_invisible_to_a_build(team_a, team_b, pool_a):
    started = build(team_b, size=5)
    run = AgentRun.objects.get(pk=started.run.pk)
    assert run.status == "failed"
    assert run.error == "Planning ended ungroundable: no dataset in the pool has the inputs ['text']"
    assert Dataset.objects.filter(team=team_b).count() == 0


def test_a_shared_dataset_builds_for_another_team_whose_media_stays_its_own(team_a, team_b, user_b, pool_a, client):
    from datapool import services as pool_services

    art = Dataset.objects.get(team=team_a, slug="art-image-visual-question-answering")
    pool_services.dataset_share_set(dataset=art, shared=True)
    started = build(team_b, text="Visual question answering about what is shown in artwork images and paintings.",
                    size=4)
    samples = Sample.objects.filter(version=started.version, status="ok")
    assert samples.count() == 4
    assert {s.grounding.dataset_id for s in samples} == {art.id}
    assert set(MediaAsset.objects.filter(samples__in=samples).values_list("team__slug", flat=True)) == {"team-b"}
    client.force_login(user_b)
    asset = samples.first().media.get()
    assert client.get(f"/media/{asset.uid}/").status_code == 200
    pool_services.dataset_share_set(dataset=art, shared=False)
    unshared = build(team_b, text="Visual question answering about artwork images.", size=2)
    assert AgentRun.objects.get(pk=unshared.run.pk).error == (
        "Planning ended ungroundable: no dataset in the pool has the inputs ['image', 'text']")


def test_a_finished_build_measures_the_odd_one_out_baseline_and_the_pages_show_it(team_a, user_a, pool_a, client):
    """The baseline reads only the options. On the seed pool's items it is at chance (the distractors are
    of the key's kind); options whose key is the only one of another kind are found and flagged."""
    from django.urls import reverse

    from benchmarks.services import version_baselines

    started = build(team_a, text="Can a model answer social science questions about how people behave in everyday "
                                 "situations?", size=12)
    version = started.version
    version.refresh_from_db()
    assert AgentRun.objects.get(pk=started.run.pk).status == "succeeded", AgentRun.objects.get(pk=started.run.pk).error
    odd = version.baselines["odd_one_out"]
    kept = Sample.objects.filter(version=version, status__in=["ok", "repaired"])
    assert odd["total"] == sum(len(s.options) >= 3 for s in kept) == 12 and odd["at_chance"] is True
    assert odd["p_value"] >= 0.05

    # The same samples with the key swapped for a word of another kind: the baseline finds it every time.
    for sample in kept.filter(answer_index__isnull=False):
        options = list(sample.options)
        options[sample.answer_index] = "Paris, the capital city of France"
        Sample.objects.filter(pk=sample.pk).update(options=options)
    flagged = version_baselines(version)["odd_one_out"]
    assert (flagged["correct"], flagged["at_chance"]) == (flagged["total"], False)
    BenchmarkVersion.objects.filter(pk=version.pk).update(baselines={"odd_one_out": flagged})

    client.force_login(user_a)
    for url in (reverse("benchmark-detail", args=[version.benchmark_id]),
                reverse("spec-detail", args=[version.benchmark_id])):
        html = client.get(url).content.decode()
        assert f"{flagged['correct']} of {flagged['total']} items (100%)" in html, url
        assert '<span class="badge s-failed">above chance</span>' in html, url
