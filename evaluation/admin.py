from django import forms
from django.contrib import admin

from common import outbound
from evaluation import services
from evaluation.models import EvalRun, JudgeScore, ModelAnswer, ModelEndpoint


@admin.register(JudgeScore)
class JudgeScoreAdmin(admin.ModelAdmin):
    list_display = ["sample", "dimension", "score", "model", "created_at"]
    list_filter = ["dimension", "model", "team"]
    raw_id_fields = ["sample", "run"]


class ModelEndpointForm(forms.ModelForm):
    """The key is write-only: the form never renders it (not even encrypted), only takes a new one."""

    base_url = forms.URLField(assume_scheme="https", max_length=200)
    api_key = forms.CharField(
        required=False, strip=True, max_length=services.API_KEY_MAX_LENGTH,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Write-only: leave empty to keep the stored key. It is sent only to this base URL's origin; "
                  "a base URL on another origin drops it unless a new key is given here.")
    remove_api_key = forms.BooleanField(required=False, label="Remove the stored key")

    class Meta:
        model = ModelEndpoint
        fields = ["team", "name", "base_url", "model", "price_input", "price_output", "family", "scale",
                  "concurrency"]

    def clean_base_url(self):
        base_url = self.cleaned_data["base_url"]
        try:
            outbound.url_check(base_url)
        except outbound.OutboundRefused as exc:
            raise forms.ValidationError(str(exc)) from exc
        return base_url

    def clean_api_key(self):
        api_key = self.cleaned_data["api_key"]
        error = services.api_key_error(api_key) if api_key else ""
        if error:
            raise forms.ValidationError(error)
        return api_key


@admin.register(ModelEndpoint)
class ModelEndpointAdmin(admin.ModelAdmin):
    form = ModelEndpointForm
    list_display = ["name", "team", "base_url", "model", "has_key", "family", "scale", "concurrency"]
    list_filter = ["team", "family"]
    readonly_fields = ["key_status"]

    @admin.display(boolean=True, description="key")
    def has_key(self, obj: ModelEndpoint) -> bool:
        return obj.api_key_set

    @admin.display(description="Stored key")
    def key_status(self, obj: ModelEndpoint) -> str:
        if obj is None or not obj.api_key_set:
            return "none"
        return f"set, for {obj.api_key_origin} (never shown)"

    def save_model(self, request, obj, form, change):
        services.endpoint_key_apply(endpoint=obj, api_key=form.cleaned_data.get("api_key") or None,
                                    remove=form.cleaned_data.get("remove_api_key", False))
        super().save_model(request, obj, form, change)


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
