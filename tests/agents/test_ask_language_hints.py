"""Asks that shape every item (issue 15): the language items must be in (measured on the records
with py3langid, kept per item by `keep_language`), "no textual hints" (`no_text_hints`: the text
shown never names the answer; no file keeps its metadata, test_media_hygiene.py), and requests that name only
a form ("a page image of a short printed passage") served by any dataset of that form."""
from __future__ import annotations

from agents.offline.planner import plan_offline
from agents.planner.asks import language_ask, no_textual_hints_ask
from agents.planner.coverage import plan_serves
from agents.planner.transform import design_plan, dry_run
from agents.planner.variants import language_plan, plan_for_asks
from agents.tools.language import profile
from agents.types import BuildRequest
from tests.agents.test_ask_operators import QUIZ, quiz_pool
from tests.agents.test_offline_engine import MemoryPool, card, record
from tests.agents.test_planner_loop import passage_pool

GERMAN = ("Welche Stadt ist die Hauptstadt von Deutschland und liegt an der Spree?", ["Berlin", "Hamburg", "Bonn"],
          "A")


def test_short_texts_are_read_pooled_and_long_ones_alone():
    assert profile(["Sea mammal", "Large cat", "Flying insect", "Musical instrument", "Sweet fruit"] * 4).describe() \
        == "en 100%"
    mixed = profile([q for q, _, _ in QUIZ] * 3 + [GERMAN[0]] * 3)
    assert (mixed.main(), mixed.describe()) == ("en", "en 75%, de 25%")


def test_a_language_the_records_are_in_is_served_by_a_step_that_keeps_only_that_language():
    c, recs = quiz_pool(QUIZ * 4)
    plan, _ = design_plan(c, recs)
    english = language_ask("en", name="English")
    kept, why = language_plan(plan, c, recs, english)
    assert why == "" and kept.operators[0].op == "keep_language"
    assert kept.operators[0].params == {"languages": ["en"], "paths": ["input.question", "input.options",
                                                                      "output.answer"], "serves": ["language:en"]}
    assert plan_serves(kept, [english], card=c) == ["language:en"]

    either = language_ask("en").model_copy(update={"key": "language:de-en", "params": {"language": "de",
                                                                                       "any_of": ["de", "en"]}})
    assert language_plan(plan, c, recs, either)[1] == ""
    assert language_plan(plan, c, recs, language_ask("de", name="German")) == (
        None, "its texts are in en 100%, not de")
    assert language_plan(plan, c, recs, language_ask("multi")) == (None, "its texts are in one language (en 100%)")


def test_keep_language_drops_a_record_in_another_language():
    c, recs = quiz_pool(QUIZ * 4 + [GERMAN])
    plan, _ = design_plan(c, recs)
    kept, why = language_plan(plan, c, recs, language_ask("en", name="English"))
    run = dry_run(kept, recs)
    assert (run.usable, run.checked) == (12, 13)
    assert list(run.failures) == ["step 1 (keep_language): its text is in de, not en"]


def test_the_text_shown_never_names_the_answer():
    c, recs = quiz_pool(QUIZ * 4 + [("Which ocean is the Pacific Ocean?", ["Pacific", "Arctic", "Indian"], "A")])
    plan, _ = design_plan(c, recs)
    hints = no_textual_hints_ask(evidence=["no hints"])
    hinted, why, unserved = plan_for_asks(plan, c, recs, [hints])
    assert (why, unserved, hinted.operators[-1].op) == ("", {}, "no_text_hints")
    assert plan_serves(hinted, [hints], card=c) == ["no_textual_hints"]
    run = dry_run(hinted, recs)
    assert (run.usable, list(run.failures)) == (12, ["step 5 (no_text_hints): the text shown names the answer "
                                                      "(pacific)"])



def test_a_request_that_names_only_a_form_is_served_by_any_passage_and_not_by_clues():
    """"A page image of a short printed passage and a question about it" names no topic: any text
    dataset with passages fits the rendered page; one whose 'passage' is a one-word clue does not."""
    news, news_records = passage_pool(6)
    clues = card("word-clues", {"context": ["clue"], "question": ["q"], "answer": ["word"]}, name="Word clues",
                 description="Short clues for words, as in a crossword: guess the word.",
                 styles={"context": "definition"})
    clue_records = [record(100 + i, {"clue": f"Clue {i}", "q": "Which word is it?", "word": f"word{i}"},
                           clues.dataset_id) for i in range(6)]
    request = BuildRequest(text="OCR-style reading test: the model sees a page image of a short printed passage and "
                                "answers a question about it; the passage is given only as the image, never as text.",
                           target_size=6)
    result = plan_offline(request, MemoryPool([(news, news_records), (clues, clue_records)]))

    assert result.end_state == "ok", result.reason
    (subtask,) = result.subtasks
    assert [(g.dataset_slug, g.synthesis) for g in subtask.groundings] == [("news-qa", "render")]
    candidates = {(c["dataset"], c["synthesis"]): c for s in result.trace if s["step"] == "grounding"
                  for c in s["candidates"]}
    assert candidates[("news-qa", "render")]["relevance_to"] == "form (the request names no topic)"
    assert candidates[("word-clues", "render")]["rejected"] == "the request asks to read a passage; its records have none"


def test_a_skill_defined_by_its_questions_takes_only_records_that_ask_them():
    """Counterfactual reasoning is a form of question: causal records that ask for the actual cause
    do not serve it, whatever their card shares with the request; records that ask what would have
    happened otherwise do."""
    from tests.agents.test_offline_engine import causal_pool

    causal, causal_records = causal_pool(20)
    what_if = card("what-if", {"question": ["input.question"], "options": ["input.options"],
                               "answer": ["output.answer"]}, name="What if",
                   description="Everyday events and what would have happened had their cause been different.")
    what_if_records = [record(500 + i, {"input": {"question": f"Tom dropped glass {i}. What would have happened if he "
                                                              "had not dropped it?",
                                                  "options": [f"glass {i} stays whole", f"glass {i} breaks"]},
                                        "output": {"answer": "A"}}, what_if.dataset_id) for i in range(20)]
    request = BuildRequest(text="Counterfactual reasoning: what would have happened if the cause of an everyday "
                                "event had not occurred?", target_size=10)

    alone = plan_offline(request, MemoryPool([(causal, causal_records)]))
    assert alone.end_state in ("partial", "ungroundable")
    assert [c.status for c in alone.coverage if c.key == "capability:counterfactual-reasoning"] == ["not_served"]
    rejected = {c["dataset"]: c.get("rejected", "") for s in alone.trace if s["step"] == "grounding"
                and s.get("subtask") == "counterfactual-reasoning" for c in s["candidates"]}
    assert rejected["causal"] == ("its records do not ask what would have happened had something been different: "
                                  "0 of 20 do (counterfactual reasoning needs at least 50%)")

    both = plan_offline(request, MemoryPool([(causal, causal_records), (what_if, what_if_records)]))
    served = {s.key: [g.dataset_slug for g in s.groundings] for s in both.subtasks}
    assert served["counterfactual-reasoning"] == ["what-if"]


def test_a_field_that_names_each_records_language_decides_it_where_the_text_cannot():
    """One spoken letter per record ("A", "CH"): too short to tell its language, but the record says
    it ("input.language": "French"); the plan keeps the records whose field names a language asked."""
    c = card("spoken-letters", {"question": ["q"], "answer": ["a"], "other_aux": ["input.language"]},
             name="Spoken letters", description="Which letter a native speaker says.")
    languages = ["English", "British English", "French", "German"] * 5
    recs = [record(i, {"q": "Which letter is spoken?", "a": "ABCDEFGHIJKLMNOPQRST"[i],
                       "input": {"language": language}}, c.dataset_id) for i, language in enumerate(languages)]
    plan, _ = design_plan(c, recs)
    french_or_german = language_ask("fr").model_copy(update={"key": "language:fr-de", "params": {
        "language": "fr", "any_of": ["fr", "de"]}})
    kept, why = language_plan(plan, c, recs, french_or_german)
    assert why == "" and kept.operators[0].params == {"languages": ["fr", "de"], "field": "input.language",
                                                      "serves": ["language:fr-de"]}
    run = dry_run(kept, recs)
    assert (run.usable, run.filtered) == (10, 10)
    assert language_plan(plan, c, recs, language_ask("es", name="Spanish")) == (
        None, "its language field names en 50%, fr 25%, de 25%, not es")
    assert language_plan(plan, c, recs, language_ask("multi"))[1] == ""
