from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Helpers every app may use; an app only so that its template filters load (clip)."""

    name = "common"
    verbose_name = "Common helpers"
