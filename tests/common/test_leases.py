"""A job's claim and heartbeat (common.leases): one claim per live job, a heartbeat from its own
thread while the task runs, which stops once the job is no longer running."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db.models import Q
from django.utils import timezone

from benchmarks import services
from benchmarks.models import AgentRun
from common.leases import Heartbeat, job_claim
from tests.factories import TeamFactory


@pytest.mark.django_db(transaction=True)  # the heartbeat thread writes through a connection of its own
def test_a_claim_is_taken_once_and_the_heartbeat_beats_until_the_job_ends(settings):
    team = TeamFactory(slug="lease-team")
    started = services.build_start(team=team, text="Can a model pick the most plausible cause of an event?",
                                   target_size=3, run_in_background=False)
    jobs = AgentRun.objects.filter(pk=started.run.pk)
    assert job_claim(jobs, stage="planning") is True
    assert job_claim(jobs, stage="planning") is False  # running, heartbeat fresh: a second delivery backs off
    first = jobs.get().heartbeat_at

    with Heartbeat(AgentRun, started.run.pk, every_s=0.2) as beat:
        time.sleep(0.7)
        assert jobs.get().heartbeat_at > first
        jobs.update(status="succeeded")
        time.sleep(0.5)
        assert not beat._thread.is_alive()  # the job ended: the thread stopped by itself
    ended = jobs.get().heartbeat_at
    time.sleep(0.3)
    assert jobs.get().heartbeat_at == ended

    # A running job whose heartbeat stopped (its worker died) is claimed again, only in its stage.
    jobs.update(status="running", stage="planning", heartbeat_at=timezone.now() - timedelta(minutes=5))
    assert job_claim(jobs, running_filter=Q(stage="executing"), stage="executing") is False
    assert job_claim(jobs, running_filter=Q(stage="planning"), stage="planning") is True


def test_no_heartbeat_thread_inside_a_transaction(team_a):
    """A test's transaction (or any atomic block): the thread could not see the row, nor write beside the lock."""
    with Heartbeat(AgentRun, 1, every_s=0.1) as beat:
        assert beat._thread is None
