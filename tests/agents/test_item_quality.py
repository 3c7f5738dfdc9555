"""Items an expert accepts (issue 16): distractors of the key's kind and section, close in meaning but
never a restatement of it; records of the sections a request names; extractive items whose
distractors stand in the passage too; options that are words, not data; questions that say what
they ask; near-duplicates told apart from short distinct posts."""
from __future__ import annotations

from agents.executor.dedup import DuplicateIndex
from agents.executor.toolbox import ToolBox
from agents.executor.verify import verify
from agents.operators import ItemContext, OperatorError, is_raw_structure, plan_apply
from agents.operators.distractors import answer_kind, duration_seconds, is_paraphrase, passage_spans
from agents.planner.transform import design_plan, label_noun, semantics_noun
from agents.operators.asked import question_form
from agents.operators.screen import screen_record
from agents.planner.sections import named_forms, named_sections
from agents.planner.variants import plan_for_asks
from agents.tools.embedding import default_embedder
from agents.types import FieldSpec, SampleDraft
from tests.agents.test_offline_engine import NoMediaTools, NullLedger, card, record

ANALOGIES = [  # (question, answer, category): a sorted upload, one section after another
    *[(f"{a} is to {b} as {c} is to what?", d, "capital-world") for a, b, c, d in [
        ("Paris", "France", "Tokyo", "Japan"), ("Rome", "Italy", "Cairo", "Egypt"), ("Lima", "Peru", "Oslo", "Norway"),
        ("Berlin", "Germany", "Madrid", "Spain"), ("Athens", "Greece", "Havana", "Cuba"),
        ("Dublin", "Ireland", "Ankara", "Turkey"), ("Hanoi", "Vietnam", "Nairobi", "Kenya"),
        ("Quito", "Ecuador", "Warsaw", "Poland")]],
    *[(f"{a} is to {b} as {c} is to what?", d, "gram8-plural") for a, b, c, d in [
        ("cat", "cats", "dog", "dogs"), ("banana", "bananas", "apple", "apples"), ("bird", "birds", "horse", "horses"),
        ("car", "cars", "house", "houses"), ("eye", "eyes", "hand", "hands"), ("pig", "pigs", "goat", "goats"),
        ("road", "roads", "river", "rivers"), ("tree", "trees", "rock", "rocks")]],
    *[(f"{a} is to {b} as {c} is to what?", d, "city-in-state") for a, b, c, d in [
        ("Chicago", "Illinois", "Miami", "Florida"), ("Houston", "Texas", "Denver", "Colorado"),
        ("Boston", "Massachusetts", "Seattle", "Washington"), ("Phoenix", "Arizona", "Detroit", "Michigan"),
        ("Dallas", "Texas", "Tampa", "Florida"), ("Reno", "Nevada", "Akron", "Ohio")]],
]


def _analogies():
    c = card("analogies", {"question": ["question"], "answer": ["answer"]})
    return c, [record(i, {"question": q, "answer": a, "category": s}, c.dataset_id) for i, (q, a, s) in
               enumerate(ANALOGIES)]


def _made(plan, rec, ordinal, *, tools=None):
    return plan_apply(plan, rec, ItemContext(seed=0, item_key=f"k{ordinal}", ordinal=ordinal, tools=tools))


def test_distractors_come_from_the_keys_section_and_kind_ranked_by_meaning():
    c, recs = _analogies()
    plan, why = design_plan(c, recs)
    assert (plan.template, why) == ("answer_bank_choices", "")
    (step,) = [op for op in plan.operators if op.op == "distractors_from_bank"]
    assert step.params["section_paths"] == ["category"]
    box = ToolBox(NoMediaTools(), NullLedger(), default_embedder())
    sections = {a: s for _, a, s in ANALOGIES}
    for i, rec in enumerate(recs):
        draft = _made(plan, rec, i, tools=box)
        key = draft["options"][draft["answer_index"]]
        # Every option of the key's section: countries with a country, plurals with a plural.
        assert {sections[o] for o in draft["options"]} == {rec.payload["category"]}, draft["options"]
        assert len(draft["options"]) == 4 and key == rec.payload["answer"]


def test_answer_kinds_and_restatements():
    assert answer_kind("1,250") == {"form": "number", "script": "NONE", "case": "", "length": "4 digits", "plural": "",
                                    "lead": "", "numeral": "digits"}
    assert answer_kind("five")["form"] == "number word"
    assert answer_kind("quarter past six")["form"] == "time"
    assert answer_kind("Buenos Aires") == {"form": "text", "script": "LATIN", "case": "proper", "length": "2-3 words",
                                           "plural": "", "lead": "", "numeral": ""}
    assert [answer_kind(a)["numeral"] for a in ("3 days", "two weeks", "a few days")] == ["digits", "words", ""]
    # How a phrase opens says what it answers: a "why" key is not the one reason among noun phrases.
    assert [answer_kind(a)["lead"] for a in ("because her mother transmitted the virus to her",
                                             "in order to ensure universal access to treatment",
                                             "through sexual intercourse", "he defines it as surreal",
                                             "not really, because medications do not help", "Down's syndrome",
                                             "To", "family planning")] == [
        "reason", "reason", "means", "clause", "polar", "", "", ""]
    assert [answer_kind(w)["plural"] for w in ("cupboards", "freezer", "glass", "bananas", "berries")] == [
        "yes", "no", "no", "yes", "yes"]
    assert answer_kind("Ä")["length"] == "1 char" and answer_kind("Ж")["script"] == "CYRILLIC"
    assert is_paraphrase("quarter", "quarter past") and is_paraphrase("Quarter past.", "quarter")
    assert not is_paraphrase("quarter to", "quarter past")


def test_durations_are_read_with_their_unit_and_bare_units_are_labels():
    assert [duration_seconds(t) for t in ("about 20 minutes", "seven-day", "two weeks ago", "3 hrs", "decade-long",
                                          "three more days", "roughly twenty-five minutes")] == [
        1200, 604800, 1209600, 10800, 315576000, 259200, 1500]
    assert [duration_seconds(t) for t in ("day", "night", "ten AM", "12:00 AM", "42", "Monday")] == [None] * 6


def test_a_duration_the_text_does_not_state_gets_no_near_duration_as_a_distractor():
    # A masked span of a dialogue: "two days" fits the blank as well as "three days"; a week or an hour does not.
    durations = ["three days", "two days", "5 days", "an hour", "about 1 hour", "60 minutes", "two weeks",
                 "three months", "ten years", "about 4 days", "a day"]
    c = card("spans", {"question": ["question"], "answer": ["answer"], "context": ["dialogue"]})
    recs = [record(i, {"dialogue": f"A: The coupon is past due in <MASK>, number {i}. B: Then we go now.",
                       "question": "Which expression best fills <MASK>?", "answer": d}, c.dataset_id)
            for i, d in enumerate(durations)]
    plan, why = design_plan(c, recs)
    box = ToolBox(NoMediaTools(), NullLedger(), default_embedder())
    for ordinal in range(4):
        draft = _made(plan, recs[0], ordinal, tools=box)
        distractors = set(draft["options"]) - {"three days"}
        assert len(distractors) == 3 and not distractors & {"two days", "5 days", "about 4 days", "a day"}, distractors
        # One duration in two wordings is one option: at most one of an hour, about 1 hour, 60 minutes.
        assert len(distractors & {"an hour", "about 1 hour", "60 minutes"}) <= 1, distractors


def test_a_key_quoted_from_its_passage_gets_distractors_quoted_from_it_too():
    passage = ("Jose Abreu spoke about music. The London Times mentioned five orchestras and three choirs in "
               "Venezuela, paid for with money from oil.")
    assert passage_spans(passage, "five", ["five"]) == ["three"]
    spans = passage_spans(passage, "money", ["money"])
    assert "oil" in spans and "music" in spans and all("money" not in s for s in spans)
    # A name gets names; the capital of a sentence's first word makes it no name.
    assert passage_spans(passage, "Venezuela", ["Venezuela"]) == ["Abreu", "London", "Times", "London Times"]
    assert passage_spans(passage, "a country far away from here", ["x"]) == []  # no span of a sentence


def test_the_sections_a_request_names_keep_their_records_only():
    c, recs = _analogies()
    text = ("A word-analogy test such as 'Paris is to France as Tokyo is to ...': cover capitals of the world and "
            "grammatical plurals.")
    assert named_sections(recs, c, text) == {"category": ["capital-world", "gram8-plural"]}
    # An example the request quotes names nothing; a request naming every section filters none.
    assert named_sections(recs, c, "Analogies like 'Chicago is to Illinois as Miami is to Florida'.") == {}
    assert named_sections(recs, c, "Capitals, plurals and cities in a state.") == {}
    plan, _ = design_plan(c, recs)
    kept, why, unserved = plan_for_asks(plan, c, recs, [], request_text=text)
    assert (kept.operators[0].op, kept.operators[0].params, why) == (
        "keep_sections", {"sections": {"category": ["capital-world", "gram8-plural"]}}, "")
    made = []
    for i, rec in enumerate(recs):
        try:
            made.append(_made(kept, rec, i)["accepted_answers"][0])
        except OperatorError as exc:
            assert type(exc).__name__ == "RecordFiltered" and "the request asks for capital-world, gram8-plural" in str(exc)
    assert len(made) == 16 and "Florida" not in made


PROBLEMS = [  # (question, answer): clock faces beside schedules and prices, as a word-problem VQA set mixes them
    ("What time is shown? It is (_) past six. Choices: half, quarter, o'clock.", "quarter"),
    ("What time is shown? It is twelve (_). Choices: half, quarter, o'clock.", "o'clock"),
    ("What time is shown? It is (_) after eight. Choices: half, quarter, o'clock.", "half"),
    ("Look at the following schedule. Which class begins at 11.50 A.M.?", "children's class"),
    ("Tanner has $35. Does he have enough to buy a jacket and shorts?", "no"),
    ("Erica has $1,525.00. Does she have enough to buy a canoe?", "yes"),
    ("Look at the following schedule. When does the ferry leave Oslo?", "9:15"),
]


def test_the_question_forms_a_request_names_keep_their_records_only():
    assert question_form("Tanner has $35. Does he have enough?") == question_form("Erica has $1,525.00. Does she?")
    assert question_form("Look at the following schedule. Which class?") == "look at the following schedule"
    # The source screen's mending ("who stand in the field" -> "Who stand in the field?") keeps the form.
    assert question_form("who stand in the field") == question_form("Who stand in the field?")
    c = card("word-problems", {"question": ["question"], "answer": ["answer"]})
    recs = [record(i, {"question": q, "answer": a}, c.dataset_id) for i, (q, a) in enumerate(PROBLEMS)]
    text = "Can a vision model read the time on an analogue clock face and say it in words?"
    assert named_forms(recs, "question", text) == ["what time is shown"]
    assert named_forms(recs, "question", "Can a model read a schedule?") == ["look at the following schedule"]
    # A word every form has or a word of the item's medium names no part; a word of one form that
    # questions of another form also say names none either.
    assert named_forms(recs, "question", "Word problems: what is shown in the picture?") == []
    assert named_forms(recs, "question", "Times and schedules in one test") == [
        "look at the following schedule", "what time is shown"]
    # Only the question proper names a form, not its choices ("o'clock").
    assert named_forms(recs, "question", "Does the model know what o'clock means?") == []
    timetable = record(99, {"question": "Look at the following schedule. At what time does the bus leave?",
                            "answer": "noon"}, c.dataset_id)
    assert named_forms(recs, "question", "Can a model tell the time?") == ["what time is shown"]
    assert named_forms([*recs, timetable], "question", "Can a model tell the time?") == []
    plan, _ = design_plan(c, recs)
    kept, why, _ = plan_for_asks(plan, c, recs, [], request_text=text)
    assert (kept.operators[0].op, kept.operators[0].params, why) == (
        "keep_forms", {"path": "question", "forms": ["what time is shown"]}, "")
    made, filtered = [], []
    for i, rec in enumerate(recs):
        try:
            made.append(_made(kept, rec, i)["accepted_answers"][0])
        except OperatorError as exc:
            filtered.append(type(exc).__name__)
    assert sorted(made) == ["half", "o'clock", "quarter"] and filtered == ["RecordFiltered"] * 4


def test_question_forms_are_taken_from_the_questions_as_the_source_screen_leaves_them():
    # The screen mends "What do a group of people ..." into "What does ...": a plan keeping the form
    # of the raw text kept no record at all (an art VQA set ended ungroundable on "0 of 0 records").
    c = card("art-vqa", {"question": ["question"], "answer": ["answer"]})
    rows = [("What do a group of people hold?", "flags"), ("What do a group of people hold?", "oars"),
            ("What do a group of people watch?", "a ship"), ("What do a group of people watch?", "a dance"),
            ("What colour is the sky?", "grey"), ("What colour is the sky?", "blue"),
            ("What colour is the horse?", "white"), ("What colour is the horse?", "brown"),
            ("Which animal is in the field?", "cow"), ("Which animal is in the field?", "sheep")]
    recs = [record(i, {"question": q, "answer": a}, c.dataset_id) for i, (q, a) in enumerate(rows)]
    plan, _ = design_plan(c, recs)
    kept, why, _ = plan_for_asks(plan, c, recs, [], request_text="Ask what the people in a painting are doing.")
    assert (kept.operators[0].op, kept.operators[0].params["forms"], why) == (
        "keep_forms", ["what does a group of people hold", "what does a group of people watch"], "")
    made = []
    for i, rec in enumerate(recs):
        try:
            made.append(_made(kept, screen_record(kept, rec, media=False).record, i)["accepted_answers"][0])
        except OperatorError:
            continue
    assert sorted(made) == ["a dance", "a ship", "flags", "oars"]


def test_a_request_asking_how_long_keeps_the_records_whose_answer_is_a_duration():
    from agents.planner.sections import names_durations

    c = card("time-dialogues", {"context": ["dialog"], "answer": ["answer"]}, styles={"context": "dialog"})
    answers = [["about 20 minutes", "twenty minutes"], ["two years", "24 months"], ["3 days", "three days"],
               ["2 o'clock", "two o'clock", "1400 hours", "2 PM"], ["the fourth Thursday of November"],
               ["one week", "7 days"]] * 2
    recs = [record(i, {"dialog": f"A: When? B: In <MASK>, {i}.", "answer": a}, c.dataset_id)
            for i, a in enumerate(answers)]
    text = "In everyday chat conversations, can a model work out how long something mentioned takes?"
    assert names_durations(recs, "answer", text) is True
    assert names_durations(recs, "answer", "Can a model reason about time in chats?") is False
    assert names_durations(recs, "answer", "Time in chats: how long things take, when a meeting is?") is False
    plan, _ = design_plan(c, recs)
    kept, why, _ = plan_for_asks(plan, c, recs, [], request_text=text)
    assert (kept.operators[0].op, kept.operators[0].params, why) == ("keep_durations", {"path": "answer"}, "")
    made, filtered = [], 0
    for i, rec in enumerate(recs):
        try:
            made.append(_made(kept, rec, i)["accepted_answers"][0])
        except OperatorError as exc:
            assert type(exc).__name__ == "RecordFiltered" and "is not a duration" in str(exc)
            filtered += 1
    # "1400 hours" is one wording of a time of day, not a duration: most wordings decide.
    assert filtered == 4 and sorted(set(made)) == ["3 days", "about 20 minutes", "one week", "two years"]


def _draft(options, answer_index=0, **extra):
    return SampleDraft(item_key="k", subtask_key="s", grounding_id=1, record_id=1, source_id="r",
                       question=extra.pop("question", "What time is it?"), options=options, answer_index=answer_index,
                       answer=options[answer_index], accepted_answers=[options[answer_index]], **extra)


def test_options_that_are_data_or_restate_the_key_fail_the_checks():
    coref = ['["RESIGNS", 188, 7, "endposition"] -> ["said", 692, 4, "broadcast"]', "another pair"]
    assert is_raw_structure(coref[0]) and not is_raw_structure("[citation needed] text")
    checked = verify(_draft(coref), modalities=["text"], tools=NoMediaTools(), ledger=NullLedger())
    assert checked.rejected_reasons == [f"schema: option {coref[0][:60]!r} is raw structured data, not an answer a "
                                        "person reads"]
    checked = verify(_draft(["quarter", "quarter past", "half"]), modalities=["text"], tools=NoMediaTools(),
                     ledger=NullLedger())
    assert checked.rejected_reasons == ["one_correct_option: option 'quarter past' restates the key 'quarter' (one "
                                        "holds the other's words)"]


def test_a_cloze_item_whose_text_also_holds_the_answer_is_a_leak():
    # The source gave the dialogue twice, once with the blank and once without it.
    dialogue = ("We have been shopping for furniture for <MASK>! I'm so tired. Pick me up in about an hour. "
                "We have been shopping for furniture for five hours! I'm so tired.")
    options = ["five hours", "an hour", "two days", "three weeks"]  # "an hour" stands in the text too
    leaked = verify(_draft(options, question="Which expression best fills <MASK> in the text above?",
                           context=dialogue), modalities=["text"], tools=NoMediaTools(), ledger=NullLedger())
    assert leaked.rejected_reasons == ["answer_leakage: the answer the blank hides is written elsewhere in the text"]
    kept = verify(_draft(options, question="Which expression best fills <MASK> in the text above?",
                         context=dialogue.split(" We have")[0]), modalities=["text"], tools=NoMediaTools(),
                  ledger=NullLedger())
    assert kept.rejected_reasons == []


def test_template_questions_say_what_the_label_is():
    digits = card("handwritten-digits", {"image": ["file"], "answer": ["label"]}, modalities=("image", "text"))
    assert label_noun(digits, "label", items_named=True) == "handwritten digit"
    assert label_noun(card("Fashion-MNIST", {}), "label", items_named=True) == ""
    traits = card("ethics", {"context": ["input.question"], "options": ["input.options"], "answer": ["output.answer"]})
    traits.fields["options"] = FieldSpec(paths=["input.options"], semantics=(
        "A list of candidate answer phrases, typically adjectives that describe character traits or moral "
        "evaluations (e.g., dishonest, generous)."))
    assert semantics_noun(traits) == "character trait"
    recs = [record(i, {"input": {"question": f"Tina gave her lunch to a friend, day {i}.",
                                 "options": ["generous", "greedy", "rude"]}, "output": {"answer": "A"}},
                   traits.dataset_id) for i in range(4)]
    plan, _ = design_plan(traits, recs)
    assert _made(plan, recs[0], 0)["question"] == "Which character trait fits the text above?"


def test_short_distinct_posts_under_one_question_are_not_near_duplicates():
    index = DuplicateIndex(default_embedder())

    def post(text, question="What is the sentiment of this post?"):
        return _draft(["positive", "negative"], question=question, context=text)

    first = post("Thank you :)")
    index.add("first", index.fingerprint(first))
    assert index.check(post("thank you for the mention."), index.fingerprint(post("thank you for the mention."))).ok
    assert index.check(post("Who wrote it?"), index.fingerprint(post("Thank you :)", "Who wrote it?"))).ok
    again = index.check(post("Thank you :)"), index.fingerprint(post("Thank you :)")))
    assert (again.ok, again.detail) == (False, "near-duplicate of first (question cosine 1.000, passage cosine "
                                               "1.000; threshold 0.97)")


def test_a_key_sharing_its_root_with_the_question_alone_is_a_leak():
    analogy = _draft(["goats", "cats", "birds", "horses"], 1, question="banana is to bananas as cat is to what?")
    checked = verify(analogy, modalities=["text"], tools=NoMediaTools(), ledger=NullLedger())
    assert checked.rejected_reasons == ["answer_leakage: the key's word 'cats' shares its root with a word of the "
                                        "question; no other option's does"]
    # Distractors of the same root make the root no giveaway: the relation decides.
    same_root = _draft(["swims", "swimming", "decreased", "swam"], question="decrease is to decreases as swim is to what?")
    assert verify(same_root, modalities=["text"], tools=NoMediaTools(), ledger=NullLedger()).status == "ok"
    # A key built on a word of the clue: a compound of it, or the one who does it.
    for options, clue, word in ((["snail", "octopus", "shellfish", "frog"], "Water animal that has a shell", "shellfish"),
                                (["scientist", "engineer", "farmer", "banker"], "Expert in an area of science",
                                 "scientist")):
        clued = _draft(options, options.index(word), question=f'Which word does this clue describe: "{clue}"?')
        assert verify(clued, modalities=["text"], tools=NoMediaTools(), ledger=NullLedger()).rejected_reasons == [
            f"answer_leakage: the key's word {word!r} shares its root with a word of the question; no other option's does"]


def test_a_letter_named_as_the_answer_or_a_key_copied_with_small_changes_is_a_leak():
    def reasons(options, index=0, **extra):
        item = _draft(options, index, **extra)
        return verify(item, modalities=["text"], tools=NoMediaTools(), ledger=NullLedger()).rejected_reasons

    options = ["He walked his dog in the park", "He sold his car to a friend", "He cooked dinner for two"]
    assert reasons(options, question="What did he do yesterday?", context="The answer is A.") == [
        "answer_leakage: the text names a letter as the answer ('The answer is A')"]
    assert reasons(options, question="What did he do yesterday? Answer: B", context="") == [
        "answer_leakage: the text names a letter as the answer ('Answer: B')"]
    assert reasons(options, question="What did he do yesterday?",
                   context="Yesterday he walked the dog in the park before work.") == [
        "answer_leakage: the key is written in the question or context with small changes; no other option is"]
    # A passage that holds every option near-verbatim (extractive reading) gives none away; a choice
    # named in passing is no answer.
    assert reasons(options, question="What did he do yesterday?",
                   context="He walked his dog in the park, then he sold his car to a friend and cooked dinner "
                           "for two. He chose option A for the exam.") == []


def test_a_key_written_in_the_picture_is_a_leak(tmp_path):
    from agents.tools.media import LocalTools

    tools = LocalTools(media_root=tmp_path)
    badge = tools.render_text("ALFA ROMEO")  # a logo that spells its brand
    item = _draft(["Alfa Romeo", "Fiat", "Lancia", "Ferrari"], question="Which car brand is this?", media=[badge])
    ledger = NullLedger()
    checked = verify(item, modalities=["image", "text"], tools=tools, ledger=ledger)
    assert checked.rejected_reasons == ["answer_in_image: the image shows the key 'Alfa Romeo' in writing (OCR read "
                                        "'alfa romeo'), and no other option"]
    assert ledger.tool_calls[-1]["tool"] == "ocr" and ledger.tool_calls[-1]["detail"]["purpose"] == "answer_in_image"
    # Noisy past what OCR reads, the badge still spells the brand: the check reads it as the record gave it.
    blurred = tools.degrade_image(badge.abs_path, "noise", 5, seed="k")
    item = _draft(["Alfa Romeo", "Fiat", "Lancia", "Ferrari"], question="Which car brand is this?", media=[blurred])
    assert verify(item, modalities=["image", "text"], tools=tools, ledger=ledger).status == "ok"
    item = item.model_copy(update={"image_clean": badge})
    assert verify(item, modalities=["image", "text"], tools=tools, ledger=ledger).rejected_reasons == [
        "answer_in_image: the image shows the key 'Alfa Romeo' in writing (OCR read 'alfa romeo'), and no other option"]


def test_a_brand_read_with_one_letter_mistaken_is_still_written_in_the_picture(tmp_path):
    """A logo's letters are read with one mistaken (GMC's G as C): a single-word key one letter
    from a word OCR reads is written there, unless a distractor is as close."""
    from agents.tools.media import LocalTools

    tools = LocalTools(media_root=tmp_path)
    badge = tools.render_text("CMC")
    item = _draft(["GMC", "BMW", "Ford", "Audi"], question="Which car brand is this?", media=[badge])
    assert verify(item, modalities=["image", "text"], tools=tools, ledger=NullLedger()).rejected_reasons == [
        "answer_in_image: the image shows the key 'GMC' in writing (OCR read 'cmc'), and no other option"]
    item = _draft(["GMC", "CMA", "Ford", "Audi"], question="Which car brand is this?", media=[badge])
    assert verify(item, modalities=["image", "text"], tools=tools, ledger=NullLedger()).status == "ok"


def test_one_picture_recoloured_is_the_same_picture_to_the_duplicate_check(tmp_path):
    import numpy as np
    from PIL import Image

    from agents.executor.dedup import exact_key, look
    from agents.types import MediaRef

    y, x = np.mgrid[0:96, 0:96]
    ring = ((np.hypot(x - 48, y - 48) < 40) & (np.hypot(x - 48, y - 48) > 25)) | ((x > 40) & (x < 56) & (y > 20))
    badge = np.stack([np.where(ring, 200, 30)] * 3, axis=-1)
    recoloured = badge * np.array([0.7, 0.9, 1.2]) + 10  # another tint of the same crop
    other = np.stack([np.where((x + y) % 40 < 20, 220, 20)] * 3, axis=-1)
    refs = []
    for name, pixels in (("badge.png", badge), ("recoloured.png", np.clip(recoloured, 0, 255)), ("other.png", other)):
        Image.fromarray(pixels.astype(np.uint8)).save(tmp_path / name)
        refs.append(MediaRef(path="file", file=name, abs_path=str(tmp_path / name), kind="image",
                             sha256=name))  # the bytes differ
    drafts = [_draft(["Tesla", "BMW"], question="Which brand is this?", media=[ref]) for ref in refs]
    keys = [exact_key(d) for d in drafts]
    assert keys[0] == keys[1] != keys[2]
    # A sepia print of the same crop: its hash differs in a few bits only, which the run's index tells.
    sepia = np.clip(badge * np.array([1.0, 0.85, 0.6]) + np.where(badge > 100, 0, 40), 0, 255)
    Image.fromarray(sepia.astype(np.uint8)).save(tmp_path / "sepia.png")
    sepia_draft = _draft(["Tesla", "BMW"], question="Which brand is this?", media=[
        MediaRef(path="file", file="sepia.png", abs_path=str(tmp_path / "sepia.png"), kind="image", sha256="sepia")])
    index = DuplicateIndex(None)
    index.add("first", [], keys[0], look(drafts[0]))
    check = index.check(sepia_draft, [], look(sepia_draft))
    assert not check.ok and check.detail.startswith("asks the same question")
    assert index.check(drafts[2], [], look(drafts[2])).ok
    # One file asked about in other words for the same answer ("What do they sit on?", "Where do they
    # sit?": "field") is one item; the same file with another answer, or another file, is another.
    reworded = drafts[0].model_copy(update={"question": "What brand made this car?"})
    check = index.check(reworded, [], look(reworded))
    assert (check.ok, check.detail) == (False, "asks about the same picture as first, for the same answer, in "
                                               "other words")
    other_answer = _draft(["BMW", "Tesla"], question="What brand made this car?", media=[refs[0]])
    assert index.check(other_answer, [], look(other_answer)).ok
    other_file = drafts[2].model_copy(update={"question": "What brand made this car?"})
    assert index.check(other_file, [], look(other_file)).ok


CHATS = [  # (the conversation so far, the reply that continues it)
    ("What about the sports section? What were the scores from last night's games?",
     "Here's the paper. You can read the scores yourself."),
    ("Caterpillar fungus?! What's that?", "It's a special type of Chinese herb. It's really good for you!"),
    ("If we leave early, do you think we will have time for the old palace?",
     "I think we should. We can visit it in the afternoon if you'd like."),
    ("You should narrow your topic down.", "What if I focus on water pollution instead of pollution in general?"),
    ("Your English skills are really impressive.", "Thanks a lot."),
    ("Here is your change, sir.", "Thanks so much."),
    ("Could you make the bed for me?", "Certainly, sir."),
    ("I finally found a new job, and I like it even more than my last.", "See? Every cloud has a silver lining."),
    ("Shall we meet at the station at six?", "Six is fine. I'll wait by the ticket machines."),
]


def test_a_conversation_continues_with_one_reply_formulas_key_nothing_and_paraphrases_never_stand_beside_it():
    """"Which reply best continues this conversation?" Before: "Thanks a lot." beside "Thanks so much.",
    "Certainly, sir." beside "Sure, no problem.": several options continued the talk equally well."""
    c = card("daily-chat", {"dialog": ["dialog"], "answer": ["reply"]}, name="Daily chat",
             description="Short everyday conversations; predict the next reply.")
    recs = [record(i, {"dialog": f"Speaker 1: Hello.\nSpeaker 2: {turn}", "reply": reply}, c.dataset_id)
            for i, (turn, reply) in enumerate(CHATS)]
    plan, why = design_plan(c, recs)
    (step,) = [op for op in plan.operators if op.op == "distractors_from_bank"]
    assert step.params["continuation"] is True
    box = ToolBox(NoMediaTools(), NullLedger(), default_embedder())
    made, filtered = {}, []
    for i, rec in enumerate(recs):
        try:
            draft = _made(plan, rec, i, tools=box)
        except OperatorError as exc:
            filtered.append((rec.payload["reply"], type(exc).__name__))
            continue
        made[rec.payload["reply"]] = [o for o in draft["options"] if o != rec.payload["reply"]]
    assert filtered == [("Thanks a lot.", "RecordFiltered"), ("Thanks so much.", "RecordFiltered"),
                        ("Certainly, sir.", "RecordFiltered")]
    formulas = {"Thanks a lot.", "Thanks so much.", "Certainly, sir."}
    for key, distractors in made.items():
        assert distractors and not formulas & set(distractors), (key, distractors)
        close = box.closeness(key, distractors)
        assert all(cosine < 0.5 for cosine in close.values()), (key, close)


def test_a_passage_that_never_states_the_answer_cannot_key_an_item_and_reasons_are_one_whatever_leads_them():
    from agents.operators.distractors import unsupported_by_passage

    summary = ("Many of us share the love for television courts, but my central passion lies in the live performing "
               "arts, including orchestral music, jazz, modern dance, opera and theater. Technology now competes with "
               "the performing arts, especially with the rise of the internet and personalized consumption. We are in "
               "an age where technology reshapes how we view culture, with entertainment available anytime. The arts "
               "still cultivate empathy, emotional intelligence and social conscience, skills that future leaders need.")
    assert unsupported_by_passage("30,000 hours", summary) == (
        "the passage shown holds too few of the answer's words (hours missing): the question cannot be answered "
        "from it")
    assert unsupported_by_passage("the rise of the internet", summary) == ""
    assert unsupported_by_passage("30,000 hours", "A short premise.") == ""  # no passage to judge by
    assert is_paraphrase("in order to ensure universal access to treatment", "the universal access to treatment")
    assert not is_paraphrase("to ensure universal access to treatment", "to make patent laws more flexible")


def test_a_request_asking_what_caused_an_event_keeps_the_questions_that_ask_a_cause():
    from agents.planner.sections import names_causes

    c = card("documents", {"context": ["doc"], "question": ["q"], "answer": ["a"]})
    rows = [("Why did the council close the bridge?", "because its piers were cracked"),
            ("What country hosted the summit?", "Chile"), ("What caused the flooding in the valley?", "the dam broke"),
            ("On what date was the law passed?", "1944"), ("Because of which storm was the harbour shut?", "Hilda"),
            ("Who led the delegation?", "Todd Stern")] * 2
    recs = [record(i, {"doc": f"Report {i}. " + "The council met and spoke at length about the town. " * 8,
                       "q": q, "a": a}, c.dataset_id) for i, (q, a) in enumerate(rows)]
    text = "Give the model a long news document and ask what caused one of the events it reports."
    assert names_causes(recs, "q", text) is True
    assert names_causes(recs, "q", "Ask about the causes and the effects of events in the document.") is False
    assert names_causes(recs, "q", "Ask questions about a long news document.") is False
    plan, _ = design_plan(c, recs)
    kept, why, _ = plan_for_asks(plan, c, recs, [], request_text=text)
    assert why == "" and {"op": "keep_causes", "params": {"path": "q"}} in [
        {"op": op.op, "params": op.params} for op in kept.operators]
    made = set()
    for i, rec in enumerate(recs):
        try:
            _made(kept, rec, i)
            made.add(rec.payload["q"])
        except OperatorError as exc:
            assert type(exc).__name__ == "RecordFiltered"
    assert made == {"Why did the council close the bridge?", "What caused the flooding in the valley?",
                    "Because of which storm was the harbour shut?"}


def test_a_key_that_stands_out_from_options_all_alike_is_a_leak():
    from agents.executor.verify import stands_out

    assert stands_out("Confucianism", ["1894", "1905", "1910"]) == "the only text among number options"
    assert stands_out("not really, because medications do not address the causes",
                      ["Down syndrome", "family planning", "the ozone layer"]) == "the only option that gives a yes or no"
    assert stands_out("The Reformation was a movement that split the western church in two",
                      ["Luther", "Calvin", "Zwingli"]) == "a sentence option among options of word"
    assert stands_out("two weeks", ["3 days", "5 days", "10 minutes"]) == (
        "the only count in words among counts in digits")
    assert stands_out("in order to ensure universal access to treatment and care for everyone",
                      ["patent rules", "trade law", "generic drugs"]) == "the only option that gives a reason"
    # Alike enough, or too few others to tell.
    assert stands_out("Morality", ["Religion", "Law", "Politics"]) == ""
    assert stands_out("It is on the left, past the library stairs.",
                      ["Take the lift to the third floor.", "Your key card opens the side door."]) == ""
    assert stands_out("positive", ["negative"]) == ""
    draft = _draft(["Confucianism", "1894", "1905", "1910"], question="Which belief did Japan impose on Korea?")
    checks = {c.name: c for c in verify(draft, modalities=["text"], tools=NoMediaTools(), ledger=NullLedger()).checks}
    assert (checks["answer_leakage"].ok, checks["answer_leakage"].detail) == (
        False, "the key stands out from the other options: the only text among number options")
