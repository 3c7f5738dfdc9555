from __future__ import annotations

from rest_framework import serializers

from annotation.models import HumanReview, ReviewProject
from common.api import BoundedIntegerField


class ReviewProjectSerializer(serializers.ModelSerializer):
    benchmark = serializers.IntegerField(source="version.benchmark_id", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    task_count = serializers.IntegerField(read_only=True)
    review_count = serializers.IntegerField(read_only=True)
    editor_url = serializers.CharField(read_only=True)

    class Meta:
        model = ReviewProject
        fields = ["id", "benchmark", "version", "ls_url", "ls_project_id", "editor_url", "overlap", "task_count",
                  "review_count", "synced_at", "reconciled_at", "last_error", "created_at"]
        read_only_fields = fields


class ReviewOpenInputSerializer(serializers.Serializer):
    benchmark = BoundedIntegerField(help_text="Benchmark id; its latest version is sent unless version is given.")
    version = BoundedIntegerField(required=False, help_text="Version number.")
    overlap = BoundedIntegerField(default=1, help_text="Annotators asked to review each sample.")


class HumanReviewSerializer(serializers.ModelSerializer):
    benchmark = serializers.IntegerField(source="project.version.benchmark_id", read_only=True)
    version = serializers.IntegerField(source="project.version.number", read_only=True)
    subtask = serializers.CharField(source="sample.subtask.key", read_only=True)
    flagged = serializers.BooleanField(read_only=True, help_text="Changed by someone other than its author, or "
                                                                 "deleted, in Label Studio.")
    counted = serializers.BooleanField(read_only=True, help_text="Counted by the numbers of human review: the "
                                       "annotator's latest review of the sample, clean or accepted by an owner.")
    resolved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = HumanReview
        fields = ["id", "benchmark", "version", "sample", "subtask", "annotation_id", "annotator", "accepted",
                  "reasons", "intent_alignment", "comment", "lead_time_seconds", "sender_mismatch", "deleted",
                  "deleted_at", "flagged", "resolution", "resolved_by", "resolved_at", "counted", "reviewed_at",
                  "updated_at"]
        read_only_fields = fields


class ReviewResolveInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=["accept", "discard"], help_text="accept: the review counts again as it stands; discard: it never counts.")
