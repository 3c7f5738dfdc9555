"""The source screen (issue 16): a record's question, passage, image or recording is checked before
an item is made of it; safe repairs are made and said, anything else replaces the record and is
named with its reason."""
from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from agents.executor.cell import run_cell
from agents.operators.screen import SourceRejected, screen_record
from agents.tools import screen as measure
from agents.types import Cell, MediaRef, Operator, RecordView, TransformPlan
from tests.agents.test_offline_engine import ListSink, MemoryPool, NoMediaTools, NullLedger, card


def _plan(*, image: bool = False, audio: bool = False) -> TransformPlan:
    ops = [Operator(op="read_text", reads=["record:q"], writes=["question"], params={"path": "q", "into": "question"}),
           Operator(op="read_text", reads=["record:p"], writes=["context"], params={"path": "p", "into": "context"}),
           Operator(op="options_from_list", reads=["record:opts"], writes=["options"], params={"path": "opts"}),
           Operator(op="answer_from_letter", reads=["record:a", "options"], writes=["answer_index", "accepted_answers"],
                    params={"path": "a"})]
    if image or audio:
        ops.append(Operator(op="attach_media", reads=["record:file"], writes=["media"], params={"path": "file"}))
    return TransformPlan(template="t", answer_type="choice", operators=ops)


def _record(question: str, passage: str = "The council met in the town hall on Monday.", *, media=()) -> RecordView:
    return RecordView(record_id=1, dataset_id=1, source_id="r1", media=list(media),
                      payload={"q": question, "p": passage, "opts": ["the town hall", "the school"], "a": "A",
                               "file": "x"})


def test_safe_repairs_are_made_and_said_and_the_source_keeps_its_text():
    record = _record("Whcih building did the council meet in .?")
    screened = screen_record(_plan(), record)
    assert screened.record.payload["q"] == "Which building did the council meet in?"
    assert record.payload["q"] == "Whcih building did the council meet in .?"
    assert screened.repairs == ["q: '.?' -> '?'", "q: 'whcih' -> 'which'"]
    assert screened.screened == ["question", "context"]
    # A long word has few readings: a less frequent one may be what was meant.
    assert screen_record(_plan(), _record("Which enviromental problem is the man perfoming a dance about?")).repairs \
        == ["q: 'enviromental' -> 'environmental'", "q: 'perfoming' -> 'performing'"]


def test_free_answer_instructions_leave_a_choice_item_and_a_bare_question_is_capitalised_and_asked():
    screened = screen_record(_plan(), _record("What time is shown? Answer by typing a time word, not a number. "
                                              "It is six (_)."))
    assert screened.record.payload["q"] == "What time is shown? It is six (_)."
    assert screened.repairs == ["q: removed 'Answer by typing a time word, not a number.'"]
    screened = screen_record(_plan(), _record("where did the council meet"))
    assert screened.record.payload["q"] == "Where did the council meet?"
    assert screened.repairs == ["q: first letter capitalised", "q: question mark added"]


def test_a_machine_written_question_gets_its_verb_inflected_where_only_the_verb_reading_fits():
    screened = screen_record(_plan(), _record("what do a group of people sit on"))
    assert screened.record.payload["q"] == "What does a group of people sit on?"
    assert screened.repairs == ["q: 'do' -> 'does'", "q: first letter capitalised", "q: question mark added"]
    mended = {text: measure.mend_agreement(text)[0] for text in (
        "who stand in the middle of a dirt field", "what wear a hat", "what sit on the ground",
        "what stand next to a cow",
        # a noun reading or a verb of its own: left as written
        "What time is it?", "What type of animal?", "What color shirt", "What team in the league won the cup?",
        "What room in the house has a fireplace?", "What do the people hold?", "Who painted this?",
        "who stand in front of a table filled with food")}
    assert mended == {
        "who stand in the middle of a dirt field": "who stands in the middle of a dirt field",
        "what wear a hat": "what wears a hat", "what sit on the ground": "what sits on the ground",
        "what stand next to a cow": "what stands next to a cow",
        "What time is it?": "What time is it?", "What type of animal?": "What type of animal?",
        "What color shirt": "What color shirt",
        "What team in the league won the cup?": "What team in the league won the cup?",
        "What room in the house has a fireplace?": "What room in the house has a fireplace?",
        "What do the people hold?": "What do the people hold?", "Who painted this?": "Who painted this?",
        "who stand in front of a table filled with food": "who stand in front of a table filled with food"}


def test_a_question_that_lost_its_verb_rejects_the_record():
    with pytest.raises(SourceRejected, match=r"^the question fails the source screen: the question has no verb "
                                             r"\('What the largest endogenous substrate source in the body\?'\)$"):
        screen_record(_plan(), _record("What the largest endogenous substrate source in the body?\n"))
    assert screen_record(_plan(), _record("What the hell is this?")).repairs == []


def test_a_bare_verb_after_be_rejects_the_record_and_other_readings_pass():
    with pytest.raises(SourceRejected, match=r"^the question fails the source screen: a bare verb after 'are' "
                                             r"\('are sit'\)$"):
        screen_record(_plan(), _record("what do a group of people that are sit on"))
    problems = {text: measure.bare_verb_after_be(text) for text in (
        "Which animals are see in the picture?", "Who is come to the party?", "What are set on the table?",
        "Is it cut?", "What are they eating?", "Where are play areas?", "What is used for cutting?",
        "Was the cat able to jump?")}
    assert problems == {"Which animals are see in the picture?": "a bare verb after 'are' ('are see')",
                        "Who is come to the party?": "", "What are set on the table?": "", "Is it cut?": "",
                        "What are they eating?": "", "Where are play areas?": "", "What is used for cutting?": "",
                        "Was the cat able to jump?": ""}


def test_a_misspelling_with_several_readings_or_a_garbled_text_rejects_the_record():
    with pytest.raises(SourceRejected, match=r"^the question fails the source screen: misspelt word 'cound' "
                                             r"\('could' or 'found' or 'sound'\?\)$"):
        screen_record(_plan(), _record("Cound you please tell me where the council met?"))
    with pytest.raises(SourceRejected, match=r"^the context fails the source screen: \d+% of its words are not English"):
        screen_record(_plan(), _record("Where did they meet?",
                                       "teh cuncil mett inn thhe twn hal onn mondday wen itt rainned hevily"))
    # Informal writing in a quoted post is the data, not a defect.
    screened = screen_record(_plan(), _record("What is the sentiment of the post?",
                                              "@JetBlue dont think im flying with you again lol, worst delay ever #fail"))
    assert screened.repairs == []


def _png(path: Path, pixels: np.ndarray) -> MediaRef:
    Image.fromarray(pixels.astype(np.uint8)).save(path)
    return MediaRef(path="file", file=path.name, abs_path=str(path), kind="image")


def test_images_without_content_too_small_or_wrapped_around_are_screened_out(tmp_path):
    rng = np.random.default_rng(0)
    smooth = np.tile(np.linspace(40, 200, 64), (64, 1)) + rng.normal(0, 3, (64, 64))
    wrapped = (smooth * 3).astype(np.int64) % 256  # 8-bit overflow: intensities past 255 come back near 0
    cases = {"fine": smooth, "blank": np.full((64, 64), 128.0), "tiny": smooth[:8, :8], "wrapped": wrapped}
    problems = {name: measure.image_problem(_png(tmp_path / f"{name}.png", pixels).abs_path)
                for name, pixels in cases.items()}
    assert problems["fine"] == ""
    assert problems["blank"].startswith("the image shows no discernible content (contrast 0.0")
    assert problems["tiny"] == "the image is 8x8 pixels (at least 16 on each side)"
    assert problems["wrapped"].startswith("the image's intensities wrapped around")
    (tmp_path / "broken.png").write_bytes(b"not a picture")
    assert measure.image_problem(str(tmp_path / "broken.png")).startswith("the image does not decode")


def _wav(path: Path, samples: np.ndarray) -> str:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(np.clip(samples, -32768, 32767).astype("<i2").tobytes())
    return str(path)


def test_silent_clipped_and_too_short_recordings_are_screened_out(tmp_path):
    tone = 8000 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)
    assert measure.audio_problem(_wav(tmp_path / "tone.wav", tone), max_seconds=60) == ""
    assert measure.audio_problem(_wav(tmp_path / "silent.wav", np.zeros(16000)), max_seconds=60) == \
        "the recording is silent (-120 dBFS)"
    assert measure.audio_problem(_wav(tmp_path / "clipped.wav", tone * 8), max_seconds=60).startswith(
        "the recording is clipped (")
    assert measure.audio_problem(_wav(tmp_path / "short.wav", tone[:1600]), max_seconds=60) == \
        "the recording lasts 0.10 s (at least 0.2 s)"
    assert measure.audio_problem(_wav(tmp_path / "long.wav", tone), max_seconds=0.5) == \
        "the recording lasts 1 s (at most 0 s)"


def test_a_cell_replaces_screened_records_names_them_and_says_what_it_mended(tmp_path):
    c = card("council", {"question": ["q"], "context": ["p"], "options": ["opts"], "answer": ["a"]})
    questions = ["Where did the council meet .?", "Cound you tell me where the council met?",
                 "Where did the council meet on Monday?"]
    records = [RecordView(record_id=i, dataset_id=c.dataset_id, source_id=f"r{i}",
                          payload={"q": q, "p": f"On day {i} the council met where the mayor works.",
                                   "opts": ["the town hall", "the school"], "a": "A"})
               for i, q in enumerate(questions)]
    cell = Cell(subtask_key="s", grounding_id=1, dataset_id=c.dataset_id, dataset_slug="council", plan=_plan(),
                quota=3)
    sink = ListSink()
    report = run_cell(cell, modalities=["text"], pool=MemoryPool([(c, records)], embedder=None),
                      tools=NoMediaTools(), ledger=NullLedger(), sink=sink)
    assert (report.accepted, report.exhausted) == (2, True)
    assert sink.event_data["records_screened_out"] == {"records": [
        {"source_id": "r1", "reason": "the question fails the source screen: misspelt word 'cound' "
                                      "('could' or 'found' or 'sound'?)"}]}
    mended = next(s for s in sink.samples if s.source_id == "r0")
    assert mended.question == "Where did the council meet?"
    assert [(c.name, c.detail) for c in mended.checks[:2]] == [
        ("source_screen", "screened: question, context"), ("source_repair", "q: '.?' -> '?'")]
