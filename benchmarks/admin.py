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


class VersionInline(admin.TabularInline):
    model = BenchmarkVersion
    extra = 0
    fields = ["number", "request", "frozen", "checksum", "created_at"]
    readonly_fields = ["created_at", "checksum"]
    show_change_link = True


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
    list_filter = ["status", "engine", "answer_type", "version__benchmark__team"]
    search_fields = ["item_key", "question"]
    list_select_related = ["version__benchmark", "subtask"]
    raw_id_fields = ["source_record", "grounding", "subtask", "version"]
    filter_horizontal = ["media"]


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
