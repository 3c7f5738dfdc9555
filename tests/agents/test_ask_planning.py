"""Planning for a request's asks: grounding makes each candidate's plan into the variant the asks
require, so the coverage says `served` when the pool can serve an ask (by transformation) and
`not_served`, with the dataset's reason, when it cannot. The asks are built here with the
constructors of agents/planner/asks.py, as the request analysis states them."""
from __future__ import annotations

import pytest

from agents.offline.design import OfflineBrain
from agents.planner.asks import modality_ask, perturbation_ask
from agents.planner.loop import plan
from agents.types import Ask, BuildRequest
from tests.agents.starter import flags_dataset
from tests.agents.test_ask_operators import QUIZ, quiz_pool
from tests.agents.test_offline_engine import MemoryPool, card, record


class AskingBrain(OfflineBrain):
    """The offline brain, with the asks the request analysis would state added to its scope."""

    def __init__(self, asks: list[Ask], **kwargs) -> None:
        super().__init__(**kwargs)
        self.asks = asks

    def scope(self, request):
        """The analysis's asks, those of a kind given here replaced by the given ones."""
        scope = super().scope(request)
        given = {a.kind for a in self.asks}
        return scope.model_copy(update={"asks": [*(a for a in scope.asks if a.kind not in given), *self.asks]})


def _ask(kind: str, key: str, text: str, **params) -> Ask:
    return Ask(key=key, kind=kind, text=text, params=params)


CAPITAL = _ask("knowledge_link", "knowledge_link:capital", "its capital", field="capital", of="country")
THREE = _ask("option_count", "option_count", "three options", count=3)
LADDER = [perturbation_ask(kind, [1, 3, 5]) for kind in ("blur", "downscale", "jpeg")]
FLAGS_REQUEST = ("Can a model recognise the country of a national flag shown in a blurred, low-resolution or "
                 "JPEG-compressed image, and name its capital?")


@pytest.fixture(scope="module")
def world_flags(tmp_path_factory):
    return flags_dataset(tmp_path_factory.mktemp("starter"))


def _coverage(result) -> dict[str, tuple[str, int, str]]:
    return {c.key: (c.status, c.samples, c.reason) for c in result.coverage}


def test_the_flags_request_is_served_in_full_capital_ladder_and_option_count(world_flags):
    c, recs = world_flags
    asks = [modality_ask("image"), CAPITAL, THREE, *LADDER]
    result = plan(BuildRequest(text=FLAGS_REQUEST, target_size=18), MemoryPool([(c, recs)]), AskingBrain(asks))

    assert result.end_state == "ok", result.reason
    (subtask,) = result.subtasks
    (grounding,) = subtask.groundings
    assert (grounding.dataset_slug, grounding.quota) == ("world-flags", 18)
    assert grounding.serves == ["input:image", "knowledge_link:capital", "option_count", "perturbation:blur",
                                "perturbation:downscale", "perturbation:jpeg"]
    assert {key: status for key, status in ((c.key, c.status) for c in result.coverage)} == {
        "capability:visual-geography": "served", "input:image": "served", "knowledge_link:capital": "served",
        "option_count": "served", "perturbation:blur": "served", "perturbation:downscale": "served",
        "perturbation:jpeg": "served"}
    assert [op.op for op in grounding.plan.operators] == [
        "read_text", "link_question", "distractors_from_bank", "limit_options", "balance_positions", "attach_media",
        "degrade_image"]
    assert grounding.plan.template == ("answer_bank_choices+capital_of_country+3options+blur1,blur3,blur5,downscale1,"
                                       "downscale3,downscale5,jpeg1,jpeg3,jpeg5")


def test_asks_the_pool_cannot_serve_are_listed_with_each_datasets_reason(world_flags):
    c, recs = world_flags
    population = _ask("knowledge_link", "knowledge_link:population", "its population", field="population",
                      of="country")
    asks = [population, perturbation_ask("audio_noise", [1, 3]), _ask("option_count", "option_count", "seven options",
                                                                        count=7), perturbation_ask("blur", [2])]
    result = plan(BuildRequest(text=FLAGS_REQUEST, target_size=10), MemoryPool([(c, recs)]), AskingBrain(asks))

    assert result.end_state == "partial"
    coverage = _coverage(result)
    assert coverage["knowledge_link:population"] == (
        "not_served", 0, "world-flags: neither its card nor its records have a population field")
    assert coverage["perturbation:audio_noise"] == (
        "not_served", 0, "world-flags: its items carry no recording to mix noise into")
    assert coverage["option_count"] == ("not_served", 0, "world-flags: items have at most 5 options")
    assert coverage["perturbation:blur"] == ("served", 10, "")
    assert result.reason.startswith("its population: not served (world-flags: neither its card nor its records have "
                                    "a population field)")


def test_a_text_quiz_is_served_with_its_questions_spoken_when_the_question_must_be_speech():
    c, recs = quiz_pool(QUIZ * 4)
    spoken = _ask("question_modality", "question:speech", "the question only as speech", modality="speech")
    request = BuildRequest(text="Can a model answer general quiz questions when each question is only spoken?",
                           target_size=6)
    result = plan(request, MemoryPool([(c, recs)]), AskingBrain([spoken]))

    assert result.end_state == "ok", result.reason
    (subtask,) = result.subtasks
    assert subtask.modalities == ["audio", "text"]
    (grounding,) = subtask.groundings
    assert (grounding.dataset_slug, grounding.synthesis) == ("quiz", "spoken_question")
    assert grounding.serves == ["input:audio", "question:speech"]
    assert _coverage(result)["question:speech"] == ("served", 6, "")
    assert "speak_text" in [op.op for op in grounding.plan.operators]


def test_a_text_quiz_is_served_with_its_questions_as_images_when_the_question_must_be_read():
    c, recs = quiz_pool(QUIZ * 4)
    shown = _ask("question_modality", "question:image", "the question only as an image", modality="image")
    request = BuildRequest(text="Can a model answer general quiz questions shown only as an image of text?",
                           target_size=6)
    result = plan(request, MemoryPool([(c, recs)]), AskingBrain([shown]))

    assert result.end_state == "ok", result.reason
    (grounding,) = result.subtasks[0].groundings
    assert (grounding.dataset_slug, grounding.synthesis) == ("quiz", "render")
    assert grounding.serves == ["input:image", "question:image"]
    assert [op.params.get("fields") for op in grounding.plan.operators if op.op == "render_text_image"] == [["question"]]


def test_without_the_question_ask_a_spoken_request_finds_no_text_quiz():
    """The text-quiz route opens only when the question itself must be spoken (before: never)."""
    c, recs = quiz_pool(QUIZ * 4)
    request = BuildRequest(text="Can a model answer general quiz questions when each question is only spoken?",
                           target_size=6)
    result = plan(request, MemoryPool([(c, recs)]), AskingBrain([]))
    assert result.end_state == "ungroundable"


def test_an_option_count_a_yes_no_dataset_cannot_give_is_not_served():
    c = card("parity", {"question": ["q"], "answer": ["a"]}, name="Parity questions",
             description="Is the number even? Yes or no questions about numbers.")
    recs = [record(i, {"q": f"Is the number {i} even?", "a": "yes" if i % 2 == 0 else "no"}, c.dataset_id)
            for i in range(12)]
    four = _ask("option_count", "option_count", "four options", count=4)
    result = plan(BuildRequest(text="Is the number even? Yes or no questions about numbers", target_size=6),
                  MemoryPool([(c, recs)]), AskingBrain([four]))
    assert result.end_state == "partial"
    assert _coverage(result)["option_count"] == (
        "not_served", 0, "parity: its answers take only 2 distinct values; 4 options need 4")


def test_reading_text_in_images_renders_the_questions_of_a_quiz_without_passages():
    c, recs = quiz_pool(QUIZ * 4)
    reading = _ask("capability", "capability:reading", "reading text in images", capability="document-image-reading")
    request = BuildRequest(text="Can a model read quiz questions printed in scanned images of text?", target_size=6)
    result = plan(request, MemoryPool([(c, recs)]), AskingBrain([reading]))

    assert result.end_state == "ok", result.reason
    (subtask,) = result.subtasks
    (grounding,) = subtask.groundings
    assert (subtask.key, grounding.dataset_slug, grounding.synthesis) == ("document-image-reading", "quiz", "render")
    assert [op.params.get("fields") for op in grounding.plan.operators if op.op == "render_text_image"] == [["question"]]
    assert _coverage(result) == {"capability:reading": ("served", 6, ""), "input:image": ("served", 6, "")}


def test_a_text_quiz_to_be_spoken_is_measured_against_text_cards_not_against_recordings():
    """A recordings card names speech and wins on words; the quiz never mentions the recording it
    will become, so it is held to the relative floor among the text cards (as pages to render are)."""
    c, recs = quiz_pool(QUIZ * 4)
    recordings = card("spoken-quiz", {"audio": ["input.audio"], "question": ["input.question"],
                                      "answer": ["output.text"]}, modalities=("audio", "text"), name="Spoken questions",
                      description="General quiz questions, each question only spoken: can a model answer spoken "
                                  "general quiz questions? Spoken quiz.")
    unusable = [record(i, {"input": {"audio": f"{i}.wav", "question": "What is said?"}, "output": {"text": f"w{i}"}},
                       recordings.dataset_id) for i in range(10)]  # no media files: its plan yields nothing
    spoken = _ask("question_modality", "question:speech", "the question only as speech", modality="speech")
    request = BuildRequest(text="Can a model answer general quiz questions when each question is only spoken?",
                           target_size=6)
    result = plan(request, MemoryPool([(c, recs), (recordings, unusable)]), AskingBrain([spoken]))

    assert result.end_state == "ok", result.reason
    first = next(step for step in result.trace if step["step"] == "grounding")
    by_route = {(e["dataset"], e["synthesis"]): e for e in first["candidates"]}
    assert by_route[("spoken-quiz", "")]["fit"] > by_route[("quiz", "spoken_question")]["fit"]
    assert by_route[("quiz", "spoken_question")].get("kept") is True


def test_a_request_in_two_parts_gets_one_subtask_per_part_each_on_its_own_medium(tmp_path_factory):
    """No one skill takes images and recordings: the handwritten digits part is planned on images
    only, the spoken letters part on recordings only, and each medium is served in full by its part."""
    from tests.agents.starter import starter_dataset

    out = tmp_path_factory.mktemp("parts")
    digits = starter_dataset(out, "digits", slug="handwritten-digits", dataset_id=21, media_path="input.image_file",
                             kind="image")
    letters = starter_dataset(out, "spoken_letters", slug="klettres-spoken-letters", dataset_id=22,
                              media_path="input.audio_file", kind="audio")
    request = BuildRequest(text="A two-part benchmark for a multimodal model: recognise handwritten digits in small "
                                "scanned images, and recognise which letter a speaker says in short recordings.",
                           target_size=20)
    result = plan(request, MemoryPool([digits, letters]), OfflineBrain())

    assert result.end_state == "ok", result.reason
    assert sorted((s.key, tuple(s.modalities), tuple(g.dataset_slug for g in s.groundings))
                  for s in result.subtasks) == [
        ("handwriting-recognition", ("image", "text"), ("handwritten-digits",)),
        ("speech-recognition", ("audio", "text"), ("klettres-spoken-letters",))]
    coverage = _coverage(result)
    parts = {s.key: s.quota for s in result.subtasks}
    assert coverage["input:image"] == ("served", parts["handwriting-recognition"], "")
    assert coverage["input:audio"] == ("served", parts["speech-recognition"], "")
    assert sum(parts.values()) == 20
