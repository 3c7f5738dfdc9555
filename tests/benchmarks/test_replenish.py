"""Replenishment across a subtask's datasets: when one dataset runs out of usable records, the
subtask's quota is made up from its other datasets, and every shortfall is reported per subtask."""
from __future__ import annotations

from django.db.models import Count

from benchmarks import services
from benchmarks.models import AgentRun, AgentRunEvent, BenchmarkRequest, Grounding, Sample, Spec
from tests.benchmarks.test_spec_review import NLI, SOCIAL, THREE_WAY


def _two_dataset_subtask(team, user, *, nli_quota: int, social_quota: int) -> Spec:
    """The three-way request's spec, reshaped: the NLI subtask draws from the NLI dataset (196 usable
    records) and the social-science dataset; the other subtasks are dropped."""
    started = services.build_start(team=team, user=user, text=THREE_WAY, target_size=30, run_in_background=False)
    services.build_plan(run_id=started.run.id)
    spec = Spec.objects.get(version=started.version)
    nli, social = spec.subtasks.get(key=NLI), spec.subtasks.get(key=SOCIAL)
    Grounding.objects.filter(subtask=social).update(subtask=nli, quota=social_quota)
    Grounding.objects.filter(subtask=nli, dataset__slug=NLI).update(quota=nli_quota)
    spec.subtasks.exclude(key=NLI).update(dropped=True, quota=0)
    nli.quota = nli_quota + social_quota
    nli.save(update_fields=["quota"])
    BenchmarkRequest.objects.filter(pk=started.request.pk).update(target_size=nli.quota)
    return spec


def _made(spec: Spec) -> dict[str, int]:
    rows = (Sample.objects.filter(version=spec.version, status__in=["ok", "repaired"])
            .values_list("grounding__dataset__slug").annotate(n=Count("id")))
    return dict(rows)


def test_a_dataset_that_runs_out_is_made_up_from_the_subtasks_other_dataset(
        team_a, user_a, pool_a, django_capture_on_commit_callbacks):
    spec = _two_dataset_subtask(team_a, user_a, nli_quota=200, social_quota=5)

    with django_capture_on_commit_callbacks(execute=True):
        run = services.spec_approve(spec=spec, user=user_a)

    run.refresh_from_db()
    made = _made(spec)
    assert run.status == "succeeded"
    assert made[NLI] < 200  # the NLI dataset ran out (196 usable records, some rejected by verification)
    assert sum(made.values()) == 205  # ...and the social-science dataset made up the rest
    assert made["social-science-question-answering"] == 205 - made[NLI]
    (replenish,) = AgentRunEvent.objects.filter(run__parent=run, kind="replenish")
    assert replenish.message == (f"{205 - made[NLI] - 5} more from social-science-question-answering: subtask {NLI} "
                                 f"is {205 - made[NLI] - 5} short because another cell ran out of records")
    finished = run.events.get(kind="finished")
    assert finished.message == "205 of 205 samples made"
    assert finished.data["subtasks"] == {NLI: {"quota": 205, "made": 205}}


def test_a_subtask_whose_datasets_all_run_out_is_reported_by_name(
        team_a, user_a, pool_a, django_capture_on_commit_callbacks):
    spec = _two_dataset_subtask(team_a, user_a, nli_quota=200, social_quota=200)

    with django_capture_on_commit_callbacks(execute=True):
        run = services.spec_approve(spec=spec, user=user_a)

    total = sum(_made(spec).values())
    assert total < 400
    assert run.events.get(kind="finished").message == (
        f"{total} of 400 samples made; {400 - total} short — {NLI}: {total} of 400 (its datasets ran out)")
    # Nothing is left to draw from: every cell (shards of 50) ended with its records used up.
    for cell in run.children.all():
        assert cell.events.filter(kind="cell_done").latest("id").data["exhausted"] is True


def _cell_records(run: AgentRun) -> dict[int, set[int]]:
    return {cell.id: set(Sample.objects.filter(version=run.version, provenance__run_id=cell.id)
                         .values_list("source_record_id", flat=True))
            for cell in run.children.filter(kind=AgentRun.Kind.CELL)}


def test_a_large_quota_is_split_into_shards_that_draw_disjoint_records(
        team_a, user_a, pool_a, settings, django_capture_on_commit_callbacks):
    settings.BENCH_CELL_SHARD_SIZE = 20
    spec = _two_dataset_subtask(team_a, user_a, nli_quota=50, social_quota=0)

    with django_capture_on_commit_callbacks(execute=True):
        run = services.spec_approve(spec=spec, user=user_a)

    run.refresh_from_db()
    cells = list(run.children.filter(kind=AgentRun.Kind.CELL).order_by("shard"))
    assert run.status == "succeeded"
    assert [(c.shard, c.shards, c.quota, c.status) for c in cells] == [
        (0, 3, 17, "succeeded"), (1, 3, 17, "succeeded"), (2, 3, 16, "succeeded")]
    records = _cell_records(run)
    assert [len(records[c.id] & set(Sample.objects.filter(version=run.version, status="ok", provenance__run_id=c.id)
                                    .values_list("source_record_id", flat=True))) for c in cells] == [17, 17, 16]
    first, second, third = (records[c.id] for c in cells)
    assert not (first & second) and not (first & third) and not (second & third)
    assert _made(spec) == {NLI: 50}


def test_a_shard_that_runs_out_is_made_up_by_its_sibling_shards(
        team_a, user_a, pool_a, settings, django_capture_on_commit_callbacks):
    """Two shards of the NLI dataset draw 100 records each (98 usable): one asked for 120 runs
    out, and the other, which had 10 to make, makes the rest from its own records."""
    settings.BENCH_CELL_SHARD_SIZE = 65
    spec = _two_dataset_subtask(team_a, user_a, nli_quota=130, social_quota=0)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        run = services.spec_approve(spec=spec, user=user_a)
    cells = list(run.children.filter(kind=AgentRun.Kind.CELL).order_by("shard"))
    assert [(c.shard, c.shards, c.quota) for c in cells] == [(0, 2, 65), (1, 2, 65)]
    AgentRun.objects.filter(pk=cells[0].pk).update(quota=120, progress_total=120)
    AgentRun.objects.filter(pk=cells[1].pk).update(quota=10, progress_total=10)
    with django_capture_on_commit_callbacks(execute=True):
        for callback in queued:
            callback()

    run.refresh_from_db()
    made = dict(Sample.objects.filter(version=run.version, status="ok").values_list("provenance__run_id")
                .annotate(n=Count("id")))
    assert run.status == "succeeded"
    assert made[cells[0].id] < 120 and made[cells[0].id] + made[cells[1].id] == 130
    (replenish,) = AgentRunEvent.objects.filter(run=cells[1], kind="replenish")
    assert replenish.data == {"extra": 120 - made[cells[0].id], "subtask": NLI}
    assert run.events.get(kind="finished").message == "130 of 130 samples made"
    first, second = (_cell_records(run)[c.id] for c in cells)
    assert not (first & second)
