from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "evaluation"

    def ready(self) -> None:
        from common.recoverable import Recoverable, recoverable_register
        from evaluation.models import EvalRun

        # An evaluation run whose worker died (or whose next slice was lost with it) is handed out again.
        recoverable_register(Recoverable(name="eval", model=EvalRun, task="evaluation.tasks.eval_run_task"))
