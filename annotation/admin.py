from django.contrib import admin

from annotation.models import HumanReview, ReviewAssignment, ReviewProject, ReviewTask


@admin.register(ReviewProject)
class ReviewProjectAdmin(admin.ModelAdmin):
    list_display = ["version", "team", "ls_url", "ls_project_id", "overlap", "synced_at", "reconciled_at"]
    list_filter = ["team"]
    raw_id_fields = ["version"]
    # The webhook secret is never shown (editable=False keeps it off the form).
    readonly_fields = ["uid", "webhook_id", "synced_at", "reconciled_at", "cursor", "last_error"]


@admin.register(ReviewTask)
class ReviewTaskAdmin(admin.ModelAdmin):
    list_display = ["sample", "project", "ls_task_id", "media_signed_at"]
    raw_id_fields = ["sample", "project"]


@admin.register(HumanReview)
class HumanReviewAdmin(admin.ModelAdmin):
    list_display = ["sample", "annotator", "accepted", "intent_alignment", "lead_time_seconds", "sender_mismatch",
                    "reviewed_at"]
    list_filter = ["accepted", "sender_mismatch", "team"]
    raw_id_fields = ["sample", "project", "task"]


@admin.register(ReviewAssignment)
class ReviewAssignmentAdmin(admin.ModelAdmin):
    list_display = ["benchmark", "user", "team", "created_at"]
    raw_id_fields = ["benchmark", "user"]
