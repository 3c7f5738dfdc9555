"""A skill asked within another's material ("reason about time in conversations"): the analysis says
so, design makes one subtask serving both, datasets whose items have both fill it first, and the
coverage counts only those items as serving the request (another dataset's are the skill alone)."""
from __future__ import annotations

import pytest

from agents.offline.analysis import analyse
from agents.offline.planner import plan_offline
from agents.planner.coverage import coverage_end_state, plan_coverage
from agents.tools.embedding import default_embedder
from agents.types import BuildRequest
from tests.agents.test_offline_engine import MemoryPool, card, record

TIME_IN_CONVERSATIONS = ("How well does the model reason about time in conversations: how long things take, when a "
                         "meeting is, what happens before what?")


@pytest.mark.parametrize("text,within", [
    (TIME_IN_CONVERSATIONS, {"capability:temporal-reasoning": "capability:dialogue-understanding"}),
    ("Sentiment analysis of dialogues between customers and support agents",
     {"capability:sentiment-analysis": "capability:dialogue-understanding"}),
    # The setting said first, as the sentence's opening phrase.
    ("In everyday chat conversations, can a model work out how long something mentioned takes, like a flight?",
     {"capability:temporal-reasoning": "capability:dialogue-understanding"}),
    ("Given a conversation between friends, what is the relationship between two of the people mentioned in it?",
     {"capability:relation-extraction": "capability:dialogue-understanding"}),
    # Two parts, not one in the other: a comma, or "and", between the skills' words.
    ("Commonsense and temporal reasoning questions", {}),
    ("Track who said what across the turns of a dialogue, and reason about the order of events", {}),
])
def test_the_analysis_says_which_skill_is_asked_within_which(text, within):
    asks = analyse(BuildRequest(text=text, target_size=10), embedder=default_embedder()).asks
    assert {a.key: a.params["within"] for a in asks if a.params.get("within")} == within


FIELDS = {"question": ["question"], "options": ["options"], "answer": ["answer"]}


def _dialogues(n: int):
    c = card("time-dialogues", FIELDS, name="Temporal reasoning in dialogues",
             description="Short everyday dialogues where a masked time span must be inferred from the conversation.")
    return c, [record(i, {"question": f"A: Shall we meet at {i} o'clock? B: Sorry, I need {i} more hours. "
                                      "How long will B be busy?", "options": [f"{i} hours", f"{i} days"],
                          "answer": f"{i} hours"}, c.dataset_id) for i in range(1, n + 1)]


def _news(n: int):
    c = card("time-news", FIELDS, name="Temporal reasoning in news",
             description="Temporal reasoning over news passages: what happens before what, and how long events "
                         "take; pick the temporal relation between two highlighted events.")
    return c, [record(i, {"question": f"The minister resigned after the vote number {i}. Did the resignation "
                                      "happen before or after the vote?", "options": ["before", "after"],
                          "answer": "after"}, c.dataset_id + 1) for i in range(1, n + 1)]


def test_one_subtask_serves_both_and_the_dataset_with_both_fills_it():
    result = plan_offline(BuildRequest(text=TIME_IN_CONVERSATIONS, target_size=8),
                          MemoryPool([_dialogues(20), _news(20)]), embedder=default_embedder())
    ((subtask,),) = [result.subtasks]
    assert subtask.serves == ["capability:temporal-reasoning", "capability:dialogue-understanding"]
    assert {g.dataset_slug: g.quota for g in subtask.groundings if g.quota} == {"time-dialogues": 8}
    assert (result.end_state, [(c.key, c.status) for c in result.coverage if c.kind == "capability"]) == (
        "ok", [("capability:temporal-reasoning", "served"), ("capability:dialogue-understanding", "served")])


def test_items_without_the_setting_do_not_serve_the_joint_ask():
    # The news dataset is about the skill, so it is a candidate, but the dialogues (which have both)
    # fill the subtask first; were news items planned beside them, they count only as the skill.
    result = plan_offline(BuildRequest(text=TIME_IN_CONVERSATIONS, target_size=8),
                          MemoryPool([_dialogues(20), _news(20)]), embedder=default_embedder())
    (subtask,) = result.subtasks
    assert {g.dataset_slug: g.quota for g in subtask.groundings} == {"time-dialogues": 8, "time-news": 0}
    dialogues = next(g for g in subtask.groundings if g.quota).model_copy(update={"quota": 3})
    news = dialogues.model_copy(update={"dataset_id": 2, "dataset_slug": "time-news", "quota": 5, "serves": []})
    subtask = subtask.model_copy(update={"groundings": [dialogues, news]})
    coverage = plan_coverage(analyse(BuildRequest(text=TIME_IN_CONVERSATIONS, target_size=8),
                                     embedder=default_embedder()).asks, [subtask], target=8)
    assert [(c.key, c.status, c.reason) for c in coverage] == [
        ("capability:temporal-reasoning", "partly", "asked within conversation understanding, but only 3 of its 8 "
                                                    "samples have both: the items of time-news are not conversation "
                                                    "understanding"),
        ("capability:dialogue-understanding", "partly", "only 3 of its 8 samples have it: the items of time-news "
                                                         "are not conversation understanding")]
    assert coverage_end_state(coverage, [subtask], target=8)[0] == "partial"


def _continuations(n: int):
    c = card("dialogue-continuation", {"context": ["dialog"], "answer": ["reply"]}, name="Daily dialogue continuation",
             description="Multi-turn everyday dialogues between two speakers; pick the natural next reply.",
             styles={"context": "dialog"})
    return c, [record(i, {"dialog": f"A: Did you see game {i}? B: Yes, what a match!", "reply": f"A: Want to go to "
                          f"game {i + 1}?"}, c.dataset_id + 2) for i in range(1, n + 1)]


def _posts(n: int):
    c = card("sentiment-posts", {"context": ["post"], "answer": ["sentiment"]}, name="Sentiment of social media posts",
             description="Short social media posts labelled with their sentiment: positive, negative or neutral.",
             styles={"context": "post"})
    moods = ["positive", "negative", "neutral"]
    return c, [record(i, {"post": f"Flight {i} was {['great', 'awful', 'on time'][i % 3]} today.",
                          "sentiment": moods[i % 3]}, c.dataset_id + 3) for i in range(1, n + 1)]


def test_a_card_about_the_setting_alone_never_serves_the_skill_asked_within_it():
    # Dialogues to continue are the material, not the skill: the skill's own cards serve it, and the
    # plan says that their items are not conversations.
    text = "Sentiment analysis of dialogues between customers and support agents"
    result = plan_offline(BuildRequest(text=text, target_size=6), MemoryPool([_continuations(20), _posts(20)]),
                          embedder=default_embedder())
    assert {g.dataset_slug for s in result.subtasks for g in s.groundings if g.quota} == {"sentiment-posts"}
    assert sorted((c.key, c.status) for c in result.coverage if c.kind == "capability") == [
        ("capability:dialogue-understanding", "not_served"), ("capability:sentiment-analysis", "partly")]
    assert result.end_state == "partial"
