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
                                 f"is {205 - made[NLI] - 5} short because another dataset ran out")
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
    assert not AgentRunEvent.objects.filter(run__parent=run, kind="replenish").exists()  # nothing left to draw from
