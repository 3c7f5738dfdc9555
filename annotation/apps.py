from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _schedule_reconcile(sender, **kwargs) -> None:
    """Every minute, pull the reviews webhooks missed and send new samples (annotation.services)."""
    from django_q.models import Schedule

    Schedule.objects.get_or_create(
        name="annotation: reconcile review projects with Label Studio",
        defaults={"func": "annotation.tasks.review_reconcile_all_task", "schedule_type": Schedule.MINUTES,
                  "minutes": 1, "repeats": -1})


class AnnotationConfig(AppConfig):
    name = "annotation"
    verbose_name = "Human review"

    def ready(self) -> None:
        post_migrate.connect(_schedule_reconcile, sender=self)
