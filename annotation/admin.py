from django.contrib import admin

from annotation.models import HumanReview


@admin.register(HumanReview)
class HumanReviewAdmin(admin.ModelAdmin):
    list_display = ["sample", "annotator", "accepted", "intent_alignment", "lead_time_seconds", "created_at"]
    list_filter = ["accepted", "team"]
    raw_id_fields = ["sample"]
