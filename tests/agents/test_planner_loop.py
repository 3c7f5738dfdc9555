"""The Planner's closed loop without Django: every end state, the design-grounding feedback, dataset
sharing between subtasks, spread allocation within a subtask, and spoken grounding of dialogues."""
from __future__ import annotations

import pytest

from agents.offline.design import OfflineBrain
from agents.offline.planner import plan_offline
from agents.operators import dialogue_turns
from agents.planner.brain import DesignOutcome
from agents.planner.budget import Budget, BudgetExhausted, BudgetLedger
from agents.planner.loop import PlannerConfig, plan
from agents.types import BuildRequest, Decision, SubtaskDraft
from tests.agents.test_offline_engine import MemoryPool, card, causal_pool, record


def dialogue_pool(n: int = 12):
    c = card("daily-dialogue", {"dialog": ["dialog"], "answer": ["output.response"]}, name="Daily Dialogue",
             description="Short multi-turn daily conversations between two speakers; predict the next reply.")
    # Replies that say something of their own: a formula ("Certainly, sir.") would continue any talk.
    replies = ["It is on the left, past the library stairs.", "Take the lift to the third floor.",
               "The cleaners are working there until noon.", "Your key card opens the side door.",
               "The meeting moved to the big hall downstairs.", "Ask the porter at the front desk."]
    recs = [record(i, {"dialog": [f"Hello, number {i}.", "Hi, how can I help?", f"Where is room {i}?"],
                       "output": {"response": replies[i % len(replies)]}}, dataset_id=c.dataset_id) for i in range(n)]
    return c, recs


class DriftingBrain(OfflineBrain):
    """Design that answers every failure with yet another subtask no dataset fits."""

    def design(self, *, request, scope, round_no, current, feedback):
        draft = SubtaskDraft(key=f"quantum-poetry-{round_no}", name="Quantum poetry", modalities=scope.modalities,
                             description="Poems about quantum chromodynamics.", keywords=["quark", "sonnet"])
        decisions = [Decision(round=round_no, action="discard", key=f.key, rationale=f.detail) for f in feedback]
        return DesignOutcome(subtasks=[draft], decisions=[*decisions, Decision(
            round=round_no, action="propose", key=draft.key, rationale="another try")])


def test_ok_grounds_and_spreads_a_subtask_over_its_datasets():
    first, first_records = causal_pool(30)
    second = card("everyday-causes", first.fields and {"question": ["input.question"], "options": ["input.options"],
                                                       "answer": ["output.answer"]},
                  name="Causal reasoning in everyday life",
                  description="Pick the most plausible cause or effect of an everyday event.")
    second_records = [r.model_copy(update={"dataset_id": second.dataset_id}) for r in first_records[:10]]
    pool = MemoryPool([(first, first_records), (second, second_records)])

    result = plan_offline(BuildRequest(text="the cause or effect of an everyday event", target_size=20), pool)

    assert result.end_state == "ok"
    (subtask,) = result.subtasks
    assert subtask.key == "causal-reasoning"
    assert sorted((g.dataset_slug, g.capacity) for g in subtask.groundings) == [("causal", 30), ("everyday-causes", 10)]
    assert sum(g.quota for g in subtask.groundings) == 20
    assert all(0 < g.quota <= g.capacity for g in subtask.groundings)
    grounding = next(step for step in result.trace if step["step"] == "grounding")
    assert all({"search", "alignment", "coverage", "simplicity", "risk", "composite"} <= set(c["scores"])
               for c in grounding["candidates"])


def test_design_not_stable_after_the_bounded_rounds():
    c, recs = causal_pool(10)
    result = plan(BuildRequest(text="the cause of an event", target_size=5), MemoryPool([(c, recs)]), DriftingBrain(),
                  config=PlannerConfig(design_rounds=3))
    assert (result.end_state, result.subtasks) == ("design-not-stable", [])
    assert result.reason.startswith("after 3 design rounds some subtasks are still ungroundable: quantum-poetry-3: ")
    assert [s["round"] for s in result.trace if s["step"] == "design"] == [1, 2, 3]


def test_budget_exhausted_stops_between_calls_and_keeps_the_trace():
    class SpendingBrain(OfflineBrain):
        def __init__(self, budget):
            super().__init__()
            self.budget = budget

        def design(self, **kwargs):
            self.budget.check()
            self.budget.charge(tokens=600, money=0)  # what the call spent, as the ledger wrapper records it
            return super().design(**kwargs)

    budget = Budget(tokens=500)
    c, recs = causal_pool(10)
    result = plan(BuildRequest(text="the cause or effect of an event", target_size=50), MemoryPool([(c, recs)]),
                  SpendingBrain(budget), budget=budget)
    # Round 1 spent the budget; allocation then asked design to fill a gap, and the check stopped it.
    assert result.end_state == "budget-exhausted"
    assert result.reason == "the token budget is spent: 600 of 500 tokens used"
    assert [s["step"] for s in result.trace] == ["scope", "design", "grounding", "allocation", "budget",
                                                   "coverage"]


def test_budget_ledger_charges_every_call_before_handing_it_on():
    calls = []

    class Inner:
        def llm_call(self, **call):
            calls.append(call)

    budget = Budget(money=0.01)
    ledger = BudgetLedger(Inner(), budget)
    ledger.llm_call(role="design", prompt_tokens=100, completion_tokens=20, cost=__import__("decimal").Decimal("0.004"))
    budget.check()
    ledger.llm_call(role="design", prompt_tokens=100, completion_tokens=20, cost=__import__("decimal").Decimal("0.006"))
    assert (budget.spent_tokens, len(calls)) == (240, 2)
    try:
        budget.check()
    except BudgetExhausted as exc:
        assert str(exc) == "the money budget is spent: $0.0100 of $0.0100 used"
    else:
        raise AssertionError("the budget should be spent")


def test_a_dataset_grounds_only_the_subtask_it_fits_best():
    c, recs = causal_pool(30)
    pool = MemoryPool([(c, recs)])
    result = plan_offline(BuildRequest(text="Can a model find the cause of an event and judge whether a hypothesis "
                                            "follows from a premise?", target_size=10), pool)
    owners = [(s.key, g.dataset_slug) for s in result.subtasks for g in s.groundings]
    assert owners == [("causal-reasoning", "causal")]
    design_rounds = [s for s in result.trace if s["step"] == "design"]
    assert [d["action"] for d in design_rounds[-1]["decisions"]] == ["discard", "keep"]


def test_spoken_requests_ground_in_dialogues_made_into_speech():
    c, recs = dialogue_pool()
    pool = MemoryPool([(c, recs)])

    result = plan_offline(BuildRequest(text="Understanding spoken conversations across several turns",
                                       target_size=8), pool)

    assert result.end_state == "ok"
    (subtask,) = result.subtasks
    (grounding,) = subtask.groundings
    assert (subtask.key, subtask.modalities, grounding.synthesis) == (
        "spoken-dialogue-understanding", ["audio", "text"], "speech")
    # Spoken once the options are made: a record an option step turns away costs no synthesis.
    assert [op.op for op in grounding.plan.operators] == ["read_text", "set_text", "answer_text",
                                                          "distractors_from_bank", "speak_dialogue",
                                                          "balance_positions"]
    assert grounding.plan.template == "spoken_label_choices"
    assert (grounding.capacity, grounding.quota) == (12, 8)


def test_dialogue_turns_keep_speakers_and_alternate_unlabelled_lines():
    assert dialogue_turns("A: Hi . B: Hello , when ? A: At <MASK> .") == [
        ("A", "Hi ."), ("B", "Hello , when ?"), ("A", "At blank .")]
    assert dialogue_turns("Speaker 1: Hey!\nSpeaker 2: Yes?\nSpeaker 1: Bye.") == [
        ("Speaker1", "Hey!"), ("Speaker2", "Yes?"), ("Speaker1", "Bye.")]
    assert dialogue_turns("Good afternoon.\nOh, thank you.\nAnything else?") == [
        ("A", "Good afternoon."), ("B", "Oh, thank you."), ("A", "Anything else?")]


def test_speak_dialogue_writes_one_content_addressed_wav_per_dialogue(tmp_path):
    import wave

    from agents.executor.toolbox import ToolBox
    from agents.operators import ItemContext, plan_apply
    from agents.tools.media import LocalTools
    from tests.agents.test_offline_engine import NullLedger
    from agents.types import Operator, TransformPlan

    tools = LocalTools(media_root=tmp_path)
    c, recs = dialogue_pool(2)
    plan = TransformPlan(template="t", answer_type="choice", operators=[
        Operator(op="read_text", reads=["dialog"], writes=["context"], params={"path": "dialog", "into": "context"}),
        Operator(op="speak_dialogue", reads=["context"], writes=["media", "context"])])
    box = ToolBox(tools, NullLedger())
    made = [plan_apply(plan, recs[0], ItemContext(seed=0, item_key=f"k{i}", ordinal=0, tools=box)) for i in range(2)]

    assert made[0]["context"] == "" and made[0]["speech"] == [
        ("A", "Hello, number 0."), ("B", "Hi, how can I help?"), ("A", "Where is room 0?")]
    first, second = made[0]["media"][0], made[1]["media"][0]
    assert first == second  # the same dialogue is one file, whoever asks
    assert first.file.startswith("generated/speech/") and first.kind == "audio"
    with wave.open(first.abs_path, "rb") as audio:
        assert audio.getnframes() > audio.getframerate()  # more than a second of speech
    assert tools.media_check(first.abs_path, "audio").ok
    assert len(list((tmp_path / "generated" / "speech").rglob("*.wav"))) == 1

    dry = plan_apply(plan, recs[1], ItemContext(seed=0, item_key="k", ordinal=0, dry_run=True))
    assert (dry["media"], len(dry["speech"])) == ([], 3)  # a dry run checks the turns, synthesises nothing


def test_word_error_rate_folds_case_and_punctuation():
    from agents.tools.asr import word_error_rate

    assert word_error_rate("Hello, how are you?", "hello how are you") == 0.0
    assert word_error_rate("I’m quite tired", "I'm quite tired") == 0.0
    assert word_error_rate("make the bed for me", "make the man for me") == 0.2  # one substitution in five
    assert word_error_rate("yes please", "yes") == 0.5  # one deletion
    assert word_error_rate("", "") == 0.0 and word_error_rate("", "noise") == 1.0


def test_synthesised_speech_is_heard_back_or_the_sample_is_rejected(tmp_path):
    from agents.executor.verify import verify
    from agents.tools.media import LocalTools
    from agents.types import SampleDraft
    from tests.agents.test_offline_engine import NullLedger

    tools, ledger = LocalTools(media_root=tmp_path), NullLedger()
    turns = [("A", "Good afternoon. I brought the extra blanket you requested."), ("B", "Oh, thank you."),
             ("A", "Is there anything else I can assist you with?"),
             ("B", "Yes, I am quite tired and would like to go to bed early.")]
    ref = tools.speak(turns)

    def draft(spoken: str) -> SampleDraft:
        return SampleDraft(item_key="k", subtask_key="s", grounding_id=1, record_id=1, source_id="r",
                           question="Which reply fits?", options=["Certainly, sir.", "No."], answer_index=0,
                           answer="Certainly, sir.", accepted_answers=["Certainly, sir."], media=[ref],
                           speech_text=spoken)

    good = verify(draft("\n".join(f"{who}: {said}" for who, said in turns)), modalities=["audio", "text"],
                  tools=tools, ledger=ledger)
    assert good.status == "ok"
    wrong = verify(draft("A: The quarterly report is due on Friday afternoon.\nB: Bring the umbrella."),
                   modalities=["audio", "text"], tools=tools, ledger=ledger)
    assert wrong.status == "rejected"
    assert wrong.rejected_reasons[0].startswith("speech_round_trip: word error rate ")
    assert [c["tool"] for c in ledger.tool_calls] == ["audio_decode", "asr", "audio_decode", "asr"]


def test_near_duplicates_are_rejected_and_replaced_from_the_next_records():
    from agents.executor.cell import run_cell
    from agents.tools.embedding import default_embedder
    from agents.types import Cell, MediaCheck
    from tests.agents.test_offline_engine import ListSink, NullLedger

    c = card("causal", {"question": ["input.question"], "options": ["input.options"], "answer": ["output.answer"]},
             name="Causal reasoning", description="Pick the most plausible cause.")
    questions = ["Why did the glass break?", "Why did the glass break ?", "Why was the street wet this morning?",
                 "Why did the crowd cheer?", "Why did the milk go sour?"]
    recs = [record(i, {"input": {"question": q, "options": ["It fell on the floor.", "It was cold."]},
                       "output": {"answer": "A"}}, c.dataset_id) for i, q in enumerate(questions)]

    class Tools:
        def media_check(self, abs_path, kind):
            return MediaCheck(ok=True)

    plan = __import__("agents.planner.transform", fromlist=["design_plan"]).design_plan(c, recs)[0]
    cell = Cell(subtask_key="causal", grounding_id=1, dataset_id=c.dataset_id, dataset_slug="causal", plan=plan,
                quota=4)
    sink = ListSink()
    report = run_cell(cell, modalities=["text"], pool=MemoryPool([(c, recs)]), tools=Tools(), ledger=NullLedger(),
                      sink=sink, embedder=default_embedder())

    assert (report.accepted, report.rejected) == (4, 1)
    (dup,) = [s for s in sink.samples if s.status == "rejected"]
    assert dup.question.startswith("Why did the glass break")
    (reason,) = dup.rejected_reasons
    assert reason.startswith("near_duplicate: near-duplicate of causal/causal/r") and "cosine" in reason
    assert all(len(s.fingerprint) == 2 * 384 for s in sink.samples if s.status == "ok")  # question, passage


def passage_pool(n: int = 6):
    c = card("news-qa", {"context": ["input.passage"], "question": ["input.question"], "answer": ["output.answer"]},
             name="News reading", description="Questions about short news passages and what they report.")
    answers = ["the mayor", "the council", "a storm", "the river", "the school", "a fire"]
    recs = [record(i, {"input": {"passage": f"Report {i}. Yesterday {answers[i]} was in the news again because "
                                            f"of events in the old town.",
                                 "question": f"Who or what was in the news in report {i}?"},
                       "output": {"answer": answers[i]}}, c.dataset_id) for i in range(n)]
    return c, recs


def test_image_requests_may_read_text_datasets_rendered_as_pages_and_robustness_degrades_images(tmp_path):
    from agents.executor.cell import run_cell
    from agents.tools.media import LocalTools
    from agents.types import Cell
    from tests.agents.test_offline_engine import ListSink, NullLedger

    c, recs = passage_pool()
    pool = MemoryPool([(c, recs)])
    result = plan_offline(BuildRequest(text="Can a model read a scanned news page shown as a blurry image?",
                                       target_size=3), pool)

    # Blur named without a level asks for the whole ladder (1, 3, 5), and the plan blurs the items
    # at every rung of it.
    assert result.end_state == "ok"
    assert [(c.key, c.status) for c in result.coverage] == [
        ("capability:document-image-reading", "served"), ("input:image", "served"), ("perturbation:blur", "served"),
        ("material:news", "served")]
    (subtask,) = result.subtasks
    (grounding,) = subtask.groundings
    assert (subtask.key, subtask.modalities, grounding.synthesis) == ("document-image-reading", ["image", "text"],
                                                                      "render")
    assert result.scope.perturbation.model_dump() == {"kind": "blur", "severity": 3}
    assert grounding.plan.template.startswith("rendered_") and grounding.plan.template.endswith("+blur1,blur3,blur5")
    assert [op.op for op in grounding.plan.operators][:4] == ["read_text", "read_text", "render_text_image",
                                                              "degrade_image"]

    tools, ledger, sink = LocalTools(media_root=tmp_path), NullLedger(), ListSink()
    cell = Cell(subtask_key=subtask.key, grounding_id=1, dataset_id=c.dataset_id, dataset_slug=c.slug,
                plan=grounding.plan, quota=3)
    report = run_cell(cell, modalities=subtask.modalities, pool=pool, tools=tools, ledger=ledger, sink=sink)
    assert report.accepted + report.rejected == len(sink.samples)
    sample = sink.samples[0]
    assert sample.context == "" and sample.rendered_text.startswith("Report ")
    assert [m.file.split("/")[1] for m in sample.media] == ["images"]
    assert [c["tool"] for c in ledger.tool_calls[:5]] == ["render_text", "degrade_image", "image_decode", "ocr", "ocr"]
    # The clean page reads back word for word; the blurred one is what the request asked for, and must stay legible.
    checks = {c.name: c for c in sample.checks}
    assert checks["render_round_trip"].ok and checks["render_round_trip"].detail.startswith("word error rate 0.0")
    assert checks["degraded_legible"].detail.startswith("word error rate ")
    assert sample.status == ("ok" if checks["degraded_legible"].ok else "rejected")


def test_a_rendered_page_is_read_back_by_ocr(tmp_path):
    from agents.executor.verify import verify
    from agents.tools.media import LocalTools
    from agents.types import SampleDraft
    from tests.agents.test_offline_engine import NullLedger

    tools, ledger = LocalTools(media_root=tmp_path), NullLedger()
    text = "Yesterday the council met in the old town hall to discuss the new bridge over the river."
    page = tools.render_text(text)
    draft = SampleDraft(item_key="k", subtask_key="s", grounding_id=1, record_id=1, source_id="r",
                        question="Where did the council meet?", options=["the town hall", "the school"],
                        answer_index=0, answer="the town hall", accepted_answers=["the town hall"], media=[page],
                        rendered_text=text)
    checked = verify(draft, modalities=["image", "text"], tools=tools, ledger=ledger)
    assert checked.status == "ok"
    assert [c.name for c in checked.checks] == ["schema", "one_correct_option", "answer_leakage", "media_present",
                                                "render_round_trip"]
    assert ledger.tool_calls[-1]["detail"]["wer"] == 0.0
    occluded = tools.degrade_image(page.abs_path, "occlusion", 5, seed="k")
    bad = verify(draft.model_copy(update={"media": [occluded], "rendered_page": page}), modalities=["image", "text"],
                 tools=tools, ledger=ledger)
    assert bad.status == "rejected"
    assert bad.rejected_reasons[0].startswith("degraded_legible: word error rate") and "on the degraded page" in \
        bad.rejected_reasons[0]


def test_label_items_get_hard_distractors_nearest_in_meaning():
    from agents.operators import ItemContext, plan_apply
    from agents.planner.transform import design_plan, nearest_labels
    from agents.tools.embedding import default_embedder

    labels = ["cat", "dog", "wolf", "car", "truck", "bus", "apple", "pear"]
    c = card("things", {"image": ["file"], "answer": ["label"]}, modalities=("image", "text"))
    recs = [record(i, {"file": f"{i}.png", "label": labels[i % len(labels)]}, c.dataset_id) for i in range(24)]
    nearest = nearest_labels(labels, {label: i for i, label in enumerate(labels)}, default_embedder())
    assert set(nearest["truck"][:2]) == {"car", "bus"} and set(nearest["dog"][:2]) == {"cat", "wolf"}

    plan, why = design_plan(c, recs, embedder=default_embedder())
    assert (plan.template, why) == ("label_choices", "")
    (step,) = [op for op in plan.operators if op.op == "distractors_from_bank"]
    assert step.params["nearest"]["truck"][:2] == nearest["truck"][:2]
    for i in (4, 12, 20):  # the truck records
        draft = plan_apply(plan.model_copy(update={"operators": [op for op in plan.operators if op.op != "attach_media"]}),
                           recs[i], ItemContext(seed=0, item_key=f"k{i}", ordinal=i))
        assert set(draft["options"]) - {"truck"} <= set(nearest["truck"][:6])


def test_noise_is_mixed_at_the_requested_snr_and_noisy_speech_must_stay_intelligible(tmp_path):
    import wave

    import numpy as np

    from agents.executor.cell import run_cell
    from agents.tools.media import LocalTools
    from agents.types import Cell
    from tests.agents.test_offline_engine import ListSink, NullLedger

    tools = LocalTools(media_root=tmp_path)
    clean = tools.speak([("A", "Good afternoon. I brought the extra blanket you requested."),
                         ("B", "Oh, thank you. Is there anything else I can assist you with?")])
    noisy = tools.mix_noise(clean.abs_path, 10.0, seed="k")

    def samples(ref):
        with wave.open(ref.abs_path, "rb") as audio:
            return np.frombuffer(audio.readframes(audio.getnframes()), dtype=np.int16).astype(np.float64)

    signal, mixed = samples(clean), samples(noisy)
    snr = 10 * np.log10(np.mean(signal ** 2) / np.mean((mixed - signal) ** 2))
    assert abs(snr - 10.0) < 0.2
    assert tools.mix_noise(clean.abs_path, 10.0, seed="k") == noisy  # seeded, content-addressed

    c, recs = dialogue_pool()
    result = plan_offline(BuildRequest(text="Understanding spoken conversations across turns in noisy rooms",
                                       target_size=2), MemoryPool([(c, recs)]))
    (grounding,) = result.subtasks[0].groundings
    assert result.scope.perturbation.model_dump() == {"kind": "audio_noise", "severity": 3}
    assert grounding.plan.template.endswith("+noise20dB,10dB,0dB")  # no level named: the whole ladder
    assert [op.op for op in grounding.plan.operators][-3:] == ["speak_dialogue", "mix_noise", "balance_positions"]
    sink, ledger = ListSink(), NullLedger()
    cell = Cell(subtask_key="s", grounding_id=1, dataset_id=c.dataset_id, dataset_slug=c.slug, plan=grounding.plan,
                quota=2)
    run_cell(cell, modalities=["audio", "text"], pool=MemoryPool([(c, recs)]), tools=tools, ledger=ledger, sink=sink)
    first = sink.samples[0]
    assert [ch.name for ch in first.checks] == ["source_screen", "schema", "one_correct_option", "answer_leakage", "media_present",
                                                "speech_round_trip", "noisy_intelligible", "near_duplicate"]
    assert first.spoken_clean.sha256 != first.media[0].sha256
    assert [call["tool"] for call in ledger.tool_calls[:5]] == ["tts", "mix_noise", "audio_decode", "asr", "asr"]


def test_one_speaker_is_spoken_by_piper_and_heard_word_for_word(tmp_path):
    import wave

    from agents.tools.asr import transcribe, word_error_rate
    from agents.tools.media import LocalTools

    tools = LocalTools(media_root=tmp_path)
    question = [("Q", "Could you make the bed for me? Certainly, sir.")]
    ref = tools.speak(question)
    with wave.open(ref.abs_path, "rb") as audio:
        assert audio.getnframes() > audio.getframerate()  # over a second of speech
    assert tools.speak(question) == ref  # content-addressed
    # espeak-ng's robotic voice was heard as "Could you make my man for me? Sure, a little, sure."
    assert word_error_rate(question[0][1], transcribe(ref.abs_path)) == 0.0
    assert "piper-tts 1.8.0 (joe-us 1.0.0)" in tools.speech_version()


def _f0(samples, rate: int) -> float:
    """The median fundamental frequency (Hz) of the voiced frames, by autocorrelation."""
    import numpy as np

    found = []
    for start in range(0, len(samples) - 2048, 1024):
        frame = samples[start:start + 2048].astype(float)
        frame -= frame.mean()
        if np.abs(frame).mean() < 500:
            continue
        corr = np.correlate(frame, frame, "full")[2047:]
        low, high = rate // 400, rate // 60
        found.append(rate / (low + int(np.argmax(corr[low:high]))))
    return float(np.median(found))


def test_dialogue_speakers_get_voices_of_their_own_at_a_natural_tempo():
    from agents.tools.speech import PITCHES, _piper_turn, _piper_voice, voice_map

    turns = [("A", "Good afternoon. I brought the extra blanket you requested."), ("B", "Oh, thank you."),
             ("C", "Is there anything else?")]
    assert voice_map(turns, PITCHES) == {"A": 1.0, "B": PITCHES[1], "C": PITCHES[2]}
    voice = _piper_voice()
    words = turns[0][1]
    (a, rate), (b, _), (c, _) = (_piper_turn(voice, words, pitch) for pitch in PITCHES[:3])
    # +4 and -3 semitones: about 26 % higher and 16 % lower; the tempo stays within 15 %.
    assert _f0(b, rate) / _f0(a, rate) == pytest.approx(PITCHES[1], rel=0.08)
    assert _f0(c, rate) / _f0(a, rate) == pytest.approx(PITCHES[2], rel=0.08)
    assert all(abs(len(x) / len(a) - 1) < 0.15 for x in (b, c))


def test_espeak_ng_is_the_fallback_voice_when_asked_for(tmp_path, monkeypatch):
    from agents.tools.media import LocalTools

    monkeypatch.setenv("BENCH_TTS", "espeak-ng")
    tools = LocalTools(media_root=tmp_path)
    ref = tools.speak([("A", "Good afternoon."), ("B", "Oh, thank you.")])
    assert tools.speech_version().startswith("eSpeak NG")
    monkeypatch.setenv("BENCH_TTS", "piper")
    assert tools.speak([("A", "Good afternoon."), ("B", "Oh, thank you.")]) != ref  # another engine, another file
    assert tools.speech_version() == "piper-tts 1.8.0 (joe-us 1.0.0)"
