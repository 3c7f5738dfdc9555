from django.contrib import admin

from evaluation.models import EvalRun, JudgeScore, ModelAnswer, ModelEndpoint


@admin.register(JudgeScore)
class JudgeScoreAdmin(admin.ModelAdmin):
    list_display = ["sample", "dimension", "score", "model", "created_at"]
    list_filter = ["dimension", "team"]
    raw_id_fields = ["sample"]


@admin.register(ModelEndpoint)
class ModelEndpointAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "base_url", "model"]


@admin.register(EvalRun)
class EvalRunAdmin(admin.ModelAdmin):
    list_display = ["version", "endpoint", "status", "accuracy", "created_at"]


@admin.register(ModelAnswer)
class ModelAnswerAdmin(admin.ModelAdmin):
    list_display = ["run", "sample", "parsed", "correct"]
    raw_id_fields = ["sample"]
