"""Writes of the review loop: open a version's review project in Label Studio, send its samples as
tasks, take webhook signals, pull reviews back (by task, or every change since the last pull),
replace the samples reviewers reject and retire their tasks, let owners resolve flagged reviews,
and assign benchmarks to annotators.

Label Studio is reached only through annotation.labelstudio with the platform's own token. A
webhook is a signal ("task T changed"), never a source of review content: whatever a caller
sends, the review stored is the one Label Studio holds. Since any Label Studio account can rewrite
or delete anyone's annotation, nothing read there erases a review: a deleted annotation is kept
(soft-deleted) and, like one changed by someone other than its author, counts for nothing until
an owner resolves it (annotation.selectors.counted_reviews)."""
from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from annotation.labelstudio import LabelStudio, LabelStudioError, Review, labeling_config, parse_time, review_from
from annotation.models import HumanReview, ReviewAssignment, ReviewProject, ReviewTask
from annotation.selectors import FLAGGED, counted_reviews
from benchmarks.models import Benchmark, BenchmarkVersion, MediaAsset, Sample
from benchmarks.services import samples_replace
from common.numbers import INT64_MAX
from common.queue import enqueue
from teams.models import Membership
from teams.selectors import access_team_for_write

logger = logging.getLogger(__name__)

ACCEPTED = (Sample.Status.OK, Sample.Status.REPAIRED)
MEDIA_SALT = "annotation.review-media"
# Label Studio stamps updated_at to the microsecond; a pull starts a little before the last one seen,
# so changes committed out of order around it are not missed (re-reading a review changes nothing).
CURSOR_OVERLAP = timedelta(seconds=5)
WEBHOOK_ACTIONS = ("ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_DELETED")
WEBHOOK_HEADER = "X-Bench-Webhook-Secret"
# Compared against when the project is unknown, so both refusals take the same time.
_NO_PROJECT_SECRET = "no-such-project-" + "x" * 27


def label_studio() -> LabelStudio:
    return LabelStudio(settings.LABEL_STUDIO_URL, settings.LABEL_STUDIO_API_KEY)


@dataclass
class PullReport:
    tasks: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    replaced: int = 0
    retired: int = 0

    def add(self, other: PullReport) -> None:
        for name in ("tasks", "created", "updated", "deleted", "replaced", "retired"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


# --- Media the Label Studio editor loads -----------------------------------------------------------

def media_token(*, project: ReviewProject, asset: MediaAsset) -> str:
    return signing.TimestampSigner(salt=MEDIA_SALT).sign_object({"p": project.pk, "a": str(asset.uid)})


def media_token_read(token: str) -> tuple[int, str]:
    """(project id, asset uid) of a token this platform signed within BENCH_REVIEW_MEDIA_TTL_S; raises
    signing.BadSignature (or SignatureExpired) otherwise."""
    value = signing.TimestampSigner(salt=MEDIA_SALT).unsign_object(token, max_age=settings.BENCH_REVIEW_MEDIA_TTL_S)
    return int(value["p"]), str(value["a"])


def _media_url(project: ReviewProject, asset: MediaAsset) -> str:
    path = reverse("review-media", args=[media_token(project=project, asset=asset)])
    return f"{settings.BENCH_PUBLIC_URL.rstrip('/')}{path}"


def _options_text(sample: Sample) -> str:
    return "\n".join(f"{chr(65 + i)}. {option}" for i, option in enumerate(sample.options or []))


def _task_data(project: ReviewProject, sample: Sample) -> dict[str, str]:
    media = {asset.kind: asset for asset in sample.media.all()}
    answer = sample.answer
    if sample.answer_index is not None and sample.options:
        answer = f"{chr(65 + sample.answer_index)}. {sample.answer}"
    data = {"question": sample.question, "context": sample.context or "", "options": _options_text(sample),
            "answer": answer}
    if project_has(project, "image"):
        data["image"] = _media_url(project, media["image"]) if "image" in media else ""
    if project_has(project, "audio"):
        data["audio"] = _media_url(project, media["audio"]) if "audio" in media else ""
    return data


def project_has(project: ReviewProject, kind: str) -> bool:
    """Does the version have samples with this kind of media (so its review form shows it)?"""
    cache = project.__dict__.setdefault("_media_kinds", None)
    if cache is None:
        cache = set(MediaAsset.objects.filter(samples__version_id=project.version_id).values_list("kind", flat=True)
                    .distinct())
        project.__dict__["_media_kinds"] = cache
    return kind in cache


def _task(project: ReviewProject, sample: Sample) -> dict[str, Any]:
    return {"data": _task_data(project, sample),
            "meta": {"sample_id": sample.pk, "subtask": sample.subtask.key, "item_key": sample.item_key}}


# --- Opening a review ------------------------------------------------------------------------------

def review_open(*, version: BenchmarkVersion, user, overlap: int = 1) -> ReviewProject:
    """Open (or re-configure) the version's review project in Label Studio and send its samples there
    (in the background). Owners and editors of the version's team only."""
    benchmark = version.benchmark
    if user is not None and access_team_for_write(user=user, slug=benchmark.team.slug) is None:
        raise PermissionDenied("Only owners and editors of the benchmark's team can send it to review.")
    if isinstance(overlap, bool) or not isinstance(overlap, int) or not 1 <= overlap <= settings.BENCH_REVIEW_MAX_OVERLAP:
        raise ValidationError({"overlap": f"Annotators per sample must be a whole number from 1 to "
                                          f"{settings.BENCH_REVIEW_MAX_OVERLAP}."})
    if not Sample.objects.filter(version=version, status__in=ACCEPTED).exists():
        raise ValidationError({"version": f"{version} has no samples to review yet."})
    client = label_studio()
    project = ReviewProject.objects.filter(version=version).first()
    if project is not None:
        if project.overlap != overlap:
            client.update_project(project.ls_project_id, overlap=overlap)
            ReviewProject.objects.filter(pk=project.pk).update(overlap=overlap)
            project.overlap = overlap
    else:
        kinds = set(MediaAsset.objects.filter(samples__version=version).values_list("kind", flat=True).distinct())
        ls_project_id = client.create_project(
            title=f"{benchmark.name[:40]} v{version.number}", overlap=overlap,
            label_config=labeling_config(image="image" in kinds, audio="audio" in kinds),
            description=f"Review of {benchmark.name} v{version.number} ({benchmark.team.name}). "
                        f"Request: {version.request.text[:400]}")
        project = ReviewProject.objects.create(team=benchmark.team, version=version, ls_url=client.base_url,
                                               ls_project_id=ls_project_id, overlap=overlap)
        hook = f"{settings.BENCH_WEBHOOK_BASE_URL.rstrip('/')}{reverse('review-webhook', args=[project.uid])}"
        webhook_id = client.create_webhook(ls_project_id, hook, headers={WEBHOOK_HEADER: project.webhook_secret})
        ReviewProject.objects.filter(pk=project.pk).update(webhook_id=webhook_id)
        project.webhook_id = webhook_id
    enqueue("annotation.tasks.review_sync_task", project.pk, name=f"review sync {project.pk}")
    return project


def _claim_sync(project: ReviewProject) -> bool:
    """Only one sync of a project at a time, without holding a transaction over HTTP: a lease on the
    row (a sync that died releases it after BENCH_REVIEW_SYNC_LEASE_S)."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.BENCH_REVIEW_SYNC_LEASE_S)
    return bool(ReviewProject.objects.filter(pk=project.pk).filter(Q(sync_lease__isnull=True) | Q(sync_lease__lt=stale))
                .update(sync_lease=now))


def _adopt_orphans(client: LabelStudio, project: ReviewProject) -> int:
    """Tasks Label Studio holds that we have no row for (a sync died between the import and our
    commit) are adopted by the sample id in their meta, so they are never sent twice."""
    held = project.tasks.filter(ls_deleted_at__isnull=True).count()  # retired tasks it deleted are not there
    remote = int(client.project(project.ls_project_id).get("task_number") or 0)
    if remote <= held:
        return 0
    known = set(project.tasks.values_list("ls_task_id", flat=True))
    samples = set(Sample.objects.filter(version_id=project.version_id).values_list("pk", flat=True))
    taken = set(project.tasks.values_list("sample_id", flat=True))
    rows = []
    for task in client.tasks(project.ls_project_id, fields="task_only"):
        sample_id = (task.get("meta") or {}).get("sample_id")
        if task["id"] in known or sample_id not in samples or sample_id in taken:
            continue
        taken.add(sample_id)
        rows.append(ReviewTask(project=project, sample_id=sample_id, ls_task_id=task["id"],
                               media_signed_at=parse_time(task.get("created_at")) or timezone.now()))
    ReviewTask.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def review_sync(*, project_id: int, batch: int | None = None) -> int:
    """Send the version's samples that Label Studio does not have yet, in batches; the number sent.
    Safe to run again (and concurrently: a second run finds the lease taken and returns 0)."""
    project = ReviewProject.objects.select_related("version").get(pk=project_id)
    if not _claim_sync(project):
        return 0
    client = label_studio()
    batch = batch or settings.BENCH_REVIEW_SYNC_BATCH
    sent = 0
    try:
        _adopt_orphans(client, project)
        pending = (Sample.objects.filter(version_id=project.version_id, status__in=ACCEPTED)
                   .exclude(review_tasks__project=project).select_related("subtask").prefetch_related("media")
                   .order_by("pk"))
        while True:
            samples = list(pending[:batch])
            if not samples:
                break
            signed_at = timezone.now()
            ids = client.import_tasks(project.ls_project_id, [_task(project, s) for s in samples], batch=batch)
            if len(ids) != len(samples):
                raise LabelStudioError(f"Label Studio returned {len(ids)} task ids for {len(samples)} tasks")
            ReviewTask.objects.bulk_create([ReviewTask(project=project, sample=s, ls_task_id=i, media_signed_at=signed_at)
                                            for s, i in zip(samples, ids)])
            sent += len(samples)
        ReviewProject.objects.filter(pk=project.pk).update(synced_at=timezone.now(), last_error="")
    except LabelStudioError as exc:
        ReviewProject.objects.filter(pk=project.pk).update(last_error=f"sync: {exc}")
        raise
    finally:
        ReviewProject.objects.filter(pk=project.pk).update(sync_lease=None)
    return sent


def review_media_refresh(*, project_id: int, limit: int = 2000) -> int:
    """Re-sign the media URLs of tasks whose signature is past half its lifetime (the editor loads
    media for as long as a task is open); the number of tasks refreshed."""
    project = ReviewProject.objects.get(pk=project_id)
    if not (project_has(project, "image") or project_has(project, "audio")):
        return 0
    due = timezone.now() - timedelta(seconds=settings.BENCH_REVIEW_MEDIA_TTL_S / 2)
    client = label_studio()
    rows = list(project.tasks.filter(media_signed_at__lt=due, retired_at__isnull=True)
                .select_related("sample__subtask").prefetch_related("sample__media").order_by("media_signed_at")[:limit])
    for row in rows:
        client.update_task_data(row.ls_task_id, _task_data(project, row.sample))
        ReviewTask.objects.filter(pk=row.pk).update(media_signed_at=timezone.now())
    return len(rows)


# --- Webhook signals -------------------------------------------------------------------------------

def review_webhook_authenticate(*, project_uid, secret: str) -> ReviewProject:
    """The review project a webhook call names, when the call carries that project's secret (compared
    in constant time); PermissionDenied otherwise. The view calls this before it reads the body, so
    an unauthenticated caller never has its body parsed."""
    project = ReviewProject.objects.filter(uid=project_uid).first()
    expected = project.webhook_secret if project is not None else _NO_PROJECT_SECRET
    matches = hmac.compare_digest(secret.encode(), expected.encode())  # compared even when unknown
    if project is None or not secret or not matches:
        raise PermissionDenied("Unknown review project or wrong webhook secret.")
    return project


def _is_ls_id(value: Any) -> bool:
    # Label Studio's ids are positive 64-bit integers; anything else names nothing of ours (and an int
    # past 64 bits would overflow the database in an `in` filter).
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= INT64_MAX


def review_webhook_receive(*, project: ReviewProject, payload: Any) -> int:
    """Queue a pull of the tasks an authenticated webhook call names (only tasks of that project);
    the number of tasks queued. Stores nothing from the payload."""
    if not isinstance(payload, dict) or payload.get("action") not in WEBHOOK_ACTIONS:
        raise ValidationError({"action": "Not an annotation webhook."})
    task_ids: set[int] = set()
    if payload["action"] == "ANNOTATIONS_DELETED":
        annotations = payload.get("annotations") if isinstance(payload.get("annotations"), list) else []
        annotation_ids = [a.get("id") for a in annotations if isinstance(a, dict)]
        task_ids |= set(HumanReview.objects.filter(project=project, annotation_id__in=[
            i for i in annotation_ids if _is_ls_id(i)]).values_list("task__ls_task_id", flat=True))
    else:
        annotation = payload.get("annotation") if isinstance(payload.get("annotation"), dict) else {}
        task = payload.get("task") if isinstance(payload.get("task"), dict) else {}
        for value in (task.get("id"), annotation.get("task")):
            if _is_ls_id(value):
                task_ids.add(value)
    known = sorted(project.tasks.filter(ls_task_id__in=task_ids, retired_at__isnull=True)
                   .values_list("ls_task_id", flat=True))
    for ls_task_id in known:
        enqueue("annotation.tasks.review_pull_task", project.pk, ls_task_id, name=f"review pull {ls_task_id}")
    return len(known)


# --- Pulling reviews -------------------------------------------------------------------------------

def _review_fields(review: Review, users: dict[int, str]) -> dict[str, Any]:
    author = review.annotator_id
    return {"annotator": users.get(author, f"ls-user-{author}") if author is not None else "unknown",
            "annotator_ls_id": author, "accepted": review.accepted, "reasons": review.reasons,
            "intent_alignment": review.intent_alignment if review.intent_alignment in range(1, 6) else None,
            "comment": review.comment[:5000], "lead_time_seconds": review.lead_time_s,
            "updated_by_ls_id": review.updated_by,
            "sender_mismatch": review.updated_by is not None and author is not None and review.updated_by != author,
            "reviewed_at": review.created_at}


def _store_task(project: ReviewProject, row: ReviewTask, task: dict[str, Any], users: dict[int, str]) -> PullReport:
    """Make our reviews of one task follow what Label Studio holds: new annotations created, changed
    ones updated (an owner's resolution no longer applies to what changed after it), deleted ones
    kept and marked deleted; an unchanged annotation writes nothing."""
    report = PullReport(tasks=1)
    held = {r.annotation_id: r for r in HumanReview.objects.filter(project=project, task=row)}
    seen: set[int] = set()
    for annotation in task.get("annotations") or []:
        if annotation.get("was_cancelled"):
            continue  # a skipped task is not a review
        review = review_from(annotation, task)
        seen.add(review.annotation_id)
        fields = _review_fields(review, users)
        current = held.get(review.annotation_id)
        if current is None:
            try:
                with transaction.atomic():
                    HumanReview.objects.create(team_id=project.team_id, project=project, task=row,
                                               sample_id=row.sample_id, annotation_id=review.annotation_id, **fields)
                report.created += 1
            except IntegrityError:  # a concurrent pull stored it first
                pass
        elif any(getattr(current, name) != value for name, value in fields.items()):
            if current.resolution:  # the owner decided on what it was, not on what it is now
                fields |= {"resolution": HumanReview.Resolution.UNRESOLVED, "resolved_by": None, "resolved_at": None}
            HumanReview.objects.filter(pk=current.pk).update(**fields, updated_at=timezone.now())
            report.updated += 1
    gone = [annotation_id for annotation_id, review in held.items() if annotation_id not in seen and not review.deleted]
    if gone:
        now = timezone.now()
        report.deleted = HumanReview.objects.filter(project=project, task=row, annotation_id__in=gone,
                                                    deleted=False).update(deleted=True, deleted_at=now, updated_at=now)
    return report


def _users(client: LabelStudio, project: ReviewProject) -> dict[int, str]:
    """Label Studio's user ids -> emails, over the names already stored for the project: a review's
    annotator is how counted_reviews tells annotators apart, so it must not turn into ls-user-<id>
    the one time Label Studio's user list cannot be read."""
    known = dict(HumanReview.objects.filter(project=project, annotator_ls_id__isnull=False).order_by()
                 .values_list("annotator_ls_id", "annotator").distinct())
    try:
        return known | client.users()
    except LabelStudioError:
        return known


def review_pull(*, project_id: int, ls_task_ids: list[int]) -> PullReport:
    """Read these tasks' annotations from Label Studio with our token and store them (retired tasks
    are never read again); then replace what reviewers rejected and retire its tasks."""
    project = ReviewProject.objects.get(pk=project_id)
    client = label_studio()
    users = _users(client, project)
    report = PullReport()
    rows = {r.ls_task_id: r for r in project.tasks.filter(ls_task_id__in=ls_task_ids, retired_at__isnull=True)}
    for ls_task_id, row in sorted(rows.items()):
        try:
            task = client.task(ls_task_id)
        except LabelStudioError as exc:
            if exc.status == 404:  # deleted in Label Studio: the reviews we hold of it stay as they are
                continue
            raise
        if int(task.get("project") or 0) != project.ls_project_id:
            continue
        report.add(_store_task(project, row, task, users))
    report.replaced = reviews_apply(project=project, sample_ids=[r.sample_id for r in rows.values()])
    if report.replaced:
        report.retired = review_retire(project_id=project.pk)
    return report


def review_reconcile(*, project_id: int, full: bool = False) -> PullReport:
    """Pull every task changed since the last pull (all of them with full), so a missed webhook or
    a time Label Studio was down loses nothing; then send new samples, refresh expiring media and
    retire the tasks of samples no longer kept (again, if Label Studio was down the last time)."""
    project = ReviewProject.objects.get(pk=project_id)
    client = label_studio()
    since = None if full or project.cursor is None else project.cursor - CURSOR_OVERLAP
    try:
        tasks = client.tasks(project.ls_project_id, updated_after=since)
    except LabelStudioError as exc:
        ReviewProject.objects.filter(pk=project.pk).update(last_error=f"reconcile: {exc}")
        raise
    users = _users(client, project) if tasks else {}
    rows = {r.ls_task_id: r for r in project.tasks.filter(ls_task_id__in=[t["id"] for t in tasks],
                                                          retired_at__isnull=True)}
    report = PullReport()
    latest = project.cursor
    for task in tasks:
        row = rows.get(task["id"])
        if row is None:
            continue
        report.add(_store_task(project, row, task, users))
        stamp = parse_time(task.get("updated_at"))
        if stamp and (latest is None or stamp > latest):
            latest = stamp
    report.replaced = reviews_apply(project=project, sample_ids=[r.sample_id for r in rows.values()])
    ReviewProject.objects.filter(pk=project.pk).update(cursor=latest, reconciled_at=timezone.now(), last_error="")
    review_sync(project_id=project.pk)
    review_media_refresh(project_id=project.pk)
    report.retired = review_retire(project_id=project.pk)  # last: its error, if any, stays in last_error
    return report


def review_reconcile_all() -> dict[int, str]:
    """Reconcile every review project (the scheduled job); a project whose Label Studio is down is
    noted and tried again next time."""
    outcome: dict[int, str] = {}
    if not settings.LABEL_STUDIO_URL:
        return outcome
    for project_id in ReviewProject.objects.filter(ls_url=label_studio().base_url).values_list("pk", flat=True):
        try:
            report = review_reconcile(project_id=project_id)
            outcome[project_id] = (f"{report.tasks} tasks, +{report.created} ~{report.updated} -{report.deleted}, "
                                   f"{report.retired} retired")
        except LabelStudioError as exc:
            outcome[project_id] = f"failed: {exc}"
    return outcome


# --- Verdicts on samples ---------------------------------------------------------------------------

def reviews_apply(*, project: ReviewProject, sample_ids: list[int]) -> int:
    """Replace the samples reviewers rejected: once a sample has as many counted verdicts as the
    project's overlap (annotators, not annotations: one each, flagged ones left out until an owner
    accepts them), it is rejected when at least half of them reject it. The number of samples sent
    for replacement (none for a frozen version)."""
    version = BenchmarkVersion.objects.get(pk=project.version_id)
    if version.frozen or not sample_ids:
        return 0
    reviews = HumanReview.objects.filter(project=project, sample_id__in=sample_ids, accepted__isnull=False,
                                         sample__status__in=ACCEPTED)
    verdicts = (counted_reviews(reviews=reviews).order_by()
                .values("sample_id").annotate(n=Count("id"), rejects=Count("id", filter=Q(accepted=False))))
    rejected = {row["sample_id"]: row for row in verdicts if row["n"] >= project.overlap and 2 * row["rejects"] >= row["n"]}
    if not rejected:
        return 0
    samples_replace(version=version, reasons={
        sample_id: f"rejected in human review by {row['rejects']} of {row['n']} annotators"
        for sample_id, row in rejected.items()})
    return len(rejected)


def _client_for(project: ReviewProject) -> LabelStudio:
    """The configured client, only for a project on that same Label Studio (ids mean nothing on another)."""
    client = label_studio()
    if client.base_url != project.ls_url.rstrip("/"):
        raise LabelStudioError(f"the project lives on {project.ls_url}, not on the configured Label Studio "
                               f"({client.base_url})")
    return client


def review_retire(*, project_id: int) -> int:
    """Take the tasks of samples the version no longer keeps (rejected in review and replaced, or
    taken out any other way) out of review, so nobody reviews what is gone: retired here first
    (from then on no pull, sync or webhook touches them, so nothing resurrects them; their reviews
    are kept), then deleted from the Label Studio project. When Label Studio cannot be reached the
    deletion stays pending, noted in last_error, and the reconcile job tries again. The number of
    tasks deleted in Label Studio now."""
    project = ReviewProject.objects.get(pk=project_id)
    now = timezone.now()
    gone = ReviewTask.objects.filter(project=project, retired_at__isnull=True).exclude(sample__status__in=ACCEPTED)
    for status in set(gone.values_list("sample__status", flat=True)):
        gone.filter(sample__status=status).update(retired_at=now,
                                                  retired_reason=f"its sample is {status}, no longer kept")
    pending = dict(ReviewTask.objects.filter(project=project, retired_at__isnull=False, ls_deleted_at__isnull=True)
                   .values_list("pk", "ls_task_id"))
    if not pending:
        return 0
    try:
        _client_for(project).delete_tasks(project.ls_project_id, sorted(pending.values()))
    except LabelStudioError as exc:
        logger.warning("retiring %d tasks of %s failed (the reconcile job retries): %s", len(pending), project, exc)
        ReviewProject.objects.filter(pk=project.pk).update(last_error=f"retire: {exc}")
        return 0
    ReviewTask.objects.filter(pk__in=list(pending)).update(ls_deleted_at=timezone.now())
    return len(pending)


# --- Flagged reviews -------------------------------------------------------------------------------

RESOLUTIONS = {"accept": HumanReview.Resolution.ACCEPTED, "discard": HumanReview.Resolution.DISCARDED}


def review_resolve(*, review: HumanReview, user, decision: str) -> HumanReview:
    """An owner's decision on a flagged review (changed by someone other than its author, or deleted,
    in Label Studio): "accept" counts it again as it stands, "discard" leaves it out for good (the
    annotator's previous review, if any, counts instead). Records who decided and when; a later
    change in Label Studio voids the decision. Owners of the review's team only. The decision may
    complete a sample's verdicts: it is applied (and a rejected sample replaced) straight away."""
    if not user or not user.is_authenticated or not Membership.objects.filter(
            team_id=review.team_id, user=user, role=Membership.Role.OWNER).exists():
        raise PermissionDenied("Only owners of the team resolve flagged reviews.")
    resolution = RESOLUTIONS.get(decision) if isinstance(decision, str) else None
    if resolution is None:
        raise ValidationError({"decision": f"Choose one of: {', '.join(RESOLUTIONS)}."})
    now = timezone.now()
    # One conditional update, not a check then a write: a review that is not (or no longer) flagged is refused.
    if not HumanReview.objects.filter(pk=review.pk).filter(FLAGGED).update(
            resolution=resolution, resolved_by=user, resolved_at=now, updated_at=now):
        raise ValidationError({"review": "Only a review changed by someone other than its author, or deleted, "
                                         "in Label Studio is resolved."})
    project = ReviewProject.objects.get(pk=review.project_id)
    if reviews_apply(project=project, sample_ids=[review.sample_id]):
        review_retire(project_id=project.pk)
    review.refresh_from_db()
    return review


# --- Assignments -----------------------------------------------------------------------------------

def review_assign(*, benchmark: Benchmark, user, assignee) -> ReviewAssignment:
    """Assign a benchmark to one of its team's annotators (owners and editors only)."""
    if access_team_for_write(user=user, slug=benchmark.team.slug) is None:
        raise PermissionDenied("Only owners and editors of the benchmark's team assign reviewers.")
    if not Membership.objects.filter(team=benchmark.team, user=assignee, role=Membership.Role.ANNOTATOR).exists():
        raise ValidationError({"user": f"{assignee} is not an annotator of {benchmark.team}."})
    assignment, _ = ReviewAssignment.objects.get_or_create(team=benchmark.team, benchmark=benchmark, user=assignee)
    return assignment
