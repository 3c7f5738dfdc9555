from django.contrib import admin

from datapool.models import Dataset, DatasetCard, DatasetRecord


class DatasetCardInline(admin.StackedInline):
    model = DatasetCard
    extra = 0


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "source_format", "modalities", "record_count", "size_declared", "updated_at"]
    list_filter = ["team", "source_format"]
    search_fields = ["name", "slug", "source_id"]
    readonly_fields = ["import_report", "record_count", "created_at", "updated_at"]
    inlines = [DatasetCardInline]


@admin.register(DatasetCard)
class DatasetCardAdmin(admin.ModelAdmin):
    list_display = ["dataset", "domain", "updated_at"]
    search_fields = ["dataset__name", "description", "card_text"]


@admin.register(DatasetRecord)
class DatasetRecordAdmin(admin.ModelAdmin):
    list_display = ["source_id", "dataset", "position"]
    list_filter = ["dataset"]
    search_fields = ["source_id"]
    list_select_related = ["dataset"]
