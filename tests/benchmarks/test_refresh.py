"""Refresh: a new version from the same spec, built from source records no earlier version used;
and the versions compared side by side."""
from __future__ import annotations

import os
import threading

import pytest
from django.core.exceptions import PermissionDenied

from benchmarks import services
from benchmarks.models import AgentRun, Sample, Spec

KEPT = ("ok", "repaired")


def test_a_refresh_builds_the_same_spec_from_unused_records(built_text_benchmark, user_a, user_b, api_a, api_b):
    first = built_text_benchmark.version
    benchmark = first.benchmark
    with pytest.raises(PermissionDenied):
        services.version_refresh(benchmark=benchmark, user=user_b)
    started = services.version_refresh(benchmark=benchmark, user=user_a, run_in_background=False)
    run = services.build_run_foreground(run_id=started.run.id)
    second = started.version
    assert (second.number, second.refreshed_from_id, run.status) == (2, first.pk, AgentRun.Status.SUCCEEDED)

    def plan(version):
        spec = Spec.objects.get(version=version)
        return sorted((s.key, s.quota, s.dropped, tuple(sorted(s.groundings.values_list("dataset__slug", "quota"))))
                      for s in spec.subtasks.all())

    assert plan(second) == plan(first)
    assert Spec.objects.get(version=second).trace[0]["step"] == "refresh"
    old = set(Sample.objects.filter(version=first).values_list("source_record_id", flat=True))
    new = set(Sample.objects.filter(version=second).values_list("source_record_id", flat=True))
    assert old and new and not old & new  # not even the first version's rejected records come back
    assert Sample.objects.filter(version=second, status__in=KEPT).count() == \
        Sample.objects.filter(version=first, status__in=KEPT).count() == 12

    comparison = api_a.get(f"/api/dashboards/benchmarks/{benchmark.pk}/versions/").json()["versions"]
    assert [(v["version"], v["refreshed_from"], v["size"], v["records_shared_with_earlier"]) for v in comparison] == [
        (1, None, 12, 0), (2, 1, 12, 0)]
    assert api_b.get(f"/api/dashboards/benchmarks/{benchmark.pk}/versions/").status_code == 404
    assert api_b.post(f"/api/benchmarks/{benchmark.pk}/refresh/").status_code == 404


def test_the_api_refreshes_in_the_background(built_text_benchmark, api_a, django_capture_on_commit_callbacks):
    benchmark = built_text_benchmark.version.benchmark
    with django_capture_on_commit_callbacks(execute=True):
        response = api_a.post(f"/api/benchmarks/{benchmark.pk}/refresh/")
    assert response.status_code == 202 and response.json()["version"] == 2
    assert AgentRun.objects.get(pk=response.json()["run"]).status == AgentRun.Status.SUCCEEDED


def test_the_versions_page_draws_the_comparison(client, user_a, built_text_benchmark):
    client.force_login(user_a)
    response = client.get(f"/dashboards/benchmarks/{built_text_benchmark.version.benchmark_id}/versions/")
    assert response.status_code == 200 and b'id="versions-table"' in response.content


@pytest.mark.django_db(transaction=True)  # each request commits on its own connection, as under a real server
def test_concurrent_refreshes_make_one_version_and_the_others_get_a_conflict(built_text_benchmark, user_a, settings,
                                                                             monkeypatch):
    from django.db import connections
    from django_q.conf import Conf
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    settings.BENCH_TASKS_INLINE = False  # the builds wait in a queue of this test's own; no worker runs them
    monkeypatch.setattr(Conf, "CLUSTER_NAME", f"test-refresh-{os.getpid()}")
    monkeypatch.setattr(Conf, "PREFIX", f"test-refresh-{os.getpid()}")
    benchmark = built_text_benchmark.version.benchmark
    token = Token.objects.create(user=user_a).key
    start = threading.Barrier(3)
    responses: list = [None] * 3

    def refresh(slot: int) -> None:
        client = APIClient()
        client.raise_request_exception = False  # a 500 is an answer to count, not an exception in the thread
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        start.wait()
        try:
            responses[slot] = client.post(f"/api/benchmarks/{benchmark.pk}/refresh/")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=refresh, args=(slot,)) for slot in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(r.status_code for r in responses) == [202, 409, 409]
    accepted = next(r for r in responses if r.status_code == 202).json()
    assert accepted["version"] == 2
    for refused in (r for r in responses if r.status_code == 409):
        assert refused.json() == {"benchmark": [
            "A refresh is already running: v2 is still being built; refresh again once it has finished."]}
    assert list(benchmark.versions.order_by("number").values_list("number", flat=True)) == [1, 2]
    assert AgentRun.objects.filter(version__benchmark=benchmark, kind="build").count() == 2

    # Once v2 is built, the next refresh makes v3.
    services.build_run_foreground(run_id=accepted["run"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.post(f"/api/benchmarks/{benchmark.pk}/refresh/").json()["version"] == 3
