from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _schedule_reaper(sender, **kwargs) -> None:
    """Every minute, re-queue runs whose worker died (benchmarks.services.runs_reap)."""
    from django_q.models import Schedule

    Schedule.objects.get_or_create(
        name="benchmarks: re-queue runs whose worker died",
        defaults={"func": "benchmarks.tasks.runs_reap_task", "schedule_type": Schedule.MINUTES, "minutes": 1,
                  "repeats": -1})


class BenchmarksConfig(AppConfig):
    name = "benchmarks"
    verbose_name = "Benchmarks"

    def ready(self) -> None:
        post_migrate.connect(_schedule_reaper, sender=self)
