"""The item author: with an LLM, the model chooses and parameterises up to three steps per sample
within the approved plan; each step is checked when applied and rolled back when it breaks the
item; a tuned tool step makes the item again with the real tools."""
from __future__ import annotations

from agents.executor.author import AuthorReply, AuthorStep, author_prompt
from agents.executor.cell import run_cell
from agents.executor.llm_checks import BlindAnswer, ItemReview
from agents.llm import LLMUnavailableError
from agents.tools.media import LocalTools
from tests.agents.test_offline_engine import ListSink, NullLedger
from tests.agents.test_repair import READING, FakeLLM, _cell, _NoTools, _pool, _reading_plan

QUESTION_PLAN = _reading_plan("blur", 1)[1:2] + _reading_plan("blur", 1)[4:]


def _items(n: int) -> list[dict]:
    return [{"input": {"question": f"Which place is the capital of country {i}?",
                       "options": [f"City {i}", f"Town {i}", f"Village {i}"]}, "output": {"answer": "A"}}
            for i in range(n)]


KEYS = {"City 0", "City 1", "City 2", "In the spring"}  # what a faithful reviewer finds correct


class _Model(FakeLLM):
    """The author's steps per item key, and a reviewer that finds only the key correct."""

    def __init__(self, steps_by_item: dict[str, list[AuthorStep] | Exception]) -> None:
        super().__init__()
        self.steps_by_item = steps_by_item

    def reply(self, request):
        if request.schema is AuthorReply:
            steps = self.steps_by_item.get(request.item_key, [])
            return steps if isinstance(steps, Exception) else AuthorReply(steps=steps)
        if request.schema is BlindAnswer:
            return BlindAnswer(letter="H")  # no option: it cannot tell without the image
        text = request.messages[-1]["content"]
        text = text if isinstance(text, str) else text[0]["text"]
        return ItemReview(correct=[next(line[0] for line in text.splitlines()
                                        if line[1:3] == ". " and line[3:] in KEYS)])


def _run(steps_by_item, n=3, operators=QUESTION_PLAN, tools=None, payloads=None, modalities=("text",)):
    model, sink = _Model(steps_by_item), ListSink()
    cell = _cell(operators, quota=n).model_copy(update={"intent": "Request: capitals of the world"})
    run_cell(cell, modalities=list(modalities), pool=_pool(payloads or _items(n)), tools=tools or _NoTools(),
             ledger=NullLedger(), sink=sink, llm=model)
    return {s.item_key: s for s in sink.samples}, model


def _notes(sample) -> list[str]:
    return [c.detail for c in sample.checks if c.name == "author"]


def test_the_author_rewrites_writes_context_and_replaces_a_distractor_each_checked():
    samples, model = _run({
        "s/d/r0": [AuthorStep(action="rewrite_question", text="Which place is the seat of government of country 0?",
                              rationale="sharper"),
                   AuthorStep(action="write_context", text="Country 0 moved its government in 1990."),
                   AuthorStep(action="replace_distractor", option="B", text="Old Town 0")],
        "s/d/r1": [AuthorStep(action="keep")],
    })
    first = samples["s/d/r0"]
    assert (first.status, first.engine) == ("ok", "llm")
    assert first.question == "Which place is the seat of government of country 0?"
    assert first.context == "Country 0 moved its government in 1990."
    assert first.options == ["City 0", "Old Town 0", "Village 0"] and first.answer == "City 0"
    assert first.operators[-3:] == ["author:rewrite_question", "author:write_context", "author:replace_distractor"]
    assert _notes(first) == ["applied rewrite_question (sharper)", "applied write_context",
                             "applied replace_distractor"]
    kept = samples["s/d/r1"]
    assert (kept.status, kept.engine, kept.question) == ("ok", "offline", "Which place is the capital of country 1?")
    assert _notes(kept) == ["kept as the plan made it"]
    # The author sees the key and the source record, fenced as data; the reviewer sees neither.
    author_text = next(r for r in model.requests if r.schema is AuthorReply and r.item_key == "s/d/r0").messages[1]
    assert "Key: A" in author_text["content"] and '"question": "Which place is the capital of country 0?"' in \
        author_text["content"] and "<<<DATA label=\"source record\"" in author_text["content"]
    assert all("Key:" not in str(r.messages) for r in model.requests if issubclass(r.schema, ItemReview))


def test_a_step_that_breaks_the_item_is_rolled_back_and_the_others_stay():
    samples, _ = _run({
        "s/d/r0": [AuthorStep(action="rewrite_question", text="Is City 0 the capital of country 0?"),
                   AuthorStep(action="replace_distractor", option="C", text="Town 0")],
        "s/d/r1": [AuthorStep(action="replace_distractor", option="A", text="Nowhere"),
                   AuthorStep(action="write_context", text="x"),
                   AuthorStep(action="tune", tool="degrade_image", value=2)],
        "s/d/r2": LLMUnavailableError("the endpoint kept failing", attempts=2),
    })
    leaked = samples["s/d/r0"]
    assert (leaked.status, leaked.question, leaked.options) == (
        "ok", "Which place is the capital of country 0?", ["City 0", "Town 0", "Village 0"])
    assert _notes(leaked) == [
        "rewrite_question rolled back: answer_leakage: the answer is written in the question or context",
        "replace_distractor rolled back: one_correct_option: two options are the same"]
    assert "author:" not in " ".join(leaked.operators) and leaked.engine == "offline"
    refused = samples["s/d/r1"]
    assert _notes(refused) == ["tune refused: the plan has no degrade_image step",  # tool steps go first
                               "replace_distractor refused: option 'A' is not a distractor of this item",
                               "write_context refused: a context must have 5 to 1000 characters"]
    failed = samples["s/d/r2"]
    assert failed.status == "ok" and _notes(failed) == [
        "the author call failed, the item stays as the plan made it: the endpoint kept failing"]


def test_a_tuned_tool_step_makes_the_item_again_with_the_real_tools(tmp_path):
    payload = READING
    samples, model = _run({"s/d/r0": [AuthorStep(action="tune", tool="degrade_image", value=1, rationale="small print"),
                                      AuthorStep(action="tune", tool="degrade_image", value=9)]},
                          n=1, operators=_reading_plan("blur", 3), tools=LocalTools(media_root=tmp_path),
                          payloads=[payload], modalities=("image", "text"))
    (sample,) = samples.values()
    assert (sample.status, sample.engine) == ("ok", "llm"), sample.rejected_reasons
    assert _notes(sample) == ["applied: degrade_image severity set to 1 (small print)",
                              "tune refused: severity 9 is outside 1..5"]
    assert len(sample.superseded) == 1  # the blur-3 image the plan made first
    assert sample.superseded[0].sha256 != sample.media[0].sha256
    # The author was shown the page it can see as an image part, and told what the page says.
    request = next(r for r in model.requests if r.schema is AuthorReply)
    parts = request.messages[1]["content"]
    assert parts[1]["type"] == "image_url" and "The attached image shows this text: The committee met" in parts[0]["text"]
    assert "tune (tool=degrade_image, value): set severity of the plan's degrade_image step, from 1 to 5." in \
        parts[0]["text"]


def test_the_author_prompt_names_only_the_tool_steps_the_plan_has():
    from agents.types import SampleDraft

    draft = SampleDraft(item_key="k", subtask_key="s", grounding_id=1, record_id=1, source_id="r", question="Q?",
                        options=["a", "b"], answer_index=1, answer="b")
    plan = _cell(QUESTION_PLAN).plan
    text = author_prompt(draft, intent="i", plan=plan, record_payload="{}")[1]["content"]
    assert "tune (tool=" not in text and "Key: B" in text


def test_a_question_shown_only_in_the_image_is_not_rewritten_and_the_items_ladder_rung_is_tuned(tmp_path):
    from tests.agents.test_repair import _op

    operators = [_op("read_text", ["input.passage"], ["context"], path="input.passage", into="context"),
                 _op("read_text", ["input.question"], ["question"], path="input.question", into="question"),
                 _op("render_text_image", ["context", "question"], ["media", "context", "question"],
                     fields=["context", "question"]),
                 _op("degrade_image", ["media"], ["media"], ladder=[{"kind": "blur", "severity": 3},
                                                                    {"kind": "jpeg", "severity": 5}]),
                 _op("options_from_list", ["input.options"], ["options"], path="input.options"),
                 _op("answer_from_letter", ["output.answer"], ["answer_index"], path="output.answer")]
    samples, _ = _run({"s/d/r0": [AuthorStep(action="rewrite_question", text="When does the new library open?"),
                                  AuthorStep(action="tune", tool="degrade_image", value=1)]},
                      n=1, operators=operators, tools=LocalTools(media_root=tmp_path), payloads=[READING],
                      modalities=("image", "text"))
    (sample,) = samples.values()
    assert sample.status == "ok", sample.rejected_reasons
    assert _notes(sample) == ["applied: degrade_image severity set to 1",
                              "rewrite_question refused: the question is the one shown in the image"]
    # The first item's rung (blur 3) is what the author tuned: the sample has blur at 1.
    assert sample.conditions == [{"kind": "blur", "severity": 1}]
    assert sample.question == "Read the question in the image and answer it."
