"""The review loop against a real Label Studio: samples sent as tasks with signed media, reviews back
by webhook (to the platform served by a live server) and by reconcile, rejected samples replaced,
forged and replayed webhooks, a Label Studio unreachable mid-review."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from annotation import services
from annotation.labelstudio import LabelStudioError, verdict_result
from annotation.models import HumanReview, ReviewTask
from benchmarks.models import AgentRun, MediaAsset, Sample

ACCEPTED = (Sample.Status.OK, Sample.Status.REPAIRED)


def _accepted_ids(version) -> list[int]:
    return list(Sample.objects.filter(version=version, status__in=ACCEPTED).order_by("pk").values_list("pk", flat=True))


def _tasks_by_sample(project) -> dict[int, int]:
    return dict(ReviewTask.objects.filter(project=project).values_list("sample_id", "ls_task_id"))


def _wait_for(predicate, timeout_s: float = 15.0):
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(url: str, origin: str) -> tuple[int, bytes, dict[str, str]]:
    """GET as the Label Studio editor does (cross-origin, no session, no redirects followed)."""
    request = urllib.request.Request(url, headers={"Origin": origin})
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, b"", dict(exc.headers)


@pytest.mark.django_db(transaction=True)
def test_samples_reach_label_studio_and_reviews_come_back_by_webhook(
        review_settings, live_server, label_studio, annotators, built_image_benchmark, user_a, client):
    review_settings.BENCH_PUBLIC_URL = live_server.url
    review_settings.BENCH_WEBHOOK_BASE_URL = live_server.url
    version = built_image_benchmark.version
    samples = _accepted_ids(version)
    assert len(samples) == 6

    project = services.review_open(version=version, user=user_a, overlap=2)

    # Every accepted sample is one task, carrying its id in meta and a signed link to its image.
    tasks = {t["id"]: t for t in label_studio.tasks(project.ls_project_id)}
    assert sorted(t["meta"]["sample_id"] for t in tasks.values()) == samples
    assert label_studio.project(project.ls_project_id)["maximum_annotations"] == 2
    by_sample = _tasks_by_sample(project)
    first = tasks[by_sample[samples[0]]]
    sample = Sample.objects.get(pk=samples[0])
    assert first["data"]["question"] == sample.question
    assert first["data"]["options"].splitlines()[0] == f"A. {sample.options[0]}"
    image_url = first["data"]["image"]
    assert image_url.startswith(f"{live_server.url}/review/media/")
    asset = sample.media.get(kind=MediaAsset.Kind.IMAGE)
    status, body, headers = _get(image_url, origin=label_studio.base_url)
    assert status == 200 and body == (review_settings.MEDIA_ROOT / asset.file).read_bytes()
    assert headers["Access-Control-Allow-Origin"] == label_studio.base_url
    assert _get(image_url[:-3] + "xyz/", origin=label_studio.base_url)[0] == 404  # tampered signature
    assert _get(f"{live_server.url}/media/{asset.uid}/", origin=label_studio.base_url)[0] == 302  # no session: login

    # Two annotators review in Label Studio; each annotation reaches us by webhook, read back with our token.
    ann1, ann2 = annotators["ann1@bench.local"], annotators["ann2@bench.local"]
    a1 = ann1.create_annotation(by_sample[samples[0]], verdict_result(accept=True, intent=5), lead_time_s=40)
    ann2.create_annotation(by_sample[samples[0]], verdict_result(accept=True, intent=4), lead_time_s=80)
    ann1.create_annotation(by_sample[samples[1]], verdict_result(accept=True, intent=4), lead_time_s=30)
    ann2.create_annotation(by_sample[samples[1]], verdict_result(
        accept=False, reasons=["ambiguous", "poor_media"], intent=2, comment="two options fit"), lead_time_s=90)
    _wait_for(lambda: HumanReview.objects.filter(project=project).count() == 4)
    reviews = {(r.sample_id, r.annotator): r for r in HumanReview.objects.filter(project=project)}
    assert {key: (r.accepted, r.reasons, r.intent_alignment, r.lead_time_seconds, r.sender_mismatch)
            for key, r in reviews.items()} == {
        (samples[0], "ann1@bench.local"): (True, [], 5, 40.0, False),
        (samples[0], "ann2@bench.local"): (True, [], 4, 80.0, False),
        (samples[1], "ann1@bench.local"): (True, [], 4, 30.0, False),
        (samples[1], "ann2@bench.local"): (False, ["ambiguous", "poor_media"], 2, 90.0, False)}
    assert reviews[(samples[1], "ann2@bench.local")].comment == "two options fit"

    # Split 1-1 on the second sample: rejected, replaced by a new sample from another record, which is sent in turn.
    # (The pull stores the reviews first, then rejects the sample and runs its cell again: wait for the build.)
    run = built_image_benchmark.run
    _wait_for(lambda: Sample.objects.get(pk=samples[1]).status == Sample.Status.REJECTED
              and AgentRun.objects.get(pk=run.pk).is_finished, timeout_s=120)
    replaced = Sample.objects.get(pk=samples[1])
    assert replaced.status == Sample.Status.REJECTED
    assert replaced.verification["checks"][-1] == {"name": "human_review", "ok": False,
                                                   "detail": "rejected in human review by 1 of 2 annotators"}
    now = _accepted_ids(version)
    assert len(now) == 6 and samples[1] not in now
    newcomer = (set(now) - set(samples)).pop()
    assert Sample.objects.get(pk=newcomer).source_record_id != replaced.source_record_id
    assert services.review_sync(project_id=project.pk) == 1
    assert newcomer in _tasks_by_sample(project)
    # The rejected sample's task is retired and gone from Label Studio: nobody reviews it any more.
    _wait_for(lambda: ReviewTask.objects.get(project=project, sample_id=samples[1]).ls_deleted_at is not None)
    remote = {t["id"] for t in label_studio.tasks(project.ls_project_id, fields="task_only")}
    assert by_sample[samples[1]] not in remote and len(remote) == 6

    # Updated and deleted annotations follow.
    ann1.update_annotation(a1, verdict_result(accept=True, intent=3))
    _wait_for(lambda: HumanReview.objects.get(annotation_id=a1, project=project).intent_alignment == 3)
    ann1.delete_annotation(a1)
    _wait_for(lambda: HumanReview.objects.get(annotation_id=a1, project=project).deleted)

    # A forged call (wrong secret) is refused and changes nothing; a replayed one stores nothing new.
    hook = reverse("review-webhook", args=[project.uid])
    stored = sorted(HumanReview.objects.values_list("id", "annotation_id", "accepted", "intent_alignment", "updated_at"))
    a2 = HumanReview.objects.get(project=project, sample_id=samples[0], deleted=False).annotation_id
    forged = {"action": "ANNOTATION_UPDATED", "task": {"id": by_sample[samples[0]]},
              "annotation": {"id": a2, "task": by_sample[samples[0]], "result": verdict_result(accept=False)}}
    for secret in ("", "guess", project.webhook_secret[:-1] + "x"):
        response = client.post(hook, json.dumps(forged), content_type="application/json",
                                headers={services.WEBHOOK_HEADER: secret})
        assert response.status_code == 403
    response = client.post(hook, json.dumps(forged), content_type="application/json",
                           headers={services.WEBHOOK_HEADER: project.webhook_secret})
    assert response.status_code == 202 and response.json() == {"queued": 1}
    assert sorted(HumanReview.objects.values_list("id", "annotation_id", "accepted", "intent_alignment",
                                                  "updated_at")) == stored
    # A task of no project of ours is not even pulled.
    response = client.post(hook, json.dumps({"action": "ANNOTATION_CREATED", "task": {"id": 10 ** 9}}),
                           content_type="application/json", headers={services.WEBHOOK_HEADER: project.webhook_secret})
    assert response.json() == {"queued": 0}


@pytest.mark.django_db(transaction=True)
def test_reviews_made_while_webhooks_are_lost_or_label_studio_is_down_are_pulled_later(
        review_settings, label_studio_outage, label_studio, annotators, built_text_benchmark, user_a):
    review_settings.BENCH_WEBHOOK_BASE_URL = "http://127.0.0.1:9"  # nothing listens: every webhook is lost
    version = built_text_benchmark.version
    samples = _accepted_ids(version)
    project = services.review_open(version=version, user=user_a, overlap=1)
    by_sample = _tasks_by_sample(project)
    assert sorted(by_sample) == samples
    ann1 = annotators["ann1@bench.local"]
    made = [ann1.create_annotation(by_sample[s], verdict_result(accept=True, intent=4), lead_time_s=20 + i)
            for i, s in enumerate(samples[:3])]
    assert not HumanReview.objects.exists()  # the webhooks went nowhere
    report = services.review_reconcile(project_id=project.pk)
    assert (report.created, report.updated, report.deleted) == (3, 0, 0)

    # Label Studio goes down mid-review: a pull fails with a clear error and loses nothing. (The platform
    # reaches it through a forwarder taken down here: the server itself is shared and never stopped.)
    with label_studio_outage.down():
        with pytest.raises(LabelStudioError, match="cannot be reached"):
            services.review_reconcile(project_id=project.pk)
        project.refresh_from_db()
        assert project.last_error.startswith("reconcile: Label Studio at")
        assert HumanReview.objects.count() == 3

    # After the restart: new reviews, one changed and one deleted; the next pull finds every change.
    made += [ann1.create_annotation(by_sample[s], verdict_result(accept=True, intent=5), lead_time_s=60)
             for s in samples[3:6]]
    # Someone else (here the admin token; any annotator's token can) changes ann1's review: kept, and flagged.
    label_studio.update_annotation(made[0], verdict_result(accept=True, intent=2, comment="weak"))
    ann1.delete_annotation(made[1])
    report = services.review_reconcile(project_id=project.pk)
    assert (report.created, report.updated, report.deleted) == (3, 1, 1)
    # The deleted review is kept, marked deleted (a verdict is never erased by whoever holds a token).
    assert sorted(HumanReview.objects.values_list("annotation_id", "intent_alignment", "comment", "annotator",
                                                  "sender_mismatch", "deleted")) == sorted(
        [(made[0], 2, "weak", "ann1@bench.local", True, False), (made[1], 4, "", "ann1@bench.local", False, True),
         (made[2], 4, "", "ann1@bench.local", False, False)]
        + [(a, 5, "", "ann1@bench.local", False, False) for a in made[3:]])
    project.refresh_from_db()
    assert project.last_error == "" and project.cursor is not None
    # Pulling again changes nothing.
    again = services.review_reconcile(project_id=project.pk)
    assert (again.created, again.updated, again.deleted) == (0, 0, 0)

    # Tasks Label Studio holds that we lost track of (a sync died after its import) are adopted, not sent twice.
    row = ReviewTask.objects.filter(project=project).order_by("pk").last()
    ReviewTask.objects.filter(pk=row.pk).delete()
    assert services.review_sync(project_id=project.pk) == 0
    assert ReviewTask.objects.get(project=project, sample_id=row.sample_id).ls_task_id == row.ls_task_id
    assert label_studio.project(project.ls_project_id)["task_number"] == len(samples)


@pytest.mark.django_db(transaction=True)
def test_only_owners_and_editors_send_a_version_to_review(review_settings, built_text_benchmark, user_b):
    from teams.models import Membership
    from tests.factories import MembershipFactory, UserFactory

    version = built_text_benchmark.version
    with pytest.raises(PermissionDenied):
        services.review_open(version=version, user=user_b, overlap=1)
    viewer = UserFactory(username="vic")
    MembershipFactory(team=version.benchmark.team, user=viewer, role=Membership.Role.VIEWER)
    with pytest.raises(PermissionDenied):
        services.review_open(version=version, user=viewer, overlap=1)
    owner = version.benchmark.created_by
    for bad in (0, 11, "2", True):
        with pytest.raises(ValidationError):
            services.review_open(version=version, user=owner, overlap=bad)
    assert not version.__class__.objects.get(pk=version.pk).__dict__.get("review_project")


def test_media_links_expire(settings):
    from django.core import signing

    from annotation.models import ReviewProject

    project, asset = ReviewProject(pk=7), MediaAsset(uid="7f1c66e8-61a0-4d5f-9a2c-3f7c0e7bb0f1")
    token = services.media_token(project=project, asset=asset)
    assert services.media_token_read(token) == (7, "7f1c66e8-61a0-4d5f-9a2c-3f7c0e7bb0f1")
    settings.BENCH_REVIEW_MEDIA_TTL_S = -1
    with pytest.raises(signing.SignatureExpired):
        services.media_token_read(token)
