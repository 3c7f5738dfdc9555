from django.contrib import admin

from datapool import services
from datapool.models import Dataset, DatasetCard, DatasetRecord, ImportJob


class DatasetCardInline(admin.StackedInline):
    model = DatasetCard
    extra = 0


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "source_format", "modalities", "record_count", "is_shared", "updated_at"]
    list_filter = ["team", "source_format", "is_shared"]
    search_fields = ["name", "slug", "source_id"]
    readonly_fields = ["import_report", "record_count", "is_shared", "created_at", "updated_at"]
    inlines = [DatasetCardInline]
    actions = ["share", "unshare"]

    @admin.action(description="Share with every team")
    def share(self, request, queryset):
        for dataset in queryset:
            services.dataset_share_set(dataset=dataset, shared=True)

    @admin.action(description="Make private to its team")
    def unshare(self, request, queryset):
        for dataset in queryset:
            services.dataset_share_set(dataset=dataset, shared=False)


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["id", "team", "source_format", "status", "progress_done", "dataset", "created_at"]
    list_filter = ["status", "team"]
    readonly_fields = ["report", "error", "options"]


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
