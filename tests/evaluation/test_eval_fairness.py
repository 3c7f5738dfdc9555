"""An evaluation run shares the workers: it stops after K items in a row failed (an endpoint that is
down does not hold a worker through every item's retries), and it is asked in slices that go back to
the queue, so another team's build queued meanwhile finishes first; answers stay exact."""
from __future__ import annotations

import os

import pytest
from django.db import connections
from django_q.conf import Conf

from benchmarks import services as build_services
from benchmarks.models import AgentRun
from evaluation import services
from evaluation.models import EvalRun, ModelAnswer
from tests.conftest import import_seed_datasets
from tests.llm_server import ok, server_error
from tests.queue_worker import drain_queue

EVAL_TASK = "evaluation.tasks.eval_run_task"


@pytest.fixture
def endpoint(settings, allow_llm_server, team_a, user_a):
    llm_server = allow_llm_server  # on loopback: the operator allows it (BENCH_OUTBOUND_ALLOW)
    settings.LLM_MAX_RETRIES = 1  # two attempts per item, a fraction of a second apart
    settings.LLM_RETRY_AFTER_MAX_S = 0.1
    llm_server.default = lambda request: ok("A", prompt_tokens=40, completion_tokens=1)
    return services.endpoint_create(team=team_a, user=user_a, name="target", base_url=llm_server.base_url,
                                    model="target", concurrency=1)


@pytest.fixture
def own_queue(settings, monkeypatch):
    """Queued work goes to a queue of this test's own on the ORM broker; tests run it with drain_queue."""
    settings.BENCH_TASKS_INLINE = False
    name = f"test-fair-{os.getpid()}"
    monkeypatch.setattr(Conf, "CLUSTER_NAME", name)
    monkeypatch.setattr(Conf, "PREFIX", name)


@pytest.mark.parametrize("slice_items", [100, 2])
def test_a_failing_endpoint_stops_the_run_after_k_items_in_a_row(built_text_benchmark, endpoint, user_a, llm_server,
                                                                 settings, slice_items,
                                                                 django_capture_on_commit_callbacks):
    """With slices of 2, the count of failures in a row carries from one slice to the next."""
    settings.BENCH_EVAL_CIRCUIT_FAILURES = 3
    settings.BENCH_EVAL_SLICE_ITEMS = slice_items
    llm_server.default = lambda request: server_error(503)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.eval_start(version=built_text_benchmark.version, endpoint=endpoint, user=user_a)
    run.refresh_from_db()
    assert run.status == "failed"
    assert run.error == ("Stopped: 3 items in a row failed after their retries, so the endpoint looks down; "
                         "9 items were not asked. Last error: HTTP 503 from the endpoint (2 attempts)")
    assert list(ModelAnswer.objects.filter(run=run).values_list("method", flat=True)) == ["error"] * 3
    assert len(llm_server.requests) == 6  # 3 items x 2 attempts; the other 9 were never sent
    assert (run.summary["answered"], run.summary["failed"], run.summary["not_asked"]) == (3, 3, 9)
    assert (run.progress_done, run.progress_total, run.accuracy) == (3, 12, None)


@pytest.mark.django_db(transaction=True)
def test_a_long_evaluation_runs_in_slices_and_another_teams_build_finishes_first(
        built_text_benchmark, endpoint, user_a, team_b, llm_server, settings, own_queue):
    """One worker: team A's 12-item evaluation (slices of 3 items) starts; while its first slice runs,
    team B queues a build. B's build is done before A's evaluation."""
    settings.BENCH_EVAL_SLICE_ITEMS = 3
    import_seed_datasets(team_b, ["Causal-Reasoning"])
    queued_b: list[build_services.BuildStarted] = []

    def answer(request):
        if len(llm_server.requests) == 2 and not queued_b:  # A's evaluation is under way
            try:
                queued_b.append(build_services.build_start(
                    team=team_b, auto_approve=True, target_size=4,
                    text="Can a model pick the most plausible cause or effect of an everyday event?"))
            finally:
                connections.close_all()  # this server thread's connection
        return ok("A", prompt_tokens=40, completion_tokens=1)

    llm_server.default = answer
    run = services.eval_start(version=built_text_benchmark.version, endpoint=endpoint, user=user_a)
    ran = drain_queue()

    run.refresh_from_db()
    build_b = AgentRun.objects.get(pk=queued_b[0].run.pk)
    assert (run.status, run.progress_done, build_b.status) == ("succeeded", 12, "succeeded")
    assert build_b.finished_at < run.finished_at
    # Exact: every sample asked once, answered once.
    assert len(llm_server.requests) == 12
    assert ModelAnswer.objects.filter(run=run).count() == 12
    assert ModelAnswer.objects.filter(run=run).values("sample").distinct().count() == 12
    # The run went through the queue four times (3 + 3 + 3 + 3 items), and B's work ran between its slices.
    slices = [n for n, (func, _) in enumerate(ran) if func == EVAL_TASK]
    assert [args for func, args in ran if func == EVAL_TASK] == [(run.pk,), (run.pk, 1), (run.pk, 1), (run.pk, 1)]
    b_tasks = [n for n, (func, args) in enumerate(ran) if func.startswith("benchmarks.tasks.")]
    assert slices[0] < b_tasks[0] and b_tasks[-1] < slices[-1]
    assert EvalRun.objects.get(pk=run.pk).summary["answered"] == 12


@pytest.mark.django_db(transaction=True)
def test_an_evaluation_cut_into_slices_answers_each_item_once(built_text_benchmark, endpoint, user_a, llm_server,
                                                              settings, own_queue):
    settings.BENCH_EVAL_SLICE_ITEMS = 5
    run = services.eval_start(version=built_text_benchmark.version, endpoint=endpoint, user=user_a)
    ran = drain_queue()
    assert ran == [(EVAL_TASK, (run.pk,)), (EVAL_TASK, (run.pk, 1)), (EVAL_TASK, (run.pk, 1))]  # 5 + 5 + 2 items
    run.refresh_from_db()
    assert (run.status, run.progress_done, run.summary["answered"], run.summary["failed"]) == ("succeeded", 12, 12, 0)
    assert len(llm_server.requests) == 12
    assert sorted(ModelAnswer.objects.filter(run=run).values_list("sample_id", flat=True)) == sorted(
        built_text_benchmark.version.samples.filter(status__in=["ok", "repaired"]).values_list("pk", flat=True))
