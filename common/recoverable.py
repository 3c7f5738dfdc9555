"""The kinds of job the reaper (benchmarks.recovery) hands out again when their worker dies. Each
app registers its own in its AppConfig.ready, so the reaper needs no import of the apps above it."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Q


@dataclass(frozen=True)
class Recoverable:
    """Rows of `model` matching `scope`, executed by the task `task(id)`, which claims its row with
    common.leases.job_claim and keeps a common.leases.Heartbeat while it runs."""

    name: str
    model: type[models.Model]
    task: str
    scope: Q = field(default_factory=Q)
    # Of the scope's running rows, those this task executes and heartbeats (a build that is executing
    # lives through its cells and has no heartbeat of its own).
    running: Q = field(default_factory=Q)
    # The field a claim sets to its own time (AgentRun.started_at): a job claimed before every live
    # cluster was born is requeued after two missed heartbeats instead of BENCH_RUN_STALE_AFTER_S.
    claimed_at: str | None = None
    # Written with status=queued when the job's worker died (e.g. a stage to show).
    requeued_values: dict[str, Any] = field(default_factory=dict)
    # Tells the job's own history what happened (kind, message); None when the model keeps none.
    on_recovered: Callable[[models.Model, str, str], None] | None = None


REGISTRY: dict[str, Recoverable] = {}


def recoverable_register(entry: Recoverable) -> None:
    REGISTRY[entry.task] = entry
