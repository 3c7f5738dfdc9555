"""Review integrity against a real Label Studio, whose community edition lets any account post twice,
rewrite or delete anyone's annotation: the platform counts annotators, not annotations; a rewritten or
deleted review is kept, flagged and left out until an owner resolves it; the tasks of samples no
longer kept leave the Label Studio project, and nothing brings them back. Webhooks go nowhere here
(every pull is explicit), so each step's outcome is exact."""
from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from annotation import services
from annotation.labelstudio import verdict_result
from annotation.models import HumanReview, ReviewTask
from annotation.selectors import version_review_stats
from benchmarks.models import Sample
from teams.models import Membership
from tests.annotation.test_review_loop import _accepted_ids, _tasks_by_sample
from tests.factories import MembershipFactory, UserFactory

ANN1, ANN2 = "ann1@bench.local", "ann2@bench.local"
DEAD_URL = "http://127.0.0.1:9"  # the discard port: nothing listens there
KEPT = (Sample.Status.OK, Sample.Status.REPAIRED)


def _open(settings, version, user, *, overlap: int):
    settings.BENCH_WEBHOOK_BASE_URL = DEAD_URL  # no webhook arrives: the test pulls when it means to
    project = services.review_open(version=version, user=user, overlap=overlap)
    return project, _accepted_ids(version), _tasks_by_sample(project)


def _ls_task_ids(label_studio, project) -> set[int]:
    return {t["id"] for t in label_studio.tasks(project.ls_project_id, fields="task_only")}


def _pulled(project, *, full: bool = False) -> tuple[int, int, int, int, int]:
    report = services.review_reconcile(project_id=project.pk, full=full)
    return report.created, report.updated, report.deleted, report.replaced, report.retired


@pytest.mark.django_db(transaction=True)
def test_one_annotator_submitting_twice_on_an_overlap_2_task_does_not_reject_the_sample_alone(
        review_settings, label_studio, annotators, built_text_benchmark, user_a):
    version = built_text_benchmark.version
    project, samples, by_sample = _open(review_settings, version, user_a, overlap=2)
    ann1, ann2 = annotators[ANN1], annotators[ANN2]
    s0, s1 = samples[:2]
    # ann1 rejects s0 twice; on s1 they reject, then think again and accept.
    ann1.create_annotation(by_sample[s0], verdict_result(accept=False, reasons=["ambiguous"], intent=2), lead_time_s=30)
    ann1.create_annotation(by_sample[s0], verdict_result(accept=False, reasons=["ambiguous"], intent=1), lead_time_s=20)
    ann1.create_annotation(by_sample[s1], verdict_result(accept=False, intent=2), lead_time_s=40)
    ann1.create_annotation(by_sample[s1], verdict_result(accept=True, intent=4), lead_time_s=50)

    # Four annotations stored, but one annotator has spoken on each sample: nothing is decided yet.
    assert _pulled(project) == (4, 0, 0, 0, 0)
    assert HumanReview.objects.filter(project=project).count() == 4
    assert Sample.objects.get(pk=s0).status in KEPT and Sample.objects.get(pk=s1).status in KEPT
    # The numbers count ann1 once per sample, with their latest review.
    stats = version_review_stats(version=version)
    assert (stats["reviews"], stats["reviewed_samples"], stats["acceptance_rate"], stats["intent_mean"]) == (
        2, 2, 0.5, 2.5)
    assert stats["human_minutes"] == 1.167  # (20 + 50) s
    assert stats["intent_distribution"] == {"1": 1, "2": 0, "3": 0, "4": 1, "5": 0}
    assert stats["agreement"]["samples_with_several_reviews"] == 0 and stats["agreement"]["pairs"] == []
    assert [(a["annotator"], a["reviews"], a["acceptance_rate"], a["mean_lead_seconds"])
            for a in stats["annotators"]] == [(ANN1, 2, 0.5, 35.0)]

    # ann2 speaks: on s0 one reject of two (a tie) rejects it, on s1 two accepts keep it.
    ann2.create_annotation(by_sample[s0], verdict_result(accept=True, intent=4), lead_time_s=60)
    ann2.create_annotation(by_sample[s1], verdict_result(accept=True, intent=5), lead_time_s=60)
    assert _pulled(project) == (2, 0, 0, 1, 1)
    rejected = Sample.objects.get(pk=s0)
    assert rejected.status == Sample.Status.REJECTED
    assert rejected.verification["checks"][-1]["detail"] == "rejected in human review by 1 of 2 annotators"
    assert Sample.objects.get(pk=s1).status in KEPT
    stats = version_review_stats(version=version)
    assert (stats["reviews"], stats["acceptance_rate"], stats["agreement"]["samples_with_several_reviews"]) == (
        4, 0.75, 2)
    # (F,T) (T,T): p_o = 1/2, p_e = (1*2 + 1*0)/4 = 1/2: kappa 0.
    assert stats["agreement"]["pairs"] == [{"a": ANN1, "b": ANN2, "kappa": 0.0, "shared": 2}]
    # The rejected sample's task has left Label Studio; its replacement was sent in its place.
    assert by_sample[s0] not in _ls_task_ids(label_studio, project)
    assert label_studio.project(project.ls_project_id)["task_number"] == len(samples)


@pytest.mark.django_db(transaction=True)
def test_a_review_rewritten_by_another_account_is_flagged_left_out_and_resolved_by_an_owner(
        review_settings, label_studio_outage, label_studio, annotators, built_text_benchmark, user_a):
    version = built_text_benchmark.version
    project, samples, by_sample = _open(review_settings, version, user_a, overlap=2)
    ann1, ann2 = annotators[ANN1], annotators[ANN2]
    ann2_id = {email: i for i, email in label_studio.users().items()}[ANN2]
    s0, s1 = samples[:2]
    a0 = ann1.create_annotation(by_sample[s0], verdict_result(accept=True, intent=5), lead_time_s=30)
    ann2.create_annotation(by_sample[s0], verdict_result(accept=True, intent=4), lead_time_s=30)
    a1 = ann1.create_annotation(by_sample[s1], verdict_result(accept=True, intent=4), lead_time_s=30)
    ann2.create_annotation(by_sample[s1], verdict_result(accept=True, intent=4), lead_time_s=30)
    assert _pulled(project) == (4, 0, 0, 0, 0)

    # ann2 turns ann1's two accepts into rejections with their own token: stored, flagged, left out.
    for annotation_id in (a0, a1):
        ann2.update_annotation(annotation_id, verdict_result(accept=False, reasons=["incorrect_answer"], intent=1))
    assert _pulled(project) == (0, 2, 0, 0, 0)  # counted as verdicts, a tie would have rejected both samples
    r0, r1 = (HumanReview.objects.get(project=project, annotation_id=a) for a in (a0, a1))
    assert (r0.annotator, r0.accepted, r0.updated_by_ls_id, r0.sender_mismatch, r0.resolution) == (
        ANN1, False, ann2_id, True, "")
    assert Sample.objects.filter(pk__in=[s0, s1], status__in=KEPT).count() == 2
    stats = version_review_stats(version=version)
    assert (stats["reviews"], stats["acceptance_rate"], stats["flagged_reviews"]) == (2, 1.0, 2)

    # Only owners resolve.
    editor = UserFactory(username="eddie")
    MembershipFactory(team=version.benchmark.team, user=editor, role=Membership.Role.EDITOR)
    with pytest.raises(PermissionDenied):
        services.review_resolve(review=r0, user=editor, decision="accept")

    # Discarded: left out for good; s0 stays in with ann2's verdict alone (one annotator of two: undecided).
    r0 = services.review_resolve(review=r0, user=user_a, decision="discard")
    assert (r0.resolution, r0.resolved_by, r0.resolved_at is not None) == ("discarded", user_a, True)
    assert Sample.objects.get(pk=s0).status in KEPT
    # Accepted as is while Label Studio is unreachable: it counts, s1 is rejected (a tie) and replaced at
    # once; its task is retired here and its deletion in Label Studio waits for the reconcile job.
    with label_studio_outage.down():
        r1 = services.review_resolve(review=r1, user=user_a, decision="accept")
    assert (r1.resolution, r1.resolved_by) == ("accepted", user_a)
    assert Sample.objects.get(pk=s1).status == Sample.Status.REJECTED
    task1 = ReviewTask.objects.get(project=project, sample_id=s1)
    assert task1.retired_at is not None and task1.ls_deleted_at is None
    project.refresh_from_db()
    assert project.last_error == (f"retire: Label Studio at {label_studio_outage.url} cannot be reached: "
                                  "<urlopen error [Errno 111] Connection refused>")
    assert by_sample[s1] in _ls_task_ids(label_studio, project)
    stats = version_review_stats(version=version)
    assert (stats["reviews"], stats["acceptance_rate"], stats["flagged_reviews"]) == (3, 0.6667, 0)

    # ann2 rewrites ann1's discarded review again: the owner's decision was on what it was, so it waits anew.
    ann2.update_annotation(a0, verdict_result(accept=False, intent=2))
    assert _pulled(project) == (0, 1, 0, 0, 1)  # and the retired task is deleted in Label Studio now
    r0.refresh_from_db()
    assert (r0.intent_alignment, r0.resolution, r0.resolved_by, r0.resolved_at) == (2, "", None, None)
    assert version_review_stats(version=version)["flagged_reviews"] == 1
    task1.refresh_from_db()
    project.refresh_from_db()
    assert task1.ls_deleted_at is not None and project.last_error == ""
    assert by_sample[s1] not in _ls_task_ids(label_studio, project)


@pytest.mark.django_db(transaction=True)
def test_deleting_another_annotators_review_keeps_it_flagged_and_left_out(
        review_settings, label_studio, annotators, built_text_benchmark, user_a):
    version = built_text_benchmark.version
    project, samples, by_sample = _open(review_settings, version, user_a, overlap=1)
    ann1, ann2 = annotators[ANN1], annotators[ANN2]
    a0 = ann1.create_annotation(by_sample[samples[0]], verdict_result(accept=False, reasons=["ambiguous"], intent=2),
                                lead_time_s=45)
    ann2.delete_annotation(a0)  # before any pull: Label Studio no longer has it at all
    ann1_review = ann1.create_annotation(by_sample[samples[1]], verdict_result(accept=True, intent=5), lead_time_s=30)
    assert _pulled(project) == (1, 0, 0, 0, 0)
    ann2.delete_annotation(ann1_review)  # ann2 erases ann1's verdict
    assert _pulled(project) == (0, 0, 1, 0, 0)

    kept = HumanReview.objects.get(project=project, annotation_id=ann1_review)
    assert (kept.annotator, kept.accepted, kept.intent_alignment, kept.deleted, kept.resolution) == (
        ANN1, True, 5, True, "")
    assert kept.deleted_at is not None
    stats = version_review_stats(version=version)
    assert (stats["reviews"], stats["reviewed_samples"], stats["flagged_reviews"]) == (0, 0, 1)

    # Pulling everything again neither restores nor removes it.
    assert _pulled(project, full=True) == (0, 0, 0, 0, 0)
    assert HumanReview.objects.filter(project=project).count() == 1
    # An owner accepts it as it stood: ann1's verdict counts again.
    services.review_resolve(review=kept, user=user_a, decision="accept")
    stats = version_review_stats(version=version)
    assert (stats["reviews"], stats["reviewed_samples"], stats["acceptance_rate"], stats["flagged_reviews"]) == (
        1, 1, 1.0, 0)

    # Deleting the whole task (any account can) erases nothing here either: a pull of it finds nothing to read.
    assert ann2.delete_tasks(project.ls_project_id, [by_sample[samples[1]]]) == 1
    report = services.review_pull(project_id=project.pk, ls_task_ids=[by_sample[samples[1]]])
    assert (report.tasks, report.created, report.deleted) == (0, 0, 0)
    assert version_review_stats(version=version)["reviews"] == 1


@pytest.mark.django_db(transaction=True)
def test_a_replaced_samples_task_leaves_label_studio_and_no_pull_brings_it_back(
        review_settings, label_studio_outage, label_studio, annotators, built_text_benchmark, user_a):
    version = built_text_benchmark.version
    project, samples, by_sample = _open(review_settings, version, user_a, overlap=1)
    ann1 = annotators[ANN1]
    s0, s1 = samples[:2]
    ann1.create_annotation(by_sample[s0], verdict_result(accept=False, reasons=["off_topic"], intent=1), lead_time_s=9)
    assert _pulled(project) == (1, 0, 0, 1, 1)

    task0 = ReviewTask.objects.get(project=project, sample_id=s0)
    assert (task0.retired_reason, task0.retired_at is not None, task0.ls_deleted_at is not None) == (
        "its sample is rejected, no longer kept", True, True)
    remote = _ls_task_ids(label_studio, project)
    assert by_sample[s0] not in remote and len(remote) == len(samples)  # 11 left and the replacement
    assert HumanReview.objects.filter(task=task0).count() == 1  # its review is kept

    # A sample taken out any other way is retired too; Label Studio being unreachable only delays the deletion.
    Sample.objects.filter(pk=s1).update(status=Sample.Status.REJECTED)
    with label_studio_outage.down():
        assert services.review_retire(project_id=project.pk) == 0
    task1 = ReviewTask.objects.get(project=project, sample_id=s1)
    assert task1.retired_at is not None and task1.ls_deleted_at is None
    # Still in Label Studio meanwhile, an annotation on it is neither queued by a webhook nor pulled.
    ann1.create_annotation(by_sample[s1], verdict_result(accept=True, intent=5))
    assert services.review_webhook_receive(project=project, payload={
        "action": "ANNOTATION_CREATED", "task": {"id": by_sample[s1]}}) == 0
    assert _pulled(project, full=True) == (0, 0, 0, 0, 1)  # the reconcile job finishes the retirement
    assert not HumanReview.objects.filter(task=task1).exists()
    task1.refresh_from_db()
    project.refresh_from_db()
    assert task1.ls_deleted_at is not None and project.last_error == ""
    remote = _ls_task_ids(label_studio, project)
    assert by_sample[s1] not in remote and len(remote) == len(samples) - 1
    # Nothing is sent again, and nothing is left to retire.
    assert services.review_sync(project_id=project.pk) == 0
    assert services.review_retire(project_id=project.pk) == 0
    assert ReviewTask.objects.filter(project=project, retired_at__isnull=False).count() == 2
