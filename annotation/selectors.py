"""Reads of the review loop: review projects and reviews (scoped by team), what an annotator is
assigned, and the numbers of human review: acceptance by subtask and dataset, intent alignment,
reject reasons, agreement between annotators, throughput and human minutes.

Every number counts annotators, not annotations: they all read `counted_reviews`, which keeps one
review per annotator per sample and leaves out the flagged ones an owner has not accepted."""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from django.core.cache import cache
from django.db.models import Avg, Count, Exists, IntegerField, Max, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate

from annotation.agreement import krippendorff_alpha, pairwise_kappa
from annotation.labelstudio import REJECT_REASONS
from annotation.models import HumanReview, ReviewAssignment, ReviewProject
from benchmarks.models import Benchmark, BenchmarkVersion
from teams.models import Membership


DISCARDED = HumanReview.Resolution.DISCARDED
ACCEPTED_AS_IS = HumanReview.Resolution.ACCEPTED
# Changed by someone other than its author, or deleted, in Label Studio.
FLAGGED = Q(sender_mismatch=True) | Q(deleted=True)


def counted_reviews(*, reviews: QuerySet[HumanReview] | None = None) -> QuerySet[HumanReview]:
    """The reviews the numbers count (among `reviews`, default all): for each annotator and sample,
    their latest review that an owner has not discarded, and only while it is clean (neither
    changed by someone else nor deleted in Label Studio) or an owner accepted it as is.

    One annotator submitting twice therefore speaks once. An unresolved flag on the latest review
    silences that annotator on that sample (their older review does not speak for them in the
    meantime); a discarded review steps aside, so their previous review counts again."""
    base = HumanReview.objects.all() if reviews is None else reviews
    later = (HumanReview.objects.filter(sample_id=OuterRef("sample_id"), annotator=OuterRef("annotator"),
                                        annotation_id__gt=OuterRef("annotation_id"))
             .exclude(resolution=DISCARDED))
    return (base.exclude(resolution=DISCARDED)
            .filter(Q(sender_mismatch=False, deleted=False) | Q(resolution=ACCEPTED_AS_IS))
            .filter(~Exists(later)))


def flagged_reviews(*, reviews: QuerySet[HumanReview] | None = None, unresolved: bool = False) -> QuerySet[HumanReview]:
    """Reviews changed by someone other than their author, or deleted, in Label Studio (with
    unresolved, only those still waiting for an owner's decision)."""
    base = (HumanReview.objects.all() if reviews is None else reviews).filter(FLAGGED)
    return base.filter(resolution=HumanReview.Resolution.UNRESOLVED) if unresolved else base


def review_project_list(*, team_ids: list[int]) -> QuerySet[ReviewProject]:
    """Review projects with the tasks still in review (not retired) and the reviews that count."""
    counted = (counted_reviews(reviews=HumanReview.objects.filter(project=OuterRef("pk"))).order_by()
               .values("project").annotate(n=Count("id")).values("n"))
    return (ReviewProject.objects.filter(team_id__in=team_ids).select_related("version__benchmark", "team")
            .annotate(task_count=Count("tasks", filter=Q(tasks__retired_at__isnull=True)),
                      review_count=Coalesce(Subquery(counted, output_field=IntegerField()), 0))
            .order_by("-created_at", "-id"))


def review_project_for_version(*, team_ids: list[int], version: BenchmarkVersion) -> ReviewProject | None:
    return ReviewProject.objects.filter(team_id__in=team_ids, version=version).first()


def review_list(*, team_ids: list[int]) -> QuerySet[HumanReview]:
    """Every review stored (deleted and flagged ones too), each with `counted`: whether the numbers count it."""
    counted = counted_reviews(reviews=HumanReview.objects.filter(pk=OuterRef("pk")))
    return (HumanReview.objects.filter(team_id__in=team_ids).annotate(counted=Exists(counted))
            .select_related("sample__subtask", "project__version__benchmark", "resolved_by").order_by("-id"))


def review_get(*, team_ids: list[int], pk: int) -> HumanReview | None:
    return review_list(team_ids=team_ids).filter(pk=pk).first()


def flagged_review_list(*, version: BenchmarkVersion) -> QuerySet[HumanReview]:
    """The version's flagged reviews (changed by someone else, or deleted, in Label Studio) for an
    owner to resolve: unresolved first, then the latest."""
    reviews = HumanReview.objects.filter(project__version=version)
    return (flagged_reviews(reviews=reviews).select_related("sample", "resolved_by")
            .order_by("resolution", "-id"))  # "" (awaiting an owner) sorts first


def assigned_benchmarks(*, user) -> QuerySet[Benchmark]:
    """The benchmarks this user reviews as an annotator of their team (assigned to them)."""
    if not user or not user.is_authenticated:
        return Benchmark.objects.none()
    teams = Membership.objects.filter(user=user, role=Membership.Role.ANNOTATOR).values("team_id")
    return (Benchmark.objects.filter(team_id__in=teams, review_assignments__user=user).select_related("team")
            .order_by("name", "id").distinct())


def assignment_list(*, benchmark: Benchmark) -> QuerySet[ReviewAssignment]:
    return benchmark.review_assignments.select_related("user").order_by("user__username")


def annotators_of_team(*, benchmark: Benchmark) -> QuerySet[Membership]:
    return (Membership.objects.filter(team_id=benchmark.team_id, role=Membership.Role.ANNOTATOR)
            .select_related("user").order_by("user__username"))


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def reviews_by_version(*, version_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per version: reviews with a verdict, accepted ones, samples reviewed, mean intent alignment and
    human minutes (lead time) — one query for any number of versions."""
    reviews = HumanReview.objects.filter(project__version_id__in=version_ids, accepted__isnull=False)
    rows = (counted_reviews(reviews=reviews).order_by()
            .values("project__version_id")
            .annotate(reviews=Count("id"), accepted=Count("id", filter=Q(accepted=True)),
                      samples=Count("sample_id", distinct=True), intent=Avg("intent_alignment"),
                      lead=Sum("lead_time_seconds")))
    out = {}
    for row in rows:
        human_minutes = (row["lead"] or 0) / 60
        out[row["project__version_id"]] = {
            "reviews": row["reviews"], "reviewed_samples": row["samples"],
            "acceptance_rate": _rate(row["accepted"], row["reviews"]), "intent_mean": _round(row["intent"], 3),
            "human_minutes": round(human_minutes, 3),
            "human_minutes_per_sample": round(human_minutes / row["samples"], 3) if row["samples"] else None}
    return out


def _grouped(reviews: QuerySet[HumanReview], field: str) -> list[dict[str, Any]]:
    rows = (reviews.order_by().values(field)
            .annotate(reviews=Count("id"), accepted=Count("id", filter=Q(accepted=True)),
                      intent=Avg("intent_alignment"), samples=Count("sample_id", distinct=True)).order_by(field))
    return [{"key": row[field], "reviews": row["reviews"], "accepted": row["accepted"], "samples": row["samples"],
             "acceptance_rate": _rate(row["accepted"], row["reviews"]), "intent_mean": _round(row["intent"], 3)}
            for row in rows]


def version_review_stats(*, version: BenchmarkVersion) -> dict[str, Any]:
    """Everything human review says about one version. Acceptance counts counted reviews (one per
    annotator per sample, flagged ones left out until an owner accepts them) with a verdict;
    agreement is over samples with two or more verdicts (Krippendorff's alpha, nominal for the
    verdict and ordinal for intent alignment; Cohen's kappa per pair of annotators). Kept in the
    cache under the state of the version's reviews (count, last id, last change): any new, changed
    or deleted review gives a new key."""
    state = HumanReview.objects.filter(project__version=version).aggregate(n=Count("id"), last=Max("id"),
                                                                            changed=Max("updated_at"))
    # Soft deletion and an owner's resolution bump updated_at too, so they give a new key as well.
    key = f"review-stats:{version.pk}:{state['n']}:{state['last']}:{state['changed'] and state['changed'].timestamp()}"
    return cache.get_or_set(key, lambda: _version_review_stats(version), timeout=600)


def _version_review_stats(version: BenchmarkVersion) -> dict[str, Any]:
    stored = HumanReview.objects.filter(project__version=version)
    reviews = counted_reviews(reviews=stored.filter(accepted__isnull=False))
    totals = reviews.aggregate(n=Count("id"), accepted=Count("id", filter=Q(accepted=True)),
                               samples=Count("sample_id", distinct=True), intent=Avg("intent_alignment"),
                               lead=Sum("lead_time_seconds"))
    verdicts: dict[str, dict[int, bool]] = defaultdict(dict)
    per_sample: dict[int, list[bool]] = defaultdict(list)  # alpha's units: the values each sample was given
    intent_units: dict[int, list[int]] = defaultdict(list)
    distribution: Counter[int] = Counter()
    for sample_id, annotator, accepted, intent in reviews.order_by().values_list(
            "sample_id", "annotator", "accepted", "intent_alignment").iterator(chunk_size=5000):
        verdicts[annotator][sample_id] = accepted
        per_sample[sample_id].append(accepted)
        if intent is not None:
            intent_units[sample_id].append(intent)
            distribution[intent] += 1
    # Reasons are counted by the database (a match on the stored JSON text; the keys are plain slugs).
    reasons = reviews.filter(accepted=False).aggregate(**{
        key: Count("id", filter=Q(reasons__icontains=f'"{key}"')) for key, _ in REJECT_REASONS})
    multi = sum(1 for values in per_sample.values() if len(values) > 1)
    majority_accepted = sum(1 for values in per_sample.values() if 2 * sum(values) > len(values))
    pairs = pairwise_kappa(verdicts)
    annotators = (reviews.order_by().values("annotator")
                  .annotate(reviews=Count("id"), accepted=Count("id", filter=Q(accepted=True)),
                            lead=Avg("lead_time_seconds"), first=Min("reviewed_at"), last=Max("reviewed_at"))
                  .order_by("-reviews", "annotator"))
    human_minutes = (totals["lead"] or 0) / 60
    return {
        "reviews": totals["n"], "reviewed_samples": totals["samples"],
        "acceptance_rate": _rate(totals["accepted"], totals["n"]),
        "sample_acceptance_rate": _rate(majority_accepted, totals["samples"]),
        "intent_mean": _round(totals["intent"], 3),
        "intent_distribution": {str(level): distribution.get(level, 0) for level in range(1, 6)},
        "reject_reasons": [{"key": key, "label": label, "count": reasons[key]} for key, label in REJECT_REASONS],
        "by_subtask": _grouped(reviews, "sample__subtask__key"),
        "by_dataset": _grouped(reviews, "sample__grounding__dataset__slug"),
        "agreement": {
            "samples_with_several_reviews": multi,
            "verdict_alpha": _round(krippendorff_alpha(per_sample.values(), level="nominal")),
            "intent_alpha": _round(krippendorff_alpha(intent_units.values(), level="ordinal", order=[1, 2, 3, 4, 5])),
            "pairs": [{"a": a, "b": b, "kappa": _round(kappa), "shared": shared}
                      for (a, b), (kappa, shared) in sorted(pairs.items())],
        },
        "annotators": [{
            "annotator": row["annotator"], "reviews": row["reviews"],
            "acceptance_rate": _rate(row["accepted"], row["reviews"]),
            "mean_lead_seconds": _round(row["lead"], 1),
            "reviews_per_hour": _per_hour(row["reviews"], row["first"], row["last"]),
        } for row in annotators],
        "human_minutes": round(human_minutes, 3),
        "human_minutes_per_sample": round(human_minutes / totals["samples"], 3) if totals["samples"] else None,
        # Waiting for an owner: changed by someone other than their author, or deleted, in Label Studio.
        "flagged_reviews": flagged_reviews(reviews=stored, unresolved=True).count(),
    }


def _per_hour(count: int, first, last) -> float | None:
    """Reviews per hour over the annotator's active span (first to last review); None for one review."""
    if not first or not last or count < 2:
        return None
    hours = (last - first).total_seconds() / 3600
    return round((count - 1) / hours, 2) if hours > 0 else None


def human_minutes_by_day(*, team_ids: list[int]) -> dict[str, dict[str, float]]:
    """Per day (UTC) of review: reviews with a verdict and the annotators' minutes (lead time)."""
    reviews = HumanReview.objects.filter(team_id__in=team_ids, accepted__isnull=False, reviewed_at__isnull=False)
    rows = (counted_reviews(reviews=reviews).annotate(day=TruncDate("reviewed_at")).order_by().values("day")
            .annotate(n=Count("id"), lead=Sum("lead_time_seconds")))
    return {row["day"].isoformat(): {"reviews": row["n"], "human_minutes": round((row["lead"] or 0) / 60, 3)}
            for row in rows}


def intent_by_sample(*, version: BenchmarkVersion) -> dict[int, float]:
    """Each reviewed sample's mean intent alignment (1-5) over its annotators."""
    reviews = HumanReview.objects.filter(project__version=version, intent_alignment__isnull=False)
    return dict(counted_reviews(reviews=reviews).order_by().values_list("sample_id")
                .annotate(mean=Avg("intent_alignment")))
