"""The numbers of human review on reviews computed by hand, and who may see and assign what."""
from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from annotation import services
from annotation.agreement import krippendorff_alpha
from annotation.models import HumanReview, ReviewProject, ReviewTask
from annotation.selectors import version_review_stats
from benchmarks.models import Sample
from teams.models import Membership
from tests.factories import MembershipFactory, UserFactory
from tests.reviews import make_reviews


def test_review_numbers_match_the_hand_computed_ones(built_text_benchmark):
    version = built_text_benchmark.version
    make_reviews(version)
    stats = version_review_stats(version=version)
    assert stats["reviews"] == 6 and stats["reviewed_samples"] == 3
    assert stats["acceptance_rate"] == 0.5              # 3 of 6 reviews accept
    assert stats["sample_acceptance_rate"] == 0.3333    # only the first sample has a majority (a tie is not one)
    assert stats["intent_mean"] == 3.0                  # (5 + 4 + 4 + 2 + 1 + 2) / 6
    assert stats["intent_distribution"] == {"1": 1, "2": 2, "3": 0, "4": 2, "5": 1}
    assert {r["key"]: r["count"] for r in stats["reject_reasons"]} == {
        "incorrect_answer": 2, "ambiguous": 2, "not_answerable": 0, "off_topic": 0, "leaks_answer": 0, "poor_media": 0}
    # Verdicts (T,T) (T,F) (F,F): p_o = 2/3, p_e = (2*1 + 1*2)/9 = 4/9, kappa = (2/9)/(5/9) = 0.4;
    # alpha: o_TF = o_FT = 1, n_T = n_F = 3, n = 6: 1 - 5 * 2 / 18 = 0.4444.
    agreement = stats["agreement"]
    assert agreement["verdict_alpha"] == 0.4444
    assert agreement["pairs"] == [{"a": "ann-a", "b": "ann-b", "kappa": 0.4, "shared": 3}]
    assert agreement["intent_alpha"] == round(krippendorff_alpha([[5, 4], [4, 2], [1, 2]], level="ordinal",
                                                                 order=[1, 2, 3, 4, 5]), 4)
    assert agreement["samples_with_several_reviews"] == 3
    subtask = Sample.objects.filter(version=version).order_by("pk").first().subtask.key
    assert stats["by_subtask"] == [{"key": subtask, "reviews": 6, "accepted": 3, "samples": 3,
                                    "acceptance_rate": 0.5, "intent_mean": 3.0}]
    assert stats["human_minutes"] == 7.0 and stats["human_minutes_per_sample"] == 2.333  # 420 s over 3 samples
    # ann-a reviewed at 0, 30 and 60 min: 2 more reviews in an hour.
    assert stats["annotators"][0] == {"annotator": "ann-a", "reviews": 3, "acceptance_rate": 0.6667,
                                      "mean_lead_seconds": 50.0, "reviews_per_hour": 2.0}


def test_a_rejected_sample_is_replaced_once_every_annotator_has_spoken(built_text_benchmark,
                                                                      django_capture_on_commit_callbacks):
    version = built_text_benchmark.version
    project = make_reviews(version, [[("ann-a", False, 2, ["off_topic"], 30)]])
    sample = HumanReview.objects.get(project=project).sample
    assert services.reviews_apply(project=project, sample_ids=[sample.pk]) == 0  # 1 of 2 verdicts: not yet
    task = sample.review_tasks.get()
    HumanReview.objects.create(team=project.team, project=project, task=task, sample=sample, annotation_id=77,
                               annotator="ann-b", accepted=True, intent_alignment=4)
    accepted_before = Sample.objects.filter(version=version, status__in=["ok", "repaired"]).count()
    with django_capture_on_commit_callbacks(execute=True) as queued:  # the replacement cell runs (inline)
        assert services.reviews_apply(project=project, sample_ids=[sample.pk]) == 1  # 1 of 2 reject: a tie rejects
    assert len(queued) == 1
    sample.refresh_from_db()
    assert sample.status == Sample.Status.REJECTED
    assert Sample.objects.filter(version=version, status__in=["ok", "repaired"]).count() == accepted_before
    # A frozen version is never changed.
    version.frozen = True
    version.save(update_fields=["frozen"])
    other = Sample.objects.filter(version=version, status="ok").first()
    ReviewTask.objects.create(project=project, sample=other, ls_task_id=555, media_signed_at=timezone.now())
    for annotation_id, annotator in ((91, "ann-a"), (92, "ann-b")):
        HumanReview.objects.create(team=project.team, project=project, task=other.review_tasks.get(), sample=other,
                                   annotation_id=annotation_id, annotator=annotator, accepted=False)
    assert services.reviews_apply(project=project, sample_ids=[other.pk]) == 0


@pytest.fixture
def annotator(team_a):
    user = UserFactory(username="carol")
    MembershipFactory(team=team_a, user=user, role=Membership.Role.ANNOTATOR)
    return user


def test_annotators_see_only_the_benchmarks_assigned_to_them(client, annotator, user_a, user_b,
                                                             built_text_benchmark):
    benchmark = built_text_benchmark.version.benchmark
    make_reviews(built_text_benchmark.version)
    client.force_login(annotator)
    assert client.get(reverse("benchmark-detail", args=[benchmark.pk])).status_code == 404
    assert benchmark.name not in client.get(reverse("portfolio")).content.decode()
    assert benchmark.name not in client.get(reverse("review-index")).content.decode()
    assert client.get(reverse("dashboard-quality", args=[benchmark.pk])).status_code == 404
    api = APIClient()
    api.force_authenticate(annotator)
    assert api.get("/api/benchmarks/").json()["count"] == 0
    assert api.get("/api/review/reviews/").json()["count"] == 0

    with pytest.raises(PermissionDenied):  # only owners and editors assign
        services.review_assign(benchmark=benchmark, user=annotator, assignee=annotator)
    with pytest.raises(PermissionDenied):
        services.review_assign(benchmark=benchmark, user=user_b, assignee=annotator)
    with pytest.raises(ValidationError):  # only annotators of the benchmark's team are assigned
        services.review_assign(benchmark=benchmark, user=user_a, assignee=user_b)
    services.review_assign(benchmark=benchmark, user=user_a, assignee=annotator)
    page = client.get(reverse("review-index")).content.decode()
    assert benchmark.name in page and "http://ls.test/projects/1/data" in page
    # Assigned to review, still nothing else of the team.
    assert client.get(reverse("benchmark-detail", args=[benchmark.pk])).status_code == 404


def test_assignment_and_review_pages_by_form(client, annotator, user_a, user_b, built_text_benchmark):
    benchmark = built_text_benchmark.version.benchmark
    url = reverse("benchmark-review", args=[benchmark.pk])
    client.force_login(user_a)
    page = client.get(url)
    assert page.status_code == 200 and "Send to review" in page.content.decode()
    response = client.post(url, {"action": "assign", "user": annotator.pk})
    assert response.status_code == 302 and benchmark.review_assignments.get().user == annotator
    response = client.post(url, {"action": "open", "overlap": "0"})
    assert response.status_code == 400 and "whole number from 1 to 10" in response.content.decode()
    client.force_login(user_b)
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "assign", "user": user_b.pk}).status_code == 404


def test_review_api_is_scoped_to_the_team(api_a, api_b, client, user_b, built_text_benchmark):
    make_reviews(built_text_benchmark.version)
    client.force_login(user_b)
    page = client.get(reverse("review-index")).content.decode()
    assert built_text_benchmark.version.benchmark.name not in page and "ls.test" not in page
    assert api_a.get("/api/review/reviews/").json()["count"] == 6
    assert api_a.get("/api/review/reviews/?accepted=false").json()["count"] == 3
    assert api_b.get("/api/review/reviews/").json()["count"] == 0
    project = api_a.get("/api/review/projects/").json()["results"][0]
    assert (project["task_count"], project["review_count"], project["overlap"]) == (3, 6, 2)
    assert api_b.get("/api/review/projects/").json()["count"] == 0
    assert api_b.get(f"/api/review/projects/{project['id']}/").status_code == 404
    assert api_b.post(f"/api/review/projects/{project['id']}/reconcile/").status_code == 404
    benchmark = built_text_benchmark.version.benchmark.pk
    assert api_b.post("/api/review/projects/", {"benchmark": benchmark, "overlap": 1}, format="json").status_code == 404


def test_media_of_another_team_is_not_served_through_a_review_link(client, built_image_benchmark, team_b):
    from benchmarks.models import MediaAsset

    version = built_image_benchmark.version
    project = ReviewProject.objects.create(team=version.benchmark.team, version=version, ls_url="http://ls.test",
                                           ls_project_id=5)
    own = MediaAsset.objects.filter(samples__version=version).first()
    foreign = MediaAsset.objects.create(team=team_b, file=own.file, sha256="b" * 64, kind=own.kind, mime=own.mime)
    ok = client.get(reverse("review-media", args=[services.media_token(project=project, asset=own)]))
    assert ok.status_code == 200 and ok["Access-Control-Allow-Origin"] == "http://ls.test"
    assert client.get(reverse("review-media", args=[services.media_token(project=project, asset=foreign)])
                      ).status_code == 404
    assert client.options(reverse("review-media", args=[services.media_token(project=project, asset=own)])
                          ).status_code == 204


def test_admin_lists_the_review_models_without_their_secret(client, built_text_benchmark):
    from django.contrib.auth import get_user_model

    project = make_reviews(built_text_benchmark.version)
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests-1"))
    for model in ("reviewproject", "reviewtask", "humanreview", "reviewassignment"):
        assert client.get(f"/admin/annotation/{model}/").status_code == 200
    page = client.get(f"/admin/annotation/reviewproject/{project.pk}/change/").content.decode()
    assert project.webhook_secret not in page
