"""The judge: the rules judge scores only what rules can; the LLM judge (against the local
OpenAI-protocol server) scores all seven, batched, costed, and leaves what it could not judge
unscored; judge-vs-human agreement; scoping of the judge's doors."""
from __future__ import annotations

import json
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from agents.judge import ALL_DIMENSIONS, JudgeItem
from agents.judge.rules import judge_by_rules
from annotation.models import HumanReview
from benchmarks.models import AgentRun, LLMCall, AgentRunEvent, Sample
from dashboards.selectors import benchmark_quality
from evaluation import services
from evaluation.models import JudgeScore
from tests.llm_server import ok_json, server_error
from tests.reviews import make_reviews

ITEM_IDS = re.compile(r'label="item (i\d+)"')


def test_the_rules_judge_scores_only_what_rules_can_see():
    good = JudgeItem(item_key="k1", question="Which animal is shown in the painting?",
                     options=["a horse", "a cat", "a dog", "a cow"], answer="a cat", answer_index=1)
    judged = judge_by_rules(good)
    assert judged.judge == "rules"
    assert {d: s.score for d, s in judged.scores.items()} == {
        "UIA": None, "FSQ": 100.0, "QAC": 100.0, "CQC": None, "TSD": None, "SSC": None, "Overall": None}
    assert judged.scores["UIA"].rationale == "not scored: needs a model"
    assert judged.scores["CQC"].rationale.startswith("not scored: no text context")

    bad = JudgeItem(item_key="k2", question="Pick {{answer}}: is it a cat?", context="A story about trains.",
                    options=["a cat", "A cat", "", "a dog"], answer="a cat", answer_index=3)
    scores = judge_by_rules(bad).scores
    # 9 FSQ rules; failed: template residue, no empty option, options distinct, keyed index names the answer.
    assert scores["FSQ"].score == round(100 * 5 / 9, 2)
    assert scores["FSQ"].rationale == ("5 of 9 rules pass; failed: no template residue, no empty option, "
                                       "options distinct, keyed index names the answer")
    # QAC: the question states the answer, and "a cat" is two options.
    assert scores["QAC"].score == 0.0
    # CQC: question and context share no content word; the context does not state the answer.
    assert scores["CQC"].score == 50.0


@pytest.fixture
def judge_llm(settings, llm_server):
    settings.OPENAI_BASE_URL = llm_server.base_url
    settings.OPENAI_API_KEY = "sk-test"
    settings.LLM_MODEL = "gpt-4o-mini"
    settings.LLM_ROLE_SETTINGS = {"judge": {"model": "gpt-4o", "temperature": 0.0, "max_tokens": 2000}}
    settings.LLM_PRICES = {"gpt-4o": [2.5, 10.0], "gpt-4o-mini": [0.15, 0.6]}
    settings.LLM_CONCURRENCY = 3
    settings.JUDGE_BATCH_SIZE = 4
    return llm_server


def _scores(item: str, uia: int) -> dict:
    dims = {"UIA": uia, "FSQ": 90, "QAC": 80, "CQC": 70, "TSD": 60, "SSC": 40, "Overall": 65}
    return {"item": item, **{d: {"score": v, "rationale": f"{d} looks {v}"} for d, v in dims.items()}}


@pytest.fixture
def judge(django_capture_on_commit_callbacks):
    """Start a judge run and run it (the queued task, inline)."""
    def start(**kwargs) -> AgentRun:
        with django_capture_on_commit_callbacks(execute=True):
            run = services.judge_start(**kwargs)
        run.refresh_from_db()
        return run
    return start


def test_the_llm_judge_scores_every_dimension_in_batches_and_costs_its_calls(judge_llm, built_text_benchmark,
                                                                            user_a, judge):
    version = built_text_benchmark.version
    samples = list(Sample.objects.filter(version=version, status__in=["ok", "repaired"]).order_by("pk"))
    assert len(samples) == 12
    # The first batch leaves its last item out (judged again alone), the second fails (500s, retries included).
    failing = {"count": 0}

    def reply(request):
        ids = ITEM_IDS.findall(request.text)
        if len(ids) == 4 and samples[0].question in request.text:
            return ok_json({"items": [_scores(i, 80) for i in ids[:3]]}, prompt_tokens=3000, completion_tokens=900)
        if len(ids) == 4 and samples[4].question in request.text:
            failing["count"] += 1
            return server_error(500)
        return ok_json({"items": [_scores(i, 70) for i in ids]}, prompt_tokens=2500, completion_tokens=800)

    judge_llm.default = reply
    run = judge(version=version, user=user_a, engine="llm")
    # 4 of 12 not scored by the model: the run is partial, and says why.
    assert (run.status, run.progress_done, run.error) == (AgentRun.Status.PARTIAL, 8, "")
    said = AgentRunEvent.objects.get(run=run, kind="judged")
    assert (said.level, said.data["llm_not_scored"]) == ("warning", 4)
    assert "4 of them not scored (first: the judge call failed" in said.message

    llm = {s.sample_id: s for s in JudgeScore.objects.filter(sample__version=version, model="gpt-4o",
                                                              dimension="UIA")}
    assert len(llm) == 12
    assert [llm[s.pk].score for s in samples[:4]] == [80.0, 80.0, 80.0, 70.0]  # the 4th judged alone
    assert [llm[s.pk].score for s in samples[4:8]] == [None] * 4  # the failed batch: not scored
    assert llm[samples[4].pk].rationale.startswith("not scored: the judge call failed")
    assert [llm[s.pk].score for s in samples[8:]] == [70.0] * 4
    assert JudgeScore.objects.filter(sample__version=version).count() == 12 * 7 * 2  # rules + gpt-4o
    calls = LLMCall.objects.filter(run=run, role="judge")
    assert all(c.model == "gpt-4o" for c in calls)
    # 1 (first batch) + 1 (its missing item) + 1 (failed batch, its retries included) + 1 (last batch)
    assert calls.count() == 4 and failing["count"] >= 1
    assert sum(c.cost for c in calls) > 0

    # A second run judges only what the model has not scored yet (the failed batch).
    judge_llm.default = lambda request: ok_json({"items": [_scores(i, 50) for i in ITEM_IDS.findall(request.text)]})
    again = judge(version=version, user=user_a, engine="llm")
    assert (again.status, again.progress_done) == (AgentRun.Status.SUCCEEDED, 12)
    assert [JudgeScore.objects.get(sample=s, model="gpt-4o", dimension="UIA").score for s in samples[3:9]] == [
        70.0, 50.0, 50.0, 50.0, 50.0, 70.0]

    # The prompt is the rubric files with the items fenced; the intent names the request.
    first = json.loads(json.dumps(judge_llm.requests[0].body))
    text = first["messages"][1]["content"]
    assert "UIA — user-intention alignment" in text and "SSC — skill-specific challenge" in text
    assert version.request.text in text and text.count('label="item i') == 4


def test_an_llm_judge_that_scores_nothing_fails_the_run(judge_llm, built_text_benchmark, user_a, judge):
    # Every call refused: the rules judge still scores every sample, but the run did not do its job.
    judge_llm.default = lambda request: server_error(400)
    run = judge(version=built_text_benchmark.version, user=user_a, engine="llm")
    assert (run.status, run.progress_done) == (AgentRun.Status.FAILED, 0)
    assert run.error.startswith("The LLM judge scored none of the 12 samples it was given: the judge call failed: "
                                "the LLM endpoint refused the request: HTTP 400")
    assert AgentRunEvent.objects.get(run=run, kind="judged").level == "error"
    assert JudgeScore.objects.filter(run=run, model="rules", dimension="Overall").count() == 12
    assert not JudgeScore.objects.filter(run=run, model="gpt-4o", score__isnull=False).exists()


def test_judge_against_humans_is_spearman_of_uia_and_intent(built_text_benchmark, judge_llm, user_a, judge):
    version = built_text_benchmark.version
    make_reviews(version)  # mean intent per reviewed sample: 4.5, 3.0, 1.5
    reviewed = sorted(set(HumanReview.objects.values_list("sample_id", flat=True)))
    questions = dict(Sample.objects.filter(pk__in=reviewed).values_list("pk", "question"))
    # ranks 3, 1, 2 against the humans' 3, 2, 1
    uia = {questions[reviewed[0]]: 90, questions[reviewed[1]]: 40, questions[reviewed[2]]: 55}

    def reply(request):  # the server's thread: no database here
        items = []
        for item_id in ITEM_IDS.findall(request.text):
            question = re.search(rf'label="item {item_id}" id=\w+>>>\nQuestion: (.*)', request.text).group(1)
            items.append(_scores(item_id, uia.get(question, 75)))
        return ok_json({"items": items})

    judge_llm.default = reply
    judge(version=version, user=user_a, engine="llm")
    data = benchmark_quality(benchmark=version.benchmark, version=version)
    # ranks (3,1,2) vs (3,2,1): d = 0, -1, 1; rho = 1 - 6 * 2 / (3 * 8) = 0.5
    assert data["judge_vs_human"] == {"judge": "gpt-4o", "samples": 3, "spearman": 0.5}
    assert [j["judge"] for j in data["judges"]] == ["rules", "gpt-4o"]
    assert data["judges"][0]["dimensions"]["UIA"] == {"mean": None, "scored": 0, "not_scored": 12}
    assert data["judges"][1]["dimensions"]["Overall"]["mean"] == 65.0


def test_the_offline_judge_runs_without_an_llm_and_its_doors_are_scoped(built_text_benchmark, user_a, user_b,
                                                                       api_a, api_b, settings, client,
                                                                       django_capture_on_commit_callbacks):
    settings.OPENAI_BASE_URL = ""
    version = built_text_benchmark.version
    with pytest.raises(ValidationError, match="No LLM service"):
        services.judge_start(version=version, user=user_a, engine="llm")
    with pytest.raises(PermissionDenied):
        services.judge_start(version=version, user=user_b, engine="rules")
    with django_capture_on_commit_callbacks(execute=True):
        response = api_a.post("/api/evaluation/judge/", {"benchmark": version.benchmark_id}, format="json")
    assert response.status_code == 202 and response.json()["status"] == "queued"
    assert AgentRun.objects.get(pk=response.json()["id"]).status == AgentRun.Status.SUCCEEDED
    scores = api_a.get(f"/api/evaluation/judge-scores/?benchmark={version.benchmark_id}&dimension=FSQ").json()
    assert scores["count"] == 12 and all(s["model"] == "rules" and s["score"] is not None for s in scores["results"])
    assert api_a.get("/api/evaluation/judge-scores/?dimension=UIA").json()["results"][0]["score"] is None
    assert api_b.get("/api/evaluation/judge-scores/").json()["count"] == 0
    assert api_b.post("/api/evaluation/judge/", {"benchmark": version.benchmark_id}, format="json").status_code == 404
    client.force_login(user_b)
    assert client.post(f"/evaluation/benchmarks/{version.benchmark_id}/judge/", {"engine": "rules"}).status_code == 404
    assert set(ALL_DIMENSIONS) == set(JudgeScore.objects.values_list("dimension", flat=True))


def test_the_direct_prompting_baseline_is_written_by_the_llm_and_judged_like_the_agent(
        judge_llm, built_text_benchmark, user_a, user_b, judge, api_b, django_capture_on_commit_callbacks):
    version = built_text_benchmark.version
    count = re.compile(r"Write (\d+) multiple-choice items")

    def reply(request):
        asked = count.search(request.text)
        if asked:  # the generate role: items written outright (one with a key that names no option)
            n = int(asked.group(1))
            return ok_json({"items": [{"question": f"Why did event {k} happen?", "options": ["w", "x", "y", "z"],
                                       "answer_index": 7 if k == 0 else k % 4} for k in range(n)]})
        ids = ITEM_IDS.findall(request.text)
        uia = 40 if "Why did event" in request.text else 70
        return ok_json({"items": [_scores(i, uia) for i in ids]})

    judge_llm.default = reply
    judge(version=version, user=user_a, engine="llm")
    with pytest.raises(PermissionDenied):
        services.baseline_start(version=version, user=user_b)
    assert api_b.post("/api/evaluation/baseline/", {"benchmark": version.benchmark_id}, format="json").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        run = services.baseline_start(version=version, user=user_a)
    run.refresh_from_db()
    assert run.status == AgentRun.Status.SUCCEEDED
    from evaluation.models import BaselineItem
    items = list(BaselineItem.objects.filter(run=run))
    assert len(items) == 12 and (items[0].answer_index, items[0].answer) == (7, "")  # kept as written: no verification
    assert LLMCall.objects.filter(run=run, role="generate").count() == 2  # 10 + 2 items
    assert LLMCall.objects.filter(run=run, role="judge").count() == 3  # 12 items, 4 to a call
    comparison = benchmark_quality(benchmark=version.benchmark, version=version)["baseline"]
    assert (comparison["judge"], comparison["items"]) == ("gpt-4o", 12)
    assert comparison["agent"]["UIA"] == 70.0 and comparison["baseline"]["UIA"] == 40.0
    assert comparison["baseline"]["Overall"] == comparison["agent"]["Overall"] == 65.0


def test_a_baseline_that_writes_nothing_fails_and_one_left_unscored_is_partial(
        judge_llm, built_text_benchmark, user_a, django_capture_on_commit_callbacks):
    version = built_text_benchmark.version
    judge_llm.default = lambda request: server_error(400)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.baseline_start(version=version, user=user_a)
    run.refresh_from_db()
    assert run.status == AgentRun.Status.FAILED
    assert run.error.startswith("The LLM wrote no baseline item (2 of 2 calls failed): the LLM endpoint refused "
                                "the request: HTTP 400")

    def reply(request):  # items written, but the judge refuses
        asked = re.search(r"Write (\d+) multiple-choice items", request.text)
        if not asked:
            return server_error(400)
        return ok_json({"items": [{"question": f"Q{k}?", "options": ["w", "x", "y", "z"], "answer_index": 1}
                                  for k in range(int(asked.group(1)))]})

    judge_llm.default = reply
    with django_capture_on_commit_callbacks(execute=True):
        run = services.baseline_start(version=version, user=user_a)
    run.refresh_from_db()
    said = AgentRunEvent.objects.get(run=run, kind="baseline")
    assert (run.status, said.level, said.data["not_scored"]) == (AgentRun.Status.PARTIAL, "warning", 12)


def test_the_baseline_needs_an_llm(built_text_benchmark, user_a, settings):
    settings.OPENAI_BASE_URL = ""
    with pytest.raises(ValidationError, match="needs an LLM"):
        services.baseline_start(version=built_text_benchmark.version, user=user_a)
