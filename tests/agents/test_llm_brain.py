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
