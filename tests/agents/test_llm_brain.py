"""The LLM brain when the model's replies cannot be used: a planning step whose reply fails
validation after the repair round falls back to the offline rules (LLM_FALLBACK=offline, said in
the trace) or fails; a design reply never drops a grounded subtask without a reason."""
from __future__ import annotations

import pytest

from agents.llm import LLMOutputError, LLMResult, LLMUsage
from agents.offline.design import OfflineBrain
from agents.planner.llm_brain import DesignReply, LLMBrain
from agents.types import BuildRequest, Scope, SubtaskDraft

REQUEST = BuildRequest(text="Can a model pick the most plausible cause or effect of an everyday event?",
                       target_size=10)


class _Model:
    """Answers each role with `replies[role]` (a pydantic value, or an exception to raise)."""

    def __init__(self, replies):
        self.replies = replies

    def complete(self, messages, schema, *, role, item_key=""):
        reply = self.replies[role]
        if isinstance(reply, Exception):
            raise reply
        return LLMResult(value=reply, usage=LLMUsage(), model="m", latency_ms=0, cached=False, raw_text="", attempts=1)


def _prose() -> LLMOutputError:
    return LLMOutputError("the reply gave no valid object after one repair round", raw_text="Sure! Here is a plan.",
                          rounds=[], usage=LLMUsage(), attempts=2)


def test_a_scope_reply_that_cannot_be_validated_is_done_by_the_offline_rules_and_said():
    brain = LLMBrain(_Model({"scope": _prose()}), fallback=OfflineBrain())
    scope = brain.scope(REQUEST)
    assert scope == OfflineBrain().scope(REQUEST)
    assert brain.notes == ["scope: the model's reply could not be validated (the reply gave no valid object after "
                           "one repair round); the offline rules did this step (LLM_FALLBACK=offline)"]


def test_without_a_fallback_the_unusable_reply_fails_the_step():
    with pytest.raises(LLMOutputError):
        LLMBrain(_Model({"scope": _prose()})).scope(REQUEST)


def _draft(key: str) -> SubtaskDraft:
    return SubtaskDraft(key=key, name=key, description=f"the {key} subtask", modalities=["text"])


def test_a_design_round_keeps_a_subtask_the_reply_dropped_without_a_reason():
    scope = Scope(topic="causality", modalities=["text"], keywords=[], target_size=10)
    brain = LLMBrain(_Model({"design": DesignReply(subtasks=[], decisions=[])}))
    outcome = brain.design(request=REQUEST, scope=scope, round_no=2, current=[_draft("causes")], feedback=[])
    assert [s.key for s in outcome.subtasks] == ["causes"]
    assert [(d.action, d.key, d.rationale) for d in outcome.decisions] == [
        ("keep", "causes", "the reply left it out without a reason to discard it")]
    # A discard with its reason is the model's decision to make.
    reply = DesignReply(subtasks=[], decisions=[{"action": "discard", "key": "causes", "rationale": "off topic"}])
    outcome = LLMBrain(_Model({"design": reply})).design(request=REQUEST, scope=scope, round_no=2,
                                                         current=[_draft("causes")], feedback=[])
    assert outcome.subtasks == []


def test_input_media_only_the_model_names_are_left_out_and_said():
    from agents.planner.llm_brain import ScopeReply

    # A small model named all three media for a text request (and kept that answer on every re-plan).
    reply = ScopeReply(topic="causes", modalities=["text", "image", "audio"], keywords=["cause"], asks=[])
    brain = LLMBrain(_Model({"scope": reply}))
    assert brain.scope(REQUEST).modalities == ["text"]
    assert brain.notes == ["scope: the model named audio, image as input media, but neither the request's words "
                           "nor its asks do; left out"]
    # Media the request's words name stay.
    photos = BuildRequest(text="Can a model tell which animal a blurry photo shows?", target_size=10)
    brain = LLMBrain(_Model({"scope": reply}))
    assert brain.scope(photos).modalities == ["image", "text"]
    with pytest.raises(ValueError):  # the reply schema bounds the list (a grammar holds a small model to it)
        ScopeReply(topic="t", modalities=["audio"] * 4)


def test_the_judges_schema_takes_only_the_candidates_slugs():
    from pydantic import ValidationError

    from agents.planner.llm_brain import assess_schema

    schema = assess_schema(("causal-reasoning", "copa"))
    assert schema.model_json_schema()["$defs"]["ScoreReply"]["properties"]["dataset"]["enum"] == [
        "causal-reasoning", "copa"]
    ok = {"dataset": "copa", "alignment": 0.9, "simplicity": 0.8, "risk": 0.1}
    assert schema.model_validate({"scores": [ok]}).scores[0].dataset == "copa"
    for bad in ({"scores": [{**ok, "dataset": "card_causal-reasoning"}]},  # a made-up name
                {"scores": [{**ok, "alignment": 25689347}]},  # a score off its 0-1 scale
                {"scores": [ok, ok, ok]}):  # more scores than candidates
        with pytest.raises(ValidationError):
            schema.model_validate(bad)
    assert assess_schema(("causal-reasoning", "copa")) is schema
