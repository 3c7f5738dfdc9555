"""Operators that serve a request's asks, run by the real tools (Pillow, tesseract, piper,
faster-whisper) and verified like every sample: perturbation ladders, the question spoken or shown
as an image, knowledge links (second hops on the real World Flags data) and option counts."""
from __future__ import annotations

import pytest

from agents.executor.cell import run_cell
from agents.operators import ItemContext, ladder_rung, plan_apply
from agents.planner.asks import perturbation_ask
from agents.planner.coverage import plan_serves
from agents.planner.transform import design_plan
from agents.planner.variants import plan_for_asks
from agents.tools.asr import word_error_rate
from agents.tools.media import LocalTools
from agents.types import Ask, Cell, Operator, RecordView, TransformPlan
from tests.agents.starter import flags_dataset
from tests.agents.test_offline_engine import ListSink, MemoryPool, NullLedger, card, record
from tests.agents.test_repair import PASSAGE

KINDS = ("blur", "downscale", "jpeg")


def _ask(kind: str, key: str, **params) -> Ask:
    return Ask(key=key, kind=kind, text=key.replace(":", " "), params=params)


def _cell(c, plan, quota: int) -> Cell:
    return Cell(subtask_key="s", grounding_id=1, dataset_id=c.dataset_id, dataset_slug=c.slug, plan=plan, quota=quota)


@pytest.fixture(scope="module")
def world_flags(tmp_path_factory):
    return flags_dataset(tmp_path_factory.mktemp("starter"))


def quiz_pool(questions: list[tuple[str, list[str], str]], *, passages: list[str] | None = None):
    """A text QA dataset: questions with their own options and a letter key (and a passage each)."""
    fields = {"question": ["input.question"], "options": ["input.options"], "answer": ["output.answer"]}
    if passages:
        fields["context"] = ["input.passage"]
    c = card("quiz", fields, name="General quiz", description="Short general-knowledge questions.")
    recs = [record(i, {"input": {"question": q, "options": options, **({"passage": passages[i]} if passages else {})},
                       "output": {"answer": key}}, c.dataset_id) for i, (q, options, key) in enumerate(questions)]
    return c, recs


QUIZ = [("Which planet is known as the red planet?", ["Venus", "Mars", "Jupiter", "Saturn"], "B"),
        ("What is the largest ocean on Earth?", ["The Pacific", "The Atlantic", "The Indian Ocean", "The Arctic"], "A"),
        ("Which animal is the tallest in the world?", ["The elephant", "The horse", "The giraffe", "The camel"], "C")]


# --- perturbation ladders -----------------------------------------------------------------------

def test_a_ladder_spreads_every_rung_over_the_items_and_away_from_the_answer_position():
    rungs = [{"kind": k, "severity": s} for k in KINDS for s in (1, 3, 5)]
    picked = [ladder_rung({"ladder": rungs}, ordinal) for ordinal in range(18)]
    assert picked[:9] == rungs  # the first nine items get each rung once
    assert picked[9:] == rungs[1:] + rungs[:1]  # the next round starts one rung on
    # With three rungs and three options, a rung is not stuck to one answer position (ordinal % 3).
    three = [{"kind": "blur", "severity": s} for s in (1, 3, 5)]
    positions = {(ladder_rung({"ladder": three}, o)["severity"], o % 3) for o in range(9)}
    assert positions == {(s, p) for s in (1, 3, 5) for p in range(3)}


def test_blur_low_resolution_and_jpeg_at_three_severities_give_nine_items_each_pair_once(world_flags, tmp_path):
    c, recs = world_flags
    plan, _ = design_plan(c, recs)
    asks = [perturbation_ask(kind, [1, 3, 5]) for kind in KINDS]
    laddered, why, unserved = plan_for_asks(plan, c, recs, asks)
    assert (why, unserved) == ("", {})
    assert plan_serves(laddered, asks, card=c) == ["perturbation:blur", "perturbation:downscale", "perturbation:jpeg"]
    (step,) = [op for op in laddered.operators if op.op == "degrade_image"]
    assert [op.op for op in laddered.operators][-2:] == ["attach_media", "degrade_image"]
    assert len(step.params["ladder"]) == 9

    tools, ledger, sink = LocalTools(media_root=tmp_path), NullLedger(), ListSink()
    report = run_cell(_cell(c, laddered, 9), modalities=["image", "text"], pool=MemoryPool([(c, recs)]), tools=tools,
                      ledger=ledger, sink=sink)

    assert (report.accepted, report.rejected) == (9, 0)
    got = [(s.conditions[0]["kind"], s.conditions[0]["severity"]) for s in sink.samples]
    assert sorted(got) == [(k, s) for k in ("blur", "downscale", "jpeg") for s in (1, 3, 5)]
    assert all(len(s.conditions) == 1 for s in sink.samples)
    # Each item's image is the degradation it records, made by Pillow from the record's own flag.
    made = {call["item_key"]: (call["detail"]["kind"], call["detail"]["severity"], call["detail"]["source"])
            for call in ledger.tool_calls if call["tool"] == "degrade_image"}
    assert made == {s.item_key: (*got[i], recs[s.record_id].payload["input"]["image_file"])
                    for i, s in enumerate(sink.samples)}
    assert [s.media[0].file.endswith(".jpg") for s in sink.samples] == [k == "jpeg" for k, _ in got]


def test_a_ladder_short_of_an_asked_severity_does_not_serve_the_ask():
    c = card("pics", {"image": ["file"], "answer": ["label"]}, modalities=("image", "text"))
    plan = TransformPlan(template="t", answer_type="choice", operators=[
        Operator(op="attach_media", params={"path": "file"}),
        Operator(op="degrade_image", params={"ladder": [{"kind": "blur", "severity": 1}, {"kind": "blur", "severity": 3},
                                                        {"kind": "jpeg", "severity": 5}]})])
    asks = [perturbation_ask("blur", [1, 3]), perturbation_ask("blur", [1, 3, 5]).model_copy(update={"key": "b2"}),
            perturbation_ask("jpeg", [5]), perturbation_ask("occlusion", [1])]
    assert plan_serves(plan, asks, card=c) == ["perturbation:blur", "perturbation:jpeg"]


def test_a_ladder_rung_past_legibility_is_eased_and_the_sample_records_what_it_got(tmp_path):
    """Two pages: the first item gets blur 1, the second downscale 5, which tesseract cannot read
    at 5 or 4: repaired to 3, as the ladder-free plan is (tests/agents/test_repair.py)."""
    c, recs = quiz_pool([("When will the library open?", ["In the spring", "In the autumn", "Next Tuesday"], "A"),
                         ("Who met on Tuesday?", ["The committee", "The mayor", "The students"], "A")],
                        passages=[PASSAGE, PASSAGE])
    plan, _ = design_plan(c, recs)
    ladder = [perturbation_ask("blur", [1]), perturbation_ask("downscale", [5])]
    laddered, why, _ = plan_for_asks(plan, c, recs, ladder, synthesis="render")
    assert [op.op for op in laddered.operators][:4] == ["read_text", "read_text", "render_text_image", "degrade_image"]

    tools, ledger, sink = LocalTools(media_root=tmp_path), NullLedger(), ListSink()
    run_cell(_cell(c, laddered, 2), modalities=["image", "text"], pool=MemoryPool([(c, recs)]), tools=tools,
             ledger=ledger, sink=sink)

    first, second = sink.samples
    assert (first.status, first.conditions) == ("ok", [{"kind": "blur", "severity": 1}])
    assert (second.status, second.conditions) == ("repaired", [{"kind": "downscale", "severity": 3}])
    assert [c.detail.split("; ")[-1] for c in second.checks if c.name == "repair"] == [
        "degradation eased from downscale:5 to downscale:4", "degradation eased from downscale:4 to downscale:3"]


def test_noise_at_a_ladder_of_snrs_over_spoken_questions(tmp_path):
    c, recs = quiz_pool(QUIZ)
    plan, _ = design_plan(c, recs)
    asks = [_ask("question_modality", "question:speech", modality="speech"),
            perturbation_ask("audio_noise", [1, 2, 3])]
    noisy, why, unserved = plan_for_asks(plan, c, recs, asks)
    assert (why, unserved) == ("", {})
    assert [op.op for op in noisy.operators][:3] == ["read_text", "speak_text", "mix_noise"]

    tools, ledger, sink = LocalTools(media_root=tmp_path), NullLedger(), ListSink()
    run_cell(_cell(c, noisy, 3), modalities=["audio", "text"], pool=MemoryPool([(c, recs)]), tools=tools,
             ledger=ledger, sink=sink)

    assert sorted(s.conditions[0]["snr_db"] for s in sink.samples) == [10.0, 15.0, 20.0]
    assert sorted(s.conditions[0]["severity"] for s in sink.samples) == [1, 2, 3]
    assert [s.status for s in sink.samples] == ["ok"] * 3, [s.rejected_reasons for s in sink.samples]
    for s in sink.samples:
        assert [ch.name for ch in s.checks] == ["source_screen", "schema", "one_correct_option", "answer_leakage", "media_present",
                                                "speech_round_trip", "noisy_intelligible", "near_duplicate"]
    assert sorted(call["detail"]["snr_db"] for call in ledger.tool_calls if call["tool"] == "mix_noise") == [
        10.0, 15.0, 20.0]


# --- the question spoken, the question and passage shown as an image ------------------------------

def test_a_text_question_is_spoken_and_heard_back_within_the_bound(tmp_path):
    c, recs = quiz_pool(QUIZ[:2])
    plan, _ = design_plan(c, recs)
    ask = _ask("question_modality", "question:speech", modality="speech")
    spoken, _, unserved = plan_for_asks(plan, c, recs, [ask])
    assert unserved == {} and plan_serves(spoken, [ask], card=c) == ["question:speech"]

    tools, ledger, sink = LocalTools(media_root=tmp_path), NullLedger(), ListSink()
    report = run_cell(_cell(c, spoken, 2), modalities=["audio", "text"], pool=MemoryPool([(c, recs)]), tools=tools,
                      ledger=ledger, sink=sink)

    assert report.accepted == 2
    for sample in sink.samples:
        asked = recs[sample.record_id].payload["input"]["question"]
        assert sample.question == "Listen to the question in the recording and answer it."
        assert asked not in f"{sample.question} {sample.context}"  # the written question is gone
        assert sample.speech_text == f"Q: {asked}"
        assert [m.kind for m in sample.media] == ["audio"]
        heard = next(call for call in ledger.tool_calls if call["tool"] == "asr" and call["item_key"] == sample.item_key)
        assert word_error_rate(asked, heard["detail"]["got"]) == heard["detail"]["wer"] <= 0.35
        assert {ch.name: ch.ok for ch in sample.checks}["speech_round_trip"] is True


def test_a_spoken_dialogue_carries_the_question_as_its_last_turn():
    c = card("chat", {"dialog": ["input.dialogue"], "question": ["input.question"], "options": ["input.options"],
                      "answer": ["output.answer"]})
    recs = [record(0, {"input": {"dialogue": "A: Good afternoon.\nB: Thank you for the blanket.",
                                 "question": "What did A bring?", "options": ["A blanket", "A pillow"]},
                       "output": {"answer": "A"}}, c.dataset_id)] * 2
    plan, _ = design_plan(c, recs)
    spoken, _, unserved = plan_for_asks(plan, c, recs, [_ask("question_modality", "q", modality="speech")],
                                        synthesis="speech")
    assert unserved == {}
    draft = plan_apply(spoken, recs[0], ItemContext(seed=0, item_key="k", ordinal=0, dry_run=True))
    assert draft["speech"] == [("A", "Good afternoon."), ("B", "Thank you for the blanket."),
                               ("Question", "What did A bring?")]
    assert (draft["question"], draft["context"]) == (
        "Listen to the conversation and to the question asked after it, and answer that question.", "")


def test_the_question_shown_as_an_image_is_rendered_with_its_passage_and_read_back(tmp_path):
    c, recs = quiz_pool([("When will the library open?", ["In the spring", "In the autumn", "Next Tuesday"], "A")],
                        passages=[PASSAGE])
    plan, _ = design_plan(c, recs)
    ask = _ask("question_modality", "question:image", modality="image")
    shown, _, unserved = plan_for_asks(plan, c, recs, [ask], synthesis="render")
    assert unserved == {} and plan_serves(shown, [ask], card=c) == ["question:image"]
    assert [(op.op, op.params.get("fields")) for op in shown.operators if op.op == "render_text_image"] == [
        ("render_text_image", ["context", "question"])]

    tools, ledger, sink = LocalTools(media_root=tmp_path), NullLedger(), ListSink()
    run_cell(_cell(c, shown, 1), modalities=["image", "text"], pool=MemoryPool([(c, recs)]), tools=tools,
             ledger=ledger, sink=sink)

    (sample,) = sink.samples
    assert sample.status == "ok", sample.rejected_reasons
    assert (sample.question, sample.context) == ("Read the question in the image and answer it.", "")
    assert sample.rendered_text == f"{PASSAGE}\n\nQuestion: When will the library open?"
    (ocr,) = [call for call in ledger.tool_calls if call["tool"] == "ocr" and "wer" in call["detail"]]
    assert ocr["detail"]["wer"] == 0.0


def test_a_question_without_a_passage_is_rendered_on_a_page_of_its_own(tmp_path):
    c, recs = quiz_pool(QUIZ[:1] * 2)
    plan, _ = design_plan(c, recs)
    shown, why, unserved = plan_for_asks(plan, c, recs, [_ask("question_modality", "q", modality="image")],
                                         synthesis="render")
    assert (why, unserved) == ("", {})
    sink, ledger = ListSink(), NullLedger()
    run_cell(_cell(c, shown, 1), modalities=["image", "text"], pool=MemoryPool([(c, recs[:1])]),
             tools=LocalTools(media_root=tmp_path), ledger=ledger, sink=sink)
    (sample,) = sink.samples
    assert (sample.status, sample.rendered_text) == ("ok", "Which planet is known as the red planet?")
    assert [call["detail"]["wer"] for call in ledger.tool_calls if call["tool"] == "ocr"] == [0.0]


# --- knowledge links and option counts ---------------------------------------------------------------

CAPITAL = _ask("knowledge_link", "knowledge_link:capital", field="capital", of="country")


def test_the_flags_second_hop_asks_for_the_capital_with_capitals_as_distractors(world_flags, tmp_path):
    c, recs = world_flags
    plan, _ = design_plan(c, recs)
    linked, why, unserved = plan_for_asks(plan, c, recs, [CAPITAL])
    assert (why, unserved) == ("", {})
    assert plan_serves(linked, [CAPITAL], card=c) == ["knowledge_link:capital"]
    capitals = {r.payload["output"]["capital"] for r in recs}
    countries = {r.payload["output"]["country"] for r in recs}

    sink = ListSink()
    run_cell(_cell(c, linked, 6), modalities=["image", "text"], pool=MemoryPool([(c, recs)]),
             tools=LocalTools(media_root=tmp_path), ledger=NullLedger(), sink=sink)

    assert [s.status for s in sink.samples] == ["ok"] * 6
    for sample in sink.samples:
        source = recs[sample.record_id].payload["output"]
        assert sample.question == "Which country's flag is this? Give the capital of that country, not the country itself."
        assert (sample.answer, sample.accepted_answers) == (source["capital"], [source["capital"]])
        assert len(sample.options) == 4 and set(sample.options) <= capitals
        assert source["country"] not in sample.options or source["country"] == source["capital"]
        # Type-matched: the distractors are other countries' capitals of the answer's word count.
        distractors = [o for o in sample.options if o != sample.answer]
        assert all(len(d.split()) == len(sample.answer.split()) for d in distractors)
        assert [m.path for m in sample.media] == ["input.image_file"]
    assert countries - capitals  # the options are capitals, never the country asked about


def test_a_knowledge_link_the_records_cannot_give_is_not_served_with_the_reason(world_flags):
    c, recs = world_flags
    plan, _ = design_plan(c, recs)
    population = _ask("knowledge_link", "knowledge_link:population", field="population", of="country")
    kept, why, unserved = plan_for_asks(plan, c, recs, [population])
    assert (kept, why) == (plan, "")
    assert unserved == {"knowledge_link:population": "neither its card nor its records have a population field"}
    wrong_thing = _ask("knowledge_link", "knowledge_link:capital", field="capital", of="river")
    assert plan_for_asks(plan, c, recs, [wrong_thing])[2] == {"knowledge_link:capital": (
        "its answers (output.country) are not a river, so its output.capital is not the capital of a river the "
        "item shows")}


@pytest.mark.parametrize("count", [2, 3])
def test_an_option_count_gives_exactly_that_many_options(count, world_flags):
    three = _ask("option_count", "option_count", count=count)
    c, recs = quiz_pool(QUIZ)
    plan, _ = design_plan(c, recs)
    counted, _, unserved = plan_for_asks(plan, c, recs, [three])
    assert unserved == {} and plan_serves(counted, [three], card=c) == ["option_count"]
    for ordinal, rec in enumerate(recs):
        draft = plan_apply(counted, rec, ItemContext(seed=0, item_key=f"k{ordinal}", ordinal=ordinal))
        keyed = rec.payload["input"]["options"]["ABCD".index(rec.payload["output"]["answer"])]
        assert len(draft["options"]) == count and draft["options"][draft["answer_index"]] == keyed
        assert set(draft["options"]) <= set(rec.payload["input"]["options"])

    c, recs = world_flags
    plan, _ = design_plan(c, recs)
    counted, _, unserved = plan_for_asks(plan, c, recs, [three, CAPITAL])
    assert unserved == {}
    for ordinal, rec in enumerate(recs[:20]):
        draft = plan_apply(counted, rec, ItemContext(seed=0, item_key=f"k{ordinal}", ordinal=ordinal))
        assert len(draft["options"]) == count
        assert draft["options"][draft["answer_index"]] == rec.payload["output"]["capital"]


def test_an_option_count_the_data_cannot_give_says_why():
    c, recs = quiz_pool(QUIZ)
    plan, _ = design_plan(c, recs)
    for count, reason in ((6, "items have at most 5 options"), (1, "an item needs at least two options"),
                          (5, "5 options works on only 0 of 3 records: step 4 (limit_options): the record gives 4 "
                              "options; 5 are asked (3)")):
        kept, _, unserved = plan_for_asks(plan, c, recs, [_ask("option_count", "option_count", count=count)])
        assert (kept, unserved) == (plan, {"option_count": reason})
    yes_no = card("yn", {"question": ["q"], "answer": ["a"]})
    recs = [record(i, {"q": f"Is {i} even?", "a": "yes" if i % 2 == 0 else "no"}, yes_no.dataset_id) for i in range(8)]
    plan, _ = design_plan(yes_no, recs)
    assert plan_for_asks(plan, yes_no, recs, [_ask("option_count", "option_count", count=4)])[2] == {
        "option_count": "its answers take only 2 distinct values; 4 options need 4"}


def test_an_item_short_of_the_asked_option_count_is_rejected_not_pruned():
    from agents.executor.verify import verify

    c, recs = quiz_pool(QUIZ[:1])
    rec = RecordView(record_id=9, dataset_id=c.dataset_id, source_id="twice",
                     payload={"input": {"question": "Which is a fruit?", "options": ["an apple", "a chair", "A chair."]},
                              "output": {"answer": "A"}})
    plan, _ = design_plan(c, [rec])
    counted, _, unserved = plan_for_asks(plan, c, [*recs, rec], [_ask("option_count", "option_count", count=3)])
    assert unserved == {}
    sink = ListSink()
    run_cell(_cell(c, counted, 1), modalities=["text"], pool=MemoryPool([(c, [rec])]), tools=None,
             ledger=NullLedger(), sink=sink)
    (sample,) = sink.samples
    # Dropping the repeated option would leave two: the item is rejected (and replaced), not repaired.
    assert (sample.status, len(sample.options)) == ("rejected", 3)
    assert sample.rejected_reasons == ["one_correct_option: two options are the same"]
    short = sample.model_copy(update={"options": sample.options[:2], "answer_index": 0, "answer": sample.options[0],
                                      "checks": []})
    checked = verify(short.model_copy(update={"options": ["an apple", "a chair"], "answer": "an apple"}),
                     modalities=["text"], tools=None, ledger=NullLedger(), option_count=3)
    assert checked.rejected_reasons == ["option_count: 2 options; the request asks for 3"]


def test_a_question_rendered_beside_the_records_own_image_is_read_back_once_and_the_image_is_not_a_page(
        world_flags, tmp_path):
    """Before: the flag (the record's image, after the rendered question) was read as a "degraded
    page", OCR found none of the question in it, and every item was rejected."""
    c, recs = world_flags
    plan, _ = design_plan(c, recs)
    ask = _ask("question_modality", "question:image", modality="image")
    shown, _, unserved = plan_for_asks(plan, c, recs, [ask], synthesis="render")
    assert unserved == {}
    ops = [op.op for op in shown.operators]
    assert ops.index("render_text_image") < ops.index("attach_media")

    tools, ledger, sink = LocalTools(media_root=tmp_path), NullLedger(), ListSink()
    run_cell(_cell(c, shown, 2), modalities=["image", "text"], pool=MemoryPool([(c, recs)]), tools=tools,
             ledger=ledger, sink=sink)
    assert [s.status for s in sink.samples] == ["ok", "ok"], [s.rejected_reasons for s in sink.samples]
    for sample in sink.samples:
        assert [m.kind for m in sample.media] == ["image", "image"]
        assert "degraded_legible" not in [check.name for check in sample.checks]
    assert len([call for call in ledger.tool_calls if call["tool"] == "ocr"]) == 2
