from django.contrib import admin

from evaluation.models import EvalRun, JudgeScore, ModelAnswer, ModelEndpoint


@admin.register(JudgeScore)
class JudgeScoreAdmin(admin.ModelAdmin):
    list_display = ["sample", "dimension", "score", "model", "created_at"]
    list_filter = ["dimension", "model", "team"]
    raw_id_fields = ["sample", "run"]


@admin.register(ModelEndpoint)
class ModelEndpointAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "base_url", "model", "family", "scale", "concurrency"]
    list_filter = ["team", "family"]


@admin.register(EvalRun)
class EvalRunAdmin(admin.ModelAdmin):
    list_display = ["version", "endpoint", "status", "progress_done", "progress_total", "accuracy", "created_at"]
    list_filter = ["status", "team"]
    raw_id_fields = ["version", "endpoint"]


@admin.register(ModelAnswer)
class ModelAnswerAdmin(admin.ModelAdmin):
    list_display = ["run", "sample", "parsed", "correct", "method", "latency_ms"]
    list_filter = ["correct", "method"]
    raw_id_fields = ["sample", "run"]
