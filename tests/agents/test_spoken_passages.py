"""A text skill over spoken inputs ("play a spoken post and ask whether it sounds positive or
negative"): the passage of a text dataset is read aloud by one voice and the listener gets the
recording instead of the text; a dialogue is spoken as one, a voice per speaker."""
from __future__ import annotations

from agents.operators import ItemContext, plan_apply
from agents.planner.transform import design_plan, dry_run, spoken_passage_plan
from tests.agents.test_offline_engine import card, record

POSTS = [("Loving the new update, everything is faster now!", "positive"),
         ("The train was late again and nobody told us why.", "negative"),
         ("Meeting moved to Thursday at noon.", "neutral"),
         ("Best concert of the year, what a night!", "positive"),
         ("My phone died in the middle of the call, great.", "negative"),
         ("The shop opens at nine tomorrow.", "neutral")] * 2


def test_a_post_is_read_aloud_and_the_item_carries_the_recording_instead_of_the_text():
    c = card("posts", {"context": ["text"], "answer": ["label"]}, styles={"context": "post"})
    recs = [record(i, {"text": t, "label": a}, c.dataset_id) for i, (t, a) in enumerate(POSTS)]
    plan, why = design_plan(c, recs)
    assert plan is not None, why
    spoken, why = spoken_passage_plan(plan, c)
    assert why == "" and spoken.template.startswith("spoken_")
    ops = [op.op for op in spoken.operators]
    step = spoken.operators[ops.index("speak_text")]
    before = spoken.operators[ops.index("speak_text") - 1]
    assert (before.op, before.params["into"]) == ("read_text", "context")  # spoken once it is read
    assert step.params == {"field": "context", "instead": "Listen to the recording."}
    draft = plan_apply(spoken, recs[0], ItemContext(seed=0, item_key="k", ordinal=0, dry_run=True))
    assert draft["speech"] == [("Q", POSTS[0][0])] and draft["context"] == "Listen to the recording."
    assert POSTS[0][0] not in draft["question"]
    assert dry_run(spoken, recs, examples=0).usable == len(recs)


def test_a_dialogue_is_spoken_as_a_dialogue_and_a_card_without_a_passage_says_why():
    c = card("chats", {"context": ["dialog"], "answer": ["label"]}, styles={"context": "dialog"})
    recs = [record(i, {"dialog": f"A: {t}\nB: Really?", "label": a}, c.dataset_id) for i, (t, a) in enumerate(POSTS)]
    plan, _ = design_plan(c, recs)
    spoken, why = spoken_passage_plan(plan, c)
    assert why == "" and "speak_dialogue" in [op.op for op in spoken.operators]
    bare = card("questions", {"question": ["q"], "answer": ["a"]})
    recs = [record(i, {"q": f"What is {i} plus one?", "a": str(i + 1)}, bare.dataset_id) for i in range(12)]
    plan, _ = design_plan(bare, recs)
    assert spoken_passage_plan(plan, bare) == (None, "the card maps no passage text to read aloud")
