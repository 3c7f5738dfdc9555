"""Human review of samples in Label Studio: a review project per benchmark version, the task that
carries each sample there, the reviews annotators gave, and who is assigned to review what."""
from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models

from benchmarks.models import Benchmark, BenchmarkVersion, Sample
from teams.models import Team


def _webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class ReviewProject(models.Model):
    """The Label Studio project that reviews one benchmark version."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, help_text="Names the webhook URL.")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="review_projects")
    version = models.OneToOneField(BenchmarkVersion, on_delete=models.CASCADE, related_name="review_project")
    ls_url = models.CharField(max_length=300, help_text="The Label Studio server the project lives on.")
    ls_project_id = models.PositiveIntegerField()
    overlap = models.PositiveSmallIntegerField(default=1, help_text="Annotators asked to review each sample.")
    webhook_id = models.PositiveIntegerField(null=True, blank=True)
    # Sent by Label Studio as a header on every webhook call. Annotators can read it there (the community
    # edition has no roles), so a webhook is only a signal: reviews are read back with our own token.
    webhook_secret = models.CharField(max_length=64, default=_webhook_secret, editable=False)
    synced_at = models.DateTimeField(null=True, blank=True, help_text="Last time new samples were sent.")
    sync_lease = models.DateTimeField(null=True, blank=True, editable=False, help_text="A sync is running since.")
    reconciled_at = models.DateTimeField(null=True, blank=True, help_text="Last time reviews were pulled.")
    cursor = models.DateTimeField(null=True, blank=True,
                                  help_text="Label Studio's updated_at of the latest task change pulled.")
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ls_url", "ls_project_id"], name="review_project_unique_ls")]

    def __str__(self) -> str:
        return f"review of {self.version}"

    @property
    def editor_url(self) -> str:
        return f"{self.ls_url.rstrip('/')}/projects/{self.ls_project_id}/data"


class ReviewTask(models.Model):
    """A sample as a Label Studio task."""

    project = models.ForeignKey(ReviewProject, on_delete=models.CASCADE, related_name="tasks")
    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="review_tasks")
    ls_task_id = models.PositiveBigIntegerField()
    media_signed_at = models.DateTimeField(help_text="When the media URLs in the task's data were signed.")
    # A task whose sample the version no longer keeps is retired: nobody should review what is gone.
    # Retired here first (pulls, syncs and webhooks skip it from then on, so nothing resurrects it),
    # then deleted from Label Studio; until Label Studio confirms, the reconcile job keeps trying.
    retired_at = models.DateTimeField(null=True, blank=True,
                                      help_text="Taken out of review: its sample is no longer kept.")
    retired_reason = models.CharField(max_length=300, blank=True)
    ls_deleted_at = models.DateTimeField(null=True, blank=True,
                                         help_text="When Label Studio deleted the retired task (empty: still to do).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "sample"], name="review_task_unique_sample"),
            models.UniqueConstraint(fields=["project", "ls_task_id"], name="review_task_unique_ls_task"),
        ]
        indexes = [models.Index(fields=["project", "retired_at", "ls_deleted_at"], name="review_task_retired")]

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None


class HumanReview(models.Model):
    """One annotator's review of one sample: a Label Studio annotation, read with the platform's token.

    Label Studio's community edition lets any account rewrite or delete anyone's annotation, so a
    review changed by someone other than its author, or deleted there, is kept and flagged: it
    counts for nothing until an owner of the team accepts it as is or discards it (see
    annotation.selectors.counted_reviews for what counts)."""

    class Resolution(models.TextChoices):
        UNRESOLVED = "", "Awaiting an owner"
        ACCEPTED = "accepted", "Accepted as is"
        DISCARDED = "discarded", "Discarded"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="human_reviews")
    project = models.ForeignKey(ReviewProject, on_delete=models.CASCADE, related_name="reviews")
    task = models.ForeignKey(ReviewTask, on_delete=models.CASCADE, related_name="reviews")
    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="human_reviews")
    annotation_id = models.PositiveBigIntegerField(help_text="Label Studio's annotation id.")
    annotator = models.CharField(max_length=254, help_text="The Label Studio user's email (or ls-user-<id>).")
    annotator_ls_id = models.PositiveIntegerField(null=True, blank=True)
    # None: the annotation has no verdict (Label Studio lets the API store an empty one).
    accepted = models.BooleanField(null=True)
    reasons = models.JSONField(default=list, blank=True)
    intent_alignment = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    lead_time_seconds = models.FloatField(null=True, blank=True)
    updated_by_ls_id = models.PositiveIntegerField(null=True, blank=True,
                                                   help_text="Who last sent a change to the annotation.")
    sender_mismatch = models.BooleanField(
        default=False, help_text="The annotation was last changed by someone other than its author.")
    reviewed_at = models.DateTimeField(null=True, blank=True, help_text="Label Studio's created_at.")
    # Kept when the annotation disappears from Label Studio, so nobody erases a verdict silently.
    deleted = models.BooleanField(default=False, help_text="The annotation was deleted in Label Studio.")
    deleted_at = models.DateTimeField(null=True, blank=True, help_text="When the platform saw it gone.")
    resolution = models.CharField(max_length=16, choices=Resolution.choices, default=Resolution.UNRESOLVED,
                                  blank=True, help_text="An owner's decision on a flagged review.")
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "annotation_id"], name="review_unique_annotation"),
        ]
        indexes = [models.Index(fields=["sample", "accepted"]), models.Index(fields=["team", "reviewed_at"]),
                   # "is there a later review by the same annotator of the same sample?" (counted_reviews)
                   models.Index(fields=["sample", "annotator", "annotation_id"], name="review_latest_by_annotator")]

    def __str__(self) -> str:
        verdict = {True: "accept", False: "reject", None: "no verdict"}[self.accepted]
        return f"{self.annotator}: {verdict} on sample {self.sample_id}"

    @property
    def flagged(self) -> bool:
        """Changed by someone other than its author, or deleted, in Label Studio."""
        return self.sender_mismatch or self.deleted


class ReviewAssignment(models.Model):
    """A benchmark an annotator of the team is assigned to review; annotators see only these."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="review_assignments")
    benchmark = models.ForeignKey(Benchmark, on_delete=models.CASCADE, related_name="review_assignments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_assignments")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["benchmark", "user"], name="review_assignment_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} reviews {self.benchmark}"
