"""Asks in the platform (issue 15): a request read from weak evidence waits for review even with
auto-approve; an unclear request ends `unclear-request` with the reason and builds nothing; the
LLM brain's asks and problems take the same paths (against the local OpenAI-protocol server)."""
from __future__ import annotations

from benchmarks import services
from benchmarks.models import AgentRun, AgentRunEvent, Sample, Spec
from tests.benchmarks.test_planner import llm_engine, scripted_model  # noqa: F401  (the scripted LLM fixture)
from tests.llm_server import ok_json

ROBUST_ART = "Visual question answering about artwork images, robust to degraded inputs."
BLUR_UNCERTAIN = ("blur at severities 1, 3 and 5 (the request asks for degraded inputs without naming how; review "
                  "which conditions)")


def _build(team, user, text, *, size=4, **kwargs):
    started = services.build_start(auto_approve=True, team=team, user=user, text=text, target_size=size,
                                   run_in_background=False, **kwargs)
    services.build_plan(run_id=started.run.id)
    return AgentRun.objects.get(pk=started.run.id), Spec.objects.get(version=started.version)


def test_an_uncertain_ask_holds_an_auto_approved_build_for_review(team_a, user_a, pool_a):
    run, spec = _build(team_a, user_a, ROBUST_ART)

    assert [(a["key"], a["uncertain"]) for a in spec.scope["asks"]] == [
        ("capability:visual-question-answering", False), ("input:image", False), ("perturbation:blur", True)]
    assert (run.status, run.children.count(), spec.status) == ("awaiting_approval", 0, "draft")
    event = AgentRunEvent.objects.filter(run=run, kind="awaiting_approval").get()
    assert event.message == ("the spec waits for review although the request asked to approve it: the request is "
                             f"unclear about {BLUR_UNCERTAIN}. Check the coverage, then approve or re-plan")
    assert Sample.objects.filter(version=spec.version).count() == 0


def test_a_certain_request_is_still_auto_approved(team_a, user_a, pool_a):
    run, spec = _build(team_a, user_a, "Visual question answering about what is shown in artwork images.")
    assert all(not a["uncertain"] for a in spec.scope["asks"])
    assert (spec.status, run.children.count()) == ("approved", 1)


def test_an_unclear_request_ends_unclear_request_and_builds_nothing(team_a, user_a, pool_a):
    for text, problem in (
            ("cats", "The request is the single word \"cats\": say what a model should be able to do, with what it "
                     "is shown and what it must answer, so the benchmark tests the right skill."),
            ("a text-only benchmark about images", "The request asks for a text-only benchmark (\"text-only\") but "
                                                   "also for images (\"images\"): say whether the items should carry "
                                                   "images.")):
        run, spec = _build(team_a, user_a, text)
        assert (spec.end_state, spec.scope["problems"], spec.coverage) == ("unclear-request", [problem], [])
        assert (run.status, run.error) == ("failed", f"Planning ended unclear-request: {problem}")
        assert (run.children.count(), spec.subtasks.count()) == (0, 0)


def _llm_scope(reply: dict):
    def model(request):
        if request.body.get("response_format", {}).get("json_schema", {}).get("name") == "ScopeReply":
            return ok_json(reply)
        return scripted_model(request)
    return model


def test_the_llm_brain_s_uncertain_asks_hold_the_build_too(team_a, user_a, pool_a, llm_engine):  # noqa: F811
    llm_engine.default = _llm_scope({
        "topic": "Causes and effects", "modalities": ["text"], "keywords": ["cause"],
        "asks": [{"kind": "capability", "text": "pick the most plausible cause or effect", "skill": "causal reasoning",
                  "evidence": ["cause or effect"]},
                 {"kind": "difficulty", "text": "hard items, perhaps", "level": "hard", "evidence": ["tricky"],
                  "uncertain": True},
                 {"kind": "perturbation", "text": "a condition without its kind", "evidence": ["robust"]}]})
    run, spec = _build(team_a, user_a, "Can a model pick the plausible cause or effect, tricky ones?", size=6,
                       engine="llm")

    assert [(a["key"], a["uncertain"]) for a in spec.scope["asks"]] == [
        ("capability:causal-reasoning", False), ("difficulty:hard", True)]
    assert {"step": "notes", "notes": ["scope ask dropped (perturbation: 'a condition without its kind'): it names "
                                       "no usable value"]} in spec.trace
    assert (run.status, run.children.count()) == ("awaiting_approval", 0)
    assert [(c["key"], c["status"]) for c in spec.coverage] == [("capability:causal-reasoning", "served"),
                                                               ("difficulty:hard", "not_served")]


def test_the_llm_brain_s_problems_end_unclear_request(team_a, user_a, pool_a, llm_engine):  # noqa: F811
    problem = "The request asks for spoken questions but also for no audio: say which."
    llm_engine.default = _llm_scope({"topic": "spoken questions", "modalities": ["text"], "keywords": [],
                                     "asks": [], "problems": [problem]})
    run, spec = _build(team_a, user_a, "spoken questions with no audio", engine="llm")
    assert (spec.end_state, run.error) == ("unclear-request", f"Planning ended unclear-request: {problem}")
    assert [r.body["response_format"]["json_schema"]["name"] for r in llm_engine.requests] == ["ScopeReply"]

    # Too short to read: no call at all.
    run, spec = _build(team_a, user_a, "cats", engine="llm")
    assert spec.end_state == "unclear-request"
    assert len(llm_engine.requests) == 1
