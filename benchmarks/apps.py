from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _schedule_reaper(sender, **kwargs) -> None:
    """Every minute, hand out again what dead workers held (benchmarks.recovery.runs_reap)."""
    from django_q.models import Schedule

    Schedule.objects.get_or_create(
        name="benchmarks: re-queue runs whose worker died",
        defaults={"func": "benchmarks.tasks.runs_reap_task", "schedule_type": Schedule.MINUTES, "minutes": 1,
                  "repeats": -1})


def _worker_spawned(sender, **kwargs) -> None:
    """Each qcluster worker process reaps when it starts, then every BENCH_REAP_EVERY_S."""
    from benchmarks.recovery import worker_spawned

    worker_spawned(sender, **kwargs)


def _run_event(run, kind: str, message: str) -> None:
    from benchmarks.adapters import run_event

    run_event(run, kind, message, level="warning")


def _register_recoverable() -> None:
    """Builds' planning and cells are handed out again when their worker dies (benchmarks.recovery)."""
    from django.db.models import Q

    from benchmarks.models import AgentRun
    from common.recoverable import Recoverable, recoverable_register

    recoverable_register(Recoverable(
        name="plan", model=AgentRun, task="benchmarks.tasks.build_plan_task", scope=Q(kind=AgentRun.Kind.BUILD),
        running=Q(stage="planning"), claimed_at="started_at", requeued_values={"stage": "requeued"},
        on_recovered=_run_event))
    recoverable_register(Recoverable(
        name="cell", model=AgentRun, task="benchmarks.tasks.build_cell_task", scope=Q(kind=AgentRun.Kind.CELL),
        running=Q(stage="executing"), claimed_at="started_at", requeued_values={"stage": "requeued"},
        on_recovered=_run_event))


class BenchmarksConfig(AppConfig):
    name = "benchmarks"
    verbose_name = "Benchmarks"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        post_migrate.connect(_schedule_reaper, sender=self)
        post_spawn.connect(_worker_spawned, dispatch_uid="benchmarks-reaper")
        _register_recoverable()
