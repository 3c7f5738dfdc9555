"""Relation lists as items: a record whose answer lists how the people of a conversation are related
("(Speaker 1 (PER) => per:siblings => Ross (PER)") gives an item asking how two of them are related,
with options that cannot hold beside the key; a request about relations in conversations is
planned from such a dataset as one skill within the other."""
from __future__ import annotations

from agents.offline.planner import plan_offline
from agents.operators import ItemContext, plan_apply
from agents.planner.transform import design_plan, dry_run
from agents.types import BuildRequest
from tests.agents.test_offline_engine import MemoryPool, card, record

DIALOGUE = ("Speaker 1: Ross, you have to help me move this couch.\nSpeaker 2: Why me? Call your husband.\n"
            "Speaker 1: Chandler is at work, and you are my brother.\nSpeaker 3: I'll help too, Monica.")
RELATIONS = ("(Speaker 1 (PER) => per:alternate_names => Monica (PER) (Speaker 1 (PER) => per:siblings => "
             "Speaker 2 (PER) (Speaker 1 (PER) => per:spouse => Chandler (PER) (Speaker 2 (PER) => per:friends => "
             "Speaker 1 (PER)")
NAMES_ONLY = "(Speaker 1 (PER) => per:alternate_names => Monica (PER) (Speaker 2 (PER) => per:title => chef (STRING)"


def relation_pool(n: int = 12):
    c = card("dialogue-relations", {"context": ["input.raw_text"], "dialog": ["input.raw_text"],
                                    "question": ["input.prompt"], "answer": ["output.text"]},
             name="Dialogue relation extraction",
             description="Multi-speaker dialogues where the task is to extract the interpersonal relations between "
                         "the speakers and the people they mention (siblings, spouses, friends).")
    c.fields["answer"].style = "structured"
    c.fields["question"].style = "instruction"
    recs = [record(i, {"input": {"raw_text": DIALOGUE, "prompt": "<<<raw_text>>>. Extract all relations."},
                       "output": {"text": RELATIONS if i % 3 else NAMES_ONLY}}, c.dataset_id) for i in range(n)]
    return c, recs


def test_a_relation_list_gives_items_asking_how_two_people_are_related_with_exclusive_options():
    c, recs = relation_pool()
    plan, why = design_plan(c, recs)
    assert why == "" and plan.template == "relation_choices"
    assert [op.op for op in plan.operators] == ["read_text", "relation_choices", "balance_positions"]
    run = dry_run(plan, recs)
    assert (run.usable, run.checked, run.filtered) == (8, 8, 4)  # a list of names and titles asks nothing

    items = {}
    for seed in range(30):
        draft = plan_apply(plan, recs[1], ItemContext(seed=seed, item_key=f"k{seed}", ordinal=seed))
        items[draft["question"]] = (draft["options"][draft["answer_index"]], sorted(draft["options"]))
    # Speaker 1 and Speaker 2 are siblings and friends: "friends" is listed for the pair, so it is
    # never a wrong option, and a spouse or a parent cannot be a sibling too.
    assert items == {
        "In the conversation above, how are Speaker 1 and Speaker 2 related?": (
            "They are siblings.", ["One is the other's parent.", "They are dating (girlfriend and boyfriend).",
                                   "They are married to each other.", "They are siblings."]),
        "In the conversation above, how are Speaker 1 and Chandler related?": (
            "They are married to each other.", ["One is the other's parent.", "They are married to each other.",
                                                "They are siblings."])}


def test_a_request_about_relations_in_conversations_is_served_by_the_relation_dataset():
    c, recs = relation_pool(30)
    result = plan_offline(BuildRequest(text="Can a model work out how the people in a conversation are related to "
                                            "each other, just from what they say?", target_size=6),
                          MemoryPool([(c, recs)]))
    assert result.end_state == "ok"
    assert [(cov.key, cov.status, cov.datasets) for cov in result.coverage] == [
        ("capability:dialogue-understanding", "served", ["dialogue-relations"]),
        ("capability:relation-extraction", "served", ["dialogue-relations"])]


def test_relation_items_are_not_spoken_the_speakers_labels_are_not_in_a_recording():
    from agents.planner.synthesis import speech_plan

    c, recs = relation_pool()
    plan, _ = design_plan(c, recs)
    assert speech_plan(plan, c) == (
        None, "its questions name the speakers by the transcript's labels, which a recording does not say")
