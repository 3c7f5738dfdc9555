"""Cancelling a build: the run and its unfinished cells end as cancelled at once, a queued cell never
starts, a running one stops before its next item and keeps what it made, and a worker's last word
never overwrites the cancel. Owners and editors only, through the page and the API."""
from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from benchmarks import services
from benchmarks.models import AgentRun, AgentRunEvent, Sample
from teams.models import Membership
from tests.factories import MembershipFactory, UserFactory

REQUEST = "Can a model pick the most plausible cause or effect of an everyday event?"


@pytest.fixture
def planned(settings, team_a, user_a, pool_a):
    """A planned 6-sample build whose cells (2 samples each) are queued, not yet run."""
    settings.BENCH_CELL_SHARD_SIZE = 2
    started = services.build_start(auto_approve=True, team=team_a, user=user_a, target_size=6, text=REQUEST,
                                   run_in_background=False)
    services.build_plan(run_id=started.run.id, queue_cells=False)
    cells = list(AgentRun.objects.filter(parent=started.run, kind="cell").order_by("pk"))
    assert len(cells) == 3 and {c.status for c in cells} == {"queued"}
    return started.run, cells


def _made(run: AgentRun) -> int:
    return Sample.objects.filter(version_id=run.version_id, status__in=["ok", "repaired"]).count()


def test_a_cancelled_build_runs_no_more_cells_and_keeps_what_it_made(planned, user_a, api_a, api_b, team_a):
    build, (first, second, third) = planned
    services.build_cell(run_id=first.pk, queue_cells=False)
    assert _made(build) == 2

    viewer = UserFactory(username="vera")
    MembershipFactory(team=team_a, user=viewer, role=Membership.Role.VIEWER)
    with pytest.raises(PermissionDenied):
        services.run_cancel(run=build, user=viewer)
    assert api_b.post(f"/api/runs/{build.pk}/cancel/").status_code == 404  # another team's run

    reply = api_a.post(f"/api/runs/{build.pk}/cancel/")
    assert reply.status_code == 200 and reply.json()["status"] == "cancelled"
    statuses = dict(AgentRun.objects.filter(pk__in=[build.pk, first.pk, second.pk, third.pk])
                    .values_list("pk", "status"))
    assert statuses == {build.pk: "cancelled", first.pk: "succeeded", second.pk: "cancelled", third.pk: "cancelled"}
    event = AgentRunEvent.objects.get(run=build, kind="cancelled")
    assert event.message == ("cancelled by alice; 2 unfinished cell(s) stopped with it, the 2 samples made so far "
                             "are kept")

    services.build_cell(run_id=second.pk, queue_cells=False)  # its task delivered after the cancel: not claimed
    build.refresh_from_db()
    assert (_made(build), build.status, build.error) == (2, "cancelled", "cancelled by alice")
    again = api_a.post(f"/api/runs/{build.pk}/cancel/")
    assert again.status_code == 400 and "already finished (cancelled)" in str(again.json())


def test_a_running_cell_stops_before_its_next_item(planned, user_a, settings, monkeypatch):
    settings.BENCH_STOP_CHECK_S = 0  # the row is read at every check
    build, (first, *_rest) = planned
    AgentRun.objects.filter(pk=first.pk).update(quota=4, progress_total=4)

    def progress(done: int, total: int) -> None:
        if done == 1:  # someone cancels the build while its cell works
            services.run_cancel(run=build, user=user_a)

    services.build_cell(run_id=first.pk, on_progress=progress, queue_cells=False)
    first.refresh_from_db()
    assert (first.status, _made(build)) == ("cancelled", 1)
    stopped = AgentRunEvent.objects.get(run=first, kind="stopped")
    assert stopped.message == "the cell stopped: cancelled by alice; the samples it made are kept"
    assert not AgentRunEvent.objects.filter(run=first, kind="cell_done").exists()


def test_a_finished_or_cell_run_is_not_cancelled(built_text_benchmark, user_a):
    build = built_text_benchmark.run
    build.refresh_from_db()
    with pytest.raises(ValidationError, match="already finished"):
        services.run_cancel(run=build, user=user_a)
    cell = AgentRun.objects.filter(parent=build).first()
    with pytest.raises(ValidationError, match="Only a build run"):
        services.run_cancel(run=cell, user=user_a)


def test_the_page_offers_cancel_to_writers_of_an_unfinished_build(planned, user_a, client, team_a):
    build, _ = planned
    client.force_login(user_a)
    page = client.get(f"/benchmarks/{build.version.benchmark_id}/").content.decode()
    assert "Cancel this build" in page
    answer = client.post(f"/runs/{build.pk}/cancel/")
    assert answer.status_code == 302
    build.refresh_from_db()
    assert build.status == "cancelled"
    assert "Cancel this build" not in client.get(f"/benchmarks/{build.version.benchmark_id}/").content.decode()
