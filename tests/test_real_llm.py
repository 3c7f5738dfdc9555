"""The LLM path against a real model server: llama.cpp's llama-server serving SmolLM2-135M-Instruct
(`bash scripts/llm.sh start`, which `make test` runs). A 135M model writes poor items; what it is
held to here is what the platform owes any model: explicit end states, every call in the ledger
with its tokens, no crash, fallbacks recorded. Never skipped: when the server is down, these fail
and say how to start it (as the Label Studio tests do).

The server is the one on LLM_PORT (8090), or BENCH_TEST_LLM_URL."""
from __future__ import annotations

import os
from decimal import Decimal

import httpx2
import pytest
from django.db.models import Q

from benchmarks import services
from benchmarks.models import AgentRun, AgentRunEvent, LLMCall, Sample, Spec
from evaluation import services as evaluation
from evaluation.models import BaselineItem, JudgeScore, ModelAnswer

URL = os.environ.get("BENCH_TEST_LLM_URL") or f"http://127.0.0.1:{os.environ.get('LLM_PORT', '8090')}/v1"
MODEL = "SmolLM2-135M-Instruct"
REQUEST = "Can a model pick the most plausible cause or effect of an everyday event?"
# What a run may end as: each a state the run's page explains; never "running" or "queued" after the call.
ENDED = {AgentRun.Status.SUCCEEDED, AgentRun.Status.PARTIAL, AgentRun.Status.FAILED,
         AgentRun.Status.BUDGET_EXHAUSTED}


@pytest.fixture(scope="module")
def real_server() -> str:
    try:
        props = httpx2.get(URL.removesuffix("/v1") + "/props", timeout=5.0).json()
    except (httpx2.HTTPError, ValueError) as exc:
        pytest.fail(f"no LLM server at {URL} ({exc}); start it with `bash scripts/llm.sh start` "
                    "(`make test` does) or set BENCH_TEST_LLM_URL")
    assert props["total_slots"] >= 1
    return URL


@pytest.fixture
def real_llm(settings, real_server):
    settings.OPENAI_BASE_URL = real_server
    settings.OPENAI_API_KEY = "local"
    settings.LLM_MODEL = MODEL
    settings.LLM_ROLE_SETTINGS = {}
    # A small model that wanders writes until max_tokens at ~30 tokens a second here: bounded, so the
    # suite stays minutes long (a reply cut at the limit is a case the platform handles, tested too).
    settings.LLM_MAX_TOKENS = 384
    settings.LLM_PRICES = {MODEL: [0.01, 0.02]}  # made up, so that money is counted and can be checked
    settings.LLM_CONCURRENCY_FROM_SERVER = True
    settings.LLM_MAX_RETRIES = 1
    settings.LLM_FALLBACK = "offline"
    settings.LLM_CELL_ACCEPTANCE_AFTER = 6
    settings.JUDGE_BATCH_SIZE = 1
    return real_server


def _runs(root: AgentRun) -> Q:
    return Q(run=root) | Q(run__parent=root)


def _assert_ledger_complete(calls) -> None:
    """Every call that went to the server is in the ledger with its tokens and its money."""
    sent = [c for c in calls if not c.cached]
    assert sent, "the run asked the model nothing"
    for call in sent:
        assert call.model == MODEL
        assert call.prompt_tokens > 0, (call.role, call.response)
        assert call.latency_ms > 0
        assert call.cost == ((call.prompt_tokens * Decimal("0.01") + call.completion_tokens * Decimal("0.02"))
                             / 1_000_000).quantize(Decimal("0.000001"))
        assert call.request["messages"] and "cache_key" in call.request


def test_an_llm_engine_plan_and_build_end_explicitly_with_every_call_in_the_ledger(
        real_llm, team_a, user_a, pool_a):
    started = services.build_start(auto_approve=True, team=team_a, user=user_a, text=REQUEST, target_size=2,
                                   engine="llm", run_in_background=False)
    services.build_run_foreground(run_id=started.run.id)

    run = AgentRun.objects.get(pk=started.run.id)
    spec = Spec.objects.get(version=started.version)
    assert run.status in ENDED, run.status
    if run.status == AgentRun.Status.FAILED:
        assert run.error, "a failed run says why"
    assert spec.engine == "llm"
    assert spec.end_state, "the spec says how planning ended"
    # A step the small model's reply could not serve was done by the offline rules, and the trace says so.
    notes = [n for s in spec.trace if s["step"] == "notes" for n in s["notes"]]
    fell_back = {n.split(":")[0].split()[0] for n in notes if "the offline rules did this step" in n}
    calls = list(LLMCall.objects.filter(_runs(run)))
    _assert_ledger_complete(calls)
    failed_calls = {c.role for c in calls if "error" in c.response}
    assert fell_back <= {"scope", "design"} and fell_back <= failed_calls | {c.role for c in calls}
    assert {"scope", "design"} <= {c.role for c in calls}, (run.status, run.error, spec.end_state, spec.trace, [(c.role, c.response) for c in calls])
    # Every cell ended, and every sample it kept or turned away carries its verdict.
    for cell in AgentRun.objects.filter(parent=run):
        assert cell.status in ENDED, (cell.status, cell.error)
        if cell.progress_done < cell.quota:  # short of its quota: not "succeeded" without a reason
            assert cell.status != AgentRun.Status.SUCCEEDED or not cell.events.filter(
                message__contains="stopped early").exists()
            assert cell.status == AgentRun.Status.SUCCEEDED or cell.error
    for sample in Sample.objects.filter(version=started.version):
        assert sample.status in {"ok", "repaired", "rejected"}
        if sample.status == "rejected":
            assert sample.verification, "a rejected sample keeps its reasons"
    # An outage is not a verdict: no sample was turned away because a check could not run.
    # An outage is not a verdict: no sample was turned away because the service could not be reached
    # (a reply the model could not make valid, even after repair, leaves its item unverified: said so).
    for sample in Sample.objects.filter(version=started.version, status="rejected"):
        details = [c["detail"] for c in sample.verification["checks"] if not c["ok"]]
        assert not any("LLM endpoint failed" in d or "connection" in d for d in details), details


def test_every_reply_schema_compiles_in_the_servers_grammar_engine(real_server):
    """llama.cpp turns each reply schema into a grammar: one it cannot compile is refused (or, with
    maxLength in the thousands, crashes the server). Each is sent as the platform sends it."""
    from agents.llm.structured import response_format
    from tests.agents.test_llm import _reply_schemas

    for schema in _reply_schemas():
        reply = httpx2.post(f"{real_server}/chat/completions", timeout=120.0, json={
            "model": MODEL, "max_tokens": 1, "messages": [{"role": "user", "content": "{}"}],
            "response_format": response_format(schema)})
        assert reply.status_code == 200, (schema.__name__, reply.text[:300])


@pytest.fixture
def real_text_benchmark(real_llm, built_text_benchmark):
    """The offline 12-sample text build, cut to its first three kept samples (each costs calls)."""
    version = built_text_benchmark.version
    kept = Sample.objects.filter(version=version, status__in=["ok", "repaired"]).order_by("pk")
    Sample.objects.filter(version=version).exclude(pk__in=list(kept.values_list("pk", flat=True)[:3])).delete()
    return version


def _run(start, capture, **kwargs) -> AgentRun:
    with capture(execute=True):
        run = start(**kwargs)
    run.refresh_from_db()
    return run


def test_the_llm_judge_scores_or_says_what_it_could_not(real_text_benchmark, user_a,
                                                        django_capture_on_commit_callbacks):
    run = _run(evaluation.judge_start, django_capture_on_commit_callbacks, version=real_text_benchmark,
               user=user_a, engine="llm")
    assert run.status in ENDED
    kept = Sample.objects.filter(version=real_text_benchmark, status__in=["ok", "repaired"]).count()
    scores = JudgeScore.objects.filter(sample__version=real_text_benchmark, model=MODEL)
    assert scores.values("sample").distinct().count() == kept  # every sample: a score or the reason for none
    unscored = scores.filter(score__isnull=True)
    assert all(s.rationale.startswith("not scored:") for s in unscored)
    if run.status == AgentRun.Status.SUCCEEDED:
        assert not unscored.exists()  # a run that did not do its job does not say succeeded
    else:
        assert AgentRunEvent.objects.filter(run=run, kind="judged").exists() or run.error
    _assert_ledger_complete(list(LLMCall.objects.filter(run=run)))


def test_the_direct_prompting_baseline_writes_items_or_says_why_not(real_text_benchmark, user_a,
                                                                    django_capture_on_commit_callbacks):
    run = _run(evaluation.baseline_start, django_capture_on_commit_callbacks, version=real_text_benchmark,
               user=user_a)
    assert run.status in ENDED
    written = BaselineItem.objects.filter(run=run).count()
    if run.status == AgentRun.Status.FAILED:
        assert run.error and written == 0
    else:
        assert written > 0
    calls = list(LLMCall.objects.filter(run=run))
    _assert_ledger_complete(calls)
    assert "generate" in {c.role for c in calls}


def test_the_same_server_evaluated_as_a_target_model(real_text_benchmark, settings, team_a, user_a,
                                                     django_capture_on_commit_callbacks):
    settings.BENCH_OUTBOUND_ALLOW = [URL.split("//")[1].split("/")[0]]
    endpoint = evaluation.endpoint_create(team=team_a, user=user_a, name="smollm2", base_url=URL, model=MODEL,
                                          price_input=0.01, price_output=0.02, concurrency=4)
    with django_capture_on_commit_callbacks(execute=True):
        run = evaluation.eval_start(version=real_text_benchmark, endpoint=endpoint, user=user_a)
    run.refresh_from_db()
    kept = Sample.objects.filter(version=real_text_benchmark, status__in=["ok", "repaired"]).count()
    assert run.status == "succeeded", run.error
    answers = ModelAnswer.objects.filter(run=run)
    assert answers.count() == kept
    assert all(a.prompt_tokens > 0 for a in answers)
    summary = run.summary
    assert summary["answered"] == kept and summary["failed"] == 0
    assert summary["prompt_tokens"] == sum(a.prompt_tokens for a in answers)
    assert 0.0 <= run.accuracy <= 1.0
