"""The Django admin of benchmarks. A frozen version and its samples are shown read-only: no change,
no delete, no bulk action on them (the models refuse those writes anyway; here the admin does not
offer them). A frozen version's samples go only with the version, deleted from its own admin page
(or its benchmark's, or its team's), which lists them among what goes with it."""
from django.contrib import admin

from benchmarks.models import (
    AgentRun,
    AgentRunEvent,
    Benchmark,
    BenchmarkRequest,
    BenchmarkVersion,
    Grounding,
    LLMCacheEntry,
    LLMCall,
    MediaAsset,
    Sample,
    Spec,
    Subtask,
    ToolCall,
)


# The admin pages from which deleting a frozen version's samples is allowed: those of the version,
# its benchmark and its team (the delete confirmation lists the samples that go with them).
DELETES_WITH_THEIR_VERSION = frozenset({
    f"{app}_{model}_{view}" for app, model in (("benchmarks", "benchmarkversion"), ("benchmarks", "benchmark"),
                                               ("teams", "team"))
    for view in ("delete", "changelist")})


def _deleting_a_whole_version(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return bool(match and match.url_name in DELETES_WITH_THEIR_VERSION)


def _is_frozen_sample(obj) -> bool:
    return obj is not None and BenchmarkVersion.objects.filter(pk=obj.version_id, frozen=True).exists()


class VersionInline(admin.TabularInline):
    """Versions are made by builds and refreshes and frozen by the freeze service: shown, not edited."""

    model = BenchmarkVersion
    extra = 0
    fields = ["number", "request", "frozen", "checksum", "created_at"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Benchmark)
class BenchmarkAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "slug", "created_at"]
    list_filter = ["team"]
    search_fields = ["name", "slug", "description"]
    inlines = [VersionInline]


@admin.register(BenchmarkRequest)
class BenchmarkRequestAdmin(admin.ModelAdmin):
    list_display = ["__str__", "team", "benchmark", "target_size", "created_at"]
    list_filter = ["team"]
    search_fields = ["text"]


@admin.register(BenchmarkVersion)
class BenchmarkVersionAdmin(admin.ModelAdmin):
    list_display = ["benchmark", "number", "frozen", "checksum", "created_at"]
    list_filter = ["frozen", "benchmark__team"]
    # Freezing goes through the freeze service (it records the checksum), never a checkbox.
    readonly_fields = ["frozen", "checksum", "checksum_scheme", "created_at"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.frozen:
            return False
        return super().has_change_permission(request, obj)


class SubtaskInline(admin.TabularInline):
    model = Subtask
    extra = 0
    fields = ["position", "key", "name", "answer_type", "importance", "quota"]
    show_change_link = True


@admin.register(Spec)
class SpecAdmin(admin.ModelAdmin):
    list_display = ["version", "status", "engine", "end_state", "created_at"]
    list_filter = ["status", "engine", "end_state"]
    inlines = [SubtaskInline]


class GroundingInline(admin.TabularInline):
    model = Grounding
    extra = 0
    fields = ["dataset", "quota", "capacity", "scores"]
    readonly_fields = ["scores"]


@admin.register(Subtask)
class SubtaskAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "spec", "answer_type", "quota", "importance"]
    search_fields = ["name", "key"]
    inlines = [GroundingInline]


@admin.register(Grounding)
class GroundingAdmin(admin.ModelAdmin):
    list_display = ["subtask", "dataset", "quota", "capacity"]
    list_select_related = ["subtask", "dataset"]


@admin.register(Sample)
class SampleAdmin(admin.ModelAdmin):
    list_display = ["item_key", "version", "subtask", "status", "engine", "created_at"]
    list_filter = ["status", "engine", "answer_type", "version__frozen", "version__benchmark__team"]
    search_fields = ["item_key", "question"]
    list_select_related = ["version__benchmark", "subtask"]
    raw_id_fields = ["source_record", "grounding", "subtask", "version"]
    # A sample's media come from its build (content-addressed, in the checksum): shown, not edited.
    readonly_fields = ["media"]

    def has_change_permission(self, request, obj=None):
        if _is_frozen_sample(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Called for each sample listed by a delete confirmation: from the sample pages (one sample, or
        # "delete selected") a frozen one is refused; from its version's, benchmark's or team's delete
        # it goes with them.
        if _is_frozen_sample(obj) and not _deleting_a_whole_version(request):
            return False
        return super().has_delete_permission(request, obj)


@admin.register(MediaAsset)
class MediaAssetAdmin(admin.ModelAdmin):
    list_display = ["uid", "team", "kind", "mime", "size_bytes", "file"]
    list_filter = ["kind", "team"]
    search_fields = ["sha256", "file"]


class EventInline(admin.TabularInline):
    model = AgentRunEvent
    extra = 0
    fields = ["created_at", "level", "kind", "message"]
    readonly_fields = fields
    can_delete = False


@admin.register(AgentRun)
class AgentRunAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "team", "version", "status", "stage", "progress_done", "progress_total", "created_at"]
    list_filter = ["kind", "status", "engine", "team"]
    raw_id_fields = ["parent", "grounding", "version"]
    inlines = [EventInline]


@admin.register(AgentRunEvent)
class AgentRunEventAdmin(admin.ModelAdmin):
    list_display = ["run", "level", "kind", "message", "created_at"]
    list_filter = ["level", "kind"]


@admin.register(LLMCall)
class LLMCallAdmin(admin.ModelAdmin):
    list_display = ["role", "model", "prompt_tokens", "completion_tokens", "cost", "latency_ms", "cached", "created_at"]
    list_filter = ["role", "model", "cached", "team"]


@admin.register(LLMCacheEntry)
class LLMCacheEntryAdmin(admin.ModelAdmin):
    list_display = ["key", "model", "created_at"]
    list_filter = ["model"]
    search_fields = ["key"]


@admin.register(ToolCall)
class ToolCallAdmin(admin.ModelAdmin):
    list_display = ["tool", "tool_version", "ok", "latency_ms", "item_key", "created_at"]
    list_filter = ["tool", "ok", "team"]
    raw_id_fields = ["run", "sample"]
