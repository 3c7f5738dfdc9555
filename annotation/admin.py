from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from annotation import services
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
    list_display = ["sample", "project", "ls_task_id", "media_signed_at", "retired_at", "ls_deleted_at"]
    list_filter = [("retired_at", admin.EmptyFieldListFilter)]
    raw_id_fields = ["sample", "project"]
    # Retirement is the services' business (and Label Studio's deletion follows it): not edited by hand.
    readonly_fields = ["retired_at", "retired_reason", "ls_deleted_at"]


def _resolve(modeladmin, request, queryset, decision: str) -> None:
    """Through the service, one review at a time: owners of its team only, flagged reviews only."""
    done, refused = 0, []
    for review in queryset.select_related("team"):
        try:
            services.review_resolve(review=review, user=request.user, decision=decision)
            done += 1
        except (PermissionDenied, ValidationError) as exc:
            refused.append(f"#{review.pk}: {'; '.join(getattr(exc, 'messages', [str(exc)]))}")
    if done:
        modeladmin.message_user(request, f"{done} review{'s' if done != 1 else ''} resolved ({decision}).")
    if refused:
        modeladmin.message_user(request, "Not resolved: " + " · ".join(refused[:20]), level=messages.ERROR)


@admin.action(description="Accept the selected flagged reviews as they are (they count again)")
def accept_as_is(modeladmin, request, queryset):
    _resolve(modeladmin, request, queryset, "accept")


@admin.action(description="Discard the selected flagged reviews (they never count)")
def discard(modeladmin, request, queryset):
    _resolve(modeladmin, request, queryset, "discard")


@admin.register(HumanReview)
class HumanReviewAdmin(admin.ModelAdmin):
    list_display = ["sample", "annotator", "accepted", "intent_alignment", "lead_time_seconds", "sender_mismatch",
                    "deleted", "resolution", "reviewed_at"]
    list_filter = ["accepted", "sender_mismatch", "deleted", "resolution", "team"]
    raw_id_fields = ["sample", "project", "task"]
    # What Label Studio said and what an owner decided are recorded, not edited: decisions go through the actions.
    readonly_fields = ["annotation_id", "annotator", "annotator_ls_id", "updated_by_ls_id", "sender_mismatch",
                       "deleted", "deleted_at", "resolution", "resolved_by", "resolved_at"]
    actions = [accept_as_is, discard]


@admin.register(ReviewAssignment)
class ReviewAssignmentAdmin(admin.ModelAdmin):
    list_display = ["benchmark", "user", "team", "created_at"]
    raw_id_fields = ["benchmark", "user"]
