"""What the numbers of human review count, on reviews stored as a pull stores them (no Label Studio):
one verdict per annotator per sample (their latest), flagged reviews (rewritten by someone else, or
deleted, in Label Studio) only once an owner accepts them; and the owner's resolution through the
service, the API, the review page and the admin."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotation import selectors, services
from annotation.models import HumanReview
from benchmarks.models import Sample
from teams.models import Membership
from tests.factories import MembershipFactory, UserFactory
from tests.reviews import make_reviews


def _reviews(project) -> dict[tuple[int, str], HumanReview]:
    """The reviews make_reviews stored, by (sample position, annotator)."""
    samples = sorted(set(HumanReview.objects.filter(project=project).values_list("sample_id", flat=True)))
    return {(samples.index(r.sample_id), r.annotator): r for r in HumanReview.objects.filter(project=project)}


def _again(review: HumanReview, annotation_id: int, **fields) -> HumanReview:
    """Another annotation by the same annotator on the same sample."""
    values = {"accepted": review.accepted, "intent_alignment": review.intent_alignment, "reasons": review.reasons,
              "lead_time_seconds": review.lead_time_seconds, "reviewed_at": review.reviewed_at} | fields
    return HumanReview.objects.create(team=review.team, project=review.project, task=review.task, sample=review.sample,
                                      annotation_id=annotation_id, annotator=review.annotator, **values)


@pytest.fixture
def editor(team_a):
    user = UserFactory(username="eddie")
    MembershipFactory(team=team_a, user=user, role=Membership.Role.EDITOR)
    return user


def test_each_annotator_counts_once_per_sample_with_their_latest_review(built_text_benchmark):
    version = built_text_benchmark.version
    project = make_reviews(version)
    reviews = _reviews(project)
    # ann-a reviews the first sample again, 10 minutes after their last review: now they reject it.
    _again(reviews[(0, "ann-a")], 5000, accepted=False, intent_alignment=1, reasons=["off_topic"],
           lead_time_seconds=600, reviewed_at=reviews[(2, "ann-a")].reviewed_at + timedelta(minutes=10))
    assert HumanReview.objects.filter(project=project).count() == 7

    stats = selectors.version_review_stats(version=version)
    # Counted: (F1, T4) (T4, F2) (F1, F2) for (ann-a, ann-b) on the three samples.
    assert (stats["reviews"], stats["reviewed_samples"], stats["acceptance_rate"]) == (6, 3, 0.3333)
    assert stats["sample_acceptance_rate"] == 0.0
    assert stats["intent_mean"] == 2.333  # (1 + 4 + 4 + 2 + 1 + 2) / 6
    assert stats["intent_distribution"] == {"1": 2, "2": 2, "3": 0, "4": 2, "5": 0}
    assert {r["key"]: r["count"] for r in stats["reject_reasons"]} == {
        "incorrect_answer": 2, "ambiguous": 2, "not_answerable": 0, "off_topic": 1, "leaks_answer": 0, "poor_media": 0}
    # (F,T) (T,F) (F,F): p_o = 1/3, p_e = (1*1 + 2*2)/9 = 5/9, kappa = (-2/9)/(4/9) = -0.5;
    # alpha: o_FT = o_TF = 2, n_F = 4, n_T = 2, n = 6: 1 - 5 * 4 / 16 = -0.25.
    assert stats["agreement"]["verdict_alpha"] == -0.25
    assert stats["agreement"]["pairs"] == [{"a": "ann-a", "b": "ann-b", "kappa": -0.5, "shared": 3}]
    assert stats["agreement"]["samples_with_several_reviews"] == 3
    subtask = Sample.objects.filter(version=version).order_by("pk").first().subtask.key
    assert stats["by_subtask"] == [{"key": subtask, "reviews": 6, "accepted": 2, "samples": 3,
                                    "acceptance_rate": 0.3333, "intent_mean": 2.333}]
    assert stats["human_minutes"] == 16.0 and stats["human_minutes_per_sample"] == 5.333  # 600+120+30+90+60+60 s
    # ann-a's counted reviews were made at 30, 60 and 70 minutes: 2 more in 40 minutes.
    assert stats["annotators"][0] == {"annotator": "ann-a", "reviews": 3, "acceptance_rate": 0.3333,
                                      "mean_lead_seconds": 230.0, "reviews_per_hour": 3.0}
    assert selectors.reviews_by_version(version_ids=[version.pk])[version.pk] == {
        "reviews": 6, "reviewed_samples": 3, "acceptance_rate": 0.3333, "intent_mean": 2.333,
        "human_minutes": 16.0, "human_minutes_per_sample": 5.333}
    samples = sorted(reviews[(i, "ann-a")].sample_id for i in range(3))
    assert selectors.intent_by_sample(version=version) == {samples[0]: 2.5, samples[1]: 3.0, samples[2]: 1.5}
    days = selectors.human_minutes_by_day(team_ids=[version.benchmark.team_id])
    assert sum(d["reviews"] for d in days.values()) == 6
    assert round(sum(d["human_minutes"] for d in days.values()), 3) == 16.0


def test_one_annotator_twice_does_not_reject_a_sample_alone(built_text_benchmark):
    version = built_text_benchmark.version
    project = make_reviews(version, [[("ann-a", False, 1, ["ambiguous"], 30)]])  # overlap 2
    first = HumanReview.objects.get(project=project)
    _again(first, 7001)
    assert services.reviews_apply(project=project, sample_ids=[first.sample_id]) == 0
    assert Sample.objects.get(pk=first.sample_id).status in (Sample.Status.OK, Sample.Status.REPAIRED)


def test_flagged_reviews_count_only_once_an_owner_accepts_them(built_text_benchmark, user_a, editor, user_b):
    version = built_text_benchmark.version
    project = make_reviews(version)
    reviews = _reviews(project)
    rewritten, erased = reviews[(0, "ann-b")], reviews[(1, "ann-a")]
    HumanReview.objects.filter(pk=rewritten.pk).update(sender_mismatch=True, updated_by_ls_id=9)
    HumanReview.objects.filter(pk=erased.pk).update(deleted=True)
    # ann-a had reviewed the second sample once before the review that was deleted (a reject).
    older = _again(erased, 900, accepted=False, intent_alignment=2, reasons=["ambiguous"], lead_time_seconds=10)

    def counted() -> tuple[int, float | None, int]:
        stats = selectors.version_review_stats(version=version)
        return stats["reviews"], stats["acceptance_rate"], stats["flagged_reviews"]

    # The deleted review is ann-a's latest: flagged, it silences ann-a on that sample (the older one too).
    assert counted() == (4, 0.25, 2)
    assert sorted(selectors.counted_reviews(reviews=HumanReview.objects.filter(project=project))
                  .values_list("annotation_id", flat=True)) == [1001, 1004, 1005, 1006]

    for user in (editor, user_b, None):  # owners of the review's team only
        with pytest.raises(PermissionDenied):
            services.review_resolve(review=rewritten, user=user, decision="accept")
    with pytest.raises(ValidationError, match="decision"):
        services.review_resolve(review=rewritten, user=user_a, decision="keep")
    with pytest.raises(ValidationError, match="Only a review changed by someone other than its author"):
        services.review_resolve(review=older, user=user_a, decision="accept")  # not flagged
    assert counted() == (4, 0.25, 2)

    resolved = services.review_resolve(review=rewritten, user=user_a, decision="accept")
    assert (resolved.resolution, resolved.resolved_by, resolved.resolved_at is not None) == ("accepted", user_a, True)
    assert counted() == (5, 0.4, 1)
    # Discarded, the deleted review steps aside: ann-a's older review of that sample counts instead.
    services.review_resolve(review=erased, user=user_a, decision="discard")
    assert counted() == (6, 0.3333, 0)
    assert older.pk in selectors.counted_reviews().values_list("pk", flat=True)
    assert erased.pk not in selectors.counted_reviews().values_list("pk", flat=True)


def test_owners_resolve_flagged_reviews_through_the_api(built_text_benchmark, user_a, editor, api_b):
    project = make_reviews(built_text_benchmark.version)
    reviews = _reviews(project)
    flagged, clean = reviews[(0, "ann-b")], reviews[(0, "ann-a")]
    HumanReview.objects.filter(pk=flagged.pk).update(sender_mismatch=True, updated_by_ls_id=9)
    owner, other = APIClient(), APIClient()
    owner.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user_a).key}")
    other.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=editor).key}")
    url = f"/api/review/reviews/{flagged.pk}/resolve/"

    listed = owner.get("/api/review/reviews/?flagged=true").json()
    assert [(r["id"], r["flagged"], r["counted"], r["resolution"]) for r in listed["results"]] == [
        (flagged.pk, True, False, "")]
    assert owner.get("/api/review/reviews/?counted=true").json()["count"] == 5
    assert other.post(url, {"decision": "accept"}, format="json").status_code == 403
    assert api_b.post(url, {"decision": "accept"}, format="json").status_code == 404
    bad = owner.post(url, {"decision": "keep"}, format="json")
    assert bad.status_code == 400 and "decision" in bad.json()
    assert owner.post(url, {}, format="json").status_code == 400
    refused = owner.post(f"/api/review/reviews/{clean.pk}/resolve/", {"decision": "accept"}, format="json")
    assert refused.status_code == 400 and list(refused.json()) == ["review"]

    done = owner.post(url, {"decision": "accept"}, format="json")
    assert done.status_code == 200
    body = done.json()
    assert (body["resolution"], body["resolved_by"], body["counted"], body["flagged"]) == (
        "accepted", "alice", True, True)
    assert owner.get("/api/review/reviews/?resolution=none&flagged=true").json()["count"] == 0
    assert owner.get("/api/review/reviews/?counted=true").json()["count"] == 6


def test_owners_see_and_resolve_flagged_reviews_on_the_review_page(client, built_text_benchmark, user_a, editor):
    version = built_text_benchmark.version
    benchmark = version.benchmark
    project = make_reviews(version)
    reviews = _reviews(project)
    deleted = reviews[(1, "ann-b")]
    HumanReview.objects.filter(pk=deleted.pk).update(deleted=True)
    url = reverse("benchmark-review", args=[benchmark.pk])

    client.force_login(editor)  # an editor sees neither the list nor may resolve
    page = client.get(url).content.decode()
    assert "Flagged reviews" not in page
    assert client.post(url, {"action": "resolve", "review": deleted.pk, "decision": "accept"}).status_code == 403

    client.force_login(user_a)
    page = client.get(url).content.decode()
    assert "Flagged reviews" in page and "deleted in Label Studio" in page and f'value="{deleted.pk}"' in page
    for bad in ({"review": "x", "decision": "accept"}, {"review": deleted.pk, "decision": "maybe"},
                {"review": 10 ** 9, "decision": "accept"}):
        assert client.post(url, {"action": "resolve", **bad}).status_code == 400
    response = client.post(url, {"action": "resolve", "review": deleted.pk, "decision": "discard"})
    assert response.status_code == 302
    deleted.refresh_from_db()
    assert (deleted.resolution, deleted.resolved_by) == ("discarded", user_a)
    assert "Discarded by alice" in client.get(url).content.decode()


def test_the_admin_resolves_through_the_service(client, built_text_benchmark, team_a):
    project = make_reviews(built_text_benchmark.version)
    reviews = _reviews(project)
    flagged, clean = reviews[(2, "ann-a")], reviews[(2, "ann-b")]
    HumanReview.objects.filter(pk=flagged.pk).update(sender_mismatch=True)
    root = get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests-1")
    client.force_login(root)
    changelist = "/admin/annotation/humanreview/"
    action = {"action": "accept_as_is", "_selected_action": [flagged.pk, clean.pk]}

    # A superuser who is no owner of the team resolves nothing.
    client.post(changelist, action)
    flagged.refresh_from_db()
    assert flagged.resolution == ""
    MembershipFactory(team=team_a, user=root, role=Membership.Role.OWNER)
    page = client.post(changelist, action, follow=True).content.decode()
    flagged.refresh_from_db()
    assert (flagged.resolution, flagged.resolved_by) == ("accepted", root)
    assert "1 review resolved (accept)." in page and f"#{clean.pk}: Only a review changed" in page
