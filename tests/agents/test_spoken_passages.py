"""A text skill over spoken inputs ("play a spoken post and ask whether it sounds positive or
negative"): the passage of a text dataset is read aloud by one voice and the listener gets the
recording instead of the text; a dialogue is spoken as one, a voice per speaker."""
from __future__ import annotations

from agents.operators import ItemContext, plan_apply
from agents.planner.synthesis import spoken_passage_plan
from agents.planner.transform import design_plan, dry_run
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


def test_two_answers_the_request_names_keep_their_records_and_make_a_choice_between_them():
    from agents.offline.constraints import binary_pair
    from agents.planner.variants import plan_for_asks

    c = card("posts", {"context": ["text"], "answer": ["label"]}, styles={"context": "post"})
    recs = [record(i, {"text": t, "label": a}, c.dataset_id) for i, (t, a) in enumerate(POSTS)]
    plan, _ = design_plan(c, recs)
    ask = binary_pair("ask whether the speaker sounds positive or negative")
    made, why, unserved = plan_for_asks(plan, c, recs, [ask])
    assert (why, unserved, made.answer_type) == ("", {}, "binary")
    assert made.operators[0].op == "keep_answers" and sorted(made.operators[0].params["answers"]) == [
        "negative", "positive"]
    # The posts' own question offers the neutral answer too: the item lists its two options instead.
    recs = [record(i, {"text": t, "label": a, "prompt": "Is the sentiment of this post positive, negative or "
                       "neutral?"}, c.dataset_id) for i, (t, a) in enumerate(POSTS)]
    c = card("posts", {"context": ["text"], "question": ["prompt"], "answer": ["label"]}, styles={"context": "post"})
    plan, _ = design_plan(c, recs)
    made, why, unserved = plan_for_asks(plan, c, recs, [ask])
    options, filtered = [], 0
    for i, rec in enumerate(recs):
        try:
            draft = plan_apply(made, rec, ItemContext(seed=0, item_key=f"k{i}", ordinal=i, dry_run=True))
            options.append(sorted(draft["options"]))
            assert draft["question"] == "Is the sentiment of this post positive or negative?"
        except Exception as exc:  # noqa: BLE001 - the neutral posts are filtered, nothing else fails
            assert type(exc).__name__ == "RecordFiltered" and "positive or negative" in str(exc)
            filtered += 1
    assert filtered == 4 and options == [["negative", "positive"]] * 8

    # Labels the answers do not have leave the ask unserved, with the answers there are.
    ask = binary_pair("judge whether the action is acceptable or wrong")
    made, why, unserved = plan_for_asks(plan, c, recs, [ask])
    assert made.answer_type != "binary" and unserved == {
        "format:binary": "its answers ('negative', 'neutral', 'positive') do not include 'acceptable' or 'wrong'"}


def test_a_question_listing_answers_the_options_do_not_have_lists_the_options_instead():
    from agents.operators.distractors import relist_options

    relations = ["AFTER", "BEFORE", "BEGINS", "DURING", "ENDS", "IBEFORE", "IDENTITY", "SIMULTANEOUS"]
    question = "Determine the relation. The possible relation types are: " + ", ".join(relations) + "."
    assert relist_options(question, relations, ["IDENTITY", "BEFORE", "ENDS"]) == (
        "Determine the relation. The possible relation types are: BEFORE, ENDS or IDENTITY.", ", ".join(relations))
    labels = ["negative", "neutral", "positive"]
    asked = "Is the sentiment of this post positive, negative or neutral?"
    assert relist_options(asked, labels, ["negative", "positive"]) == (
        "Is the sentiment of this post positive or negative?", "positive, negative or neutral")
    # Every label an option, two labels named, or no list: the question stays as it is.
    assert relist_options(asked, labels, ["neutral", "positive", "negative"]) == (asked, "")
    assert relist_options("Is it positive or negative?", labels, ["positive", "neutral"]) == (
        "Is it positive or negative?", "")
    assert relist_options("What is the sentiment?", labels, ["positive", "neutral"]) == ("What is the sentiment?", "")


def test_a_post_is_read_aloud_as_a_person_reads_it():
    from agents.operators import spoken_form

    assert spoken_form("@VirginAmerica so late again &amp; no word why http://t.co/x1 #CES2014 @pdx_commute") == (
        "Virgin America so late again & no word why CES2014 pdx commute")
    c = card("posts", {"context": ["text"], "answer": ["label"]}, styles={"context": "post"})
    recs = [record(i, {"text": f"@JetBlue {t} https://t.co/abc", "label": a}, c.dataset_id)
            for i, (t, a) in enumerate(POSTS)]
    plan, _ = design_plan(c, recs)
    spoken, _ = spoken_passage_plan(plan, c)
    draft = plan_apply(spoken, recs[0], ItemContext(seed=0, item_key="k", ordinal=0, dry_run=True))
    assert draft["speech"] == [("Q", f"Jet Blue {POSTS[0][0]}")]


def test_a_blank_in_a_spoken_question_is_said_not_skipped():
    from agents.operators import OPERATORS

    draft = {"question": "______ is a widespread coding mistake that lets an attacker overwrite memory."}
    OPERATORS["speak_text"](draft, None, {"field": "question"}, ItemContext(seed=0, item_key="k", ordinal=0,
                                                                             dry_run=True))
    assert draft["speech"] == [("Q", "blank is a widespread coding mistake that lets an attacker overwrite memory.")]
