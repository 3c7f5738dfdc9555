"""The LLM judge (role "judge"): the six rubric files and the frame prompt in prompts/, items
batched several to a call (an item with an image or recording goes alone, the media attached as
content parts), calls in flight concurrently through LLM.submit. Each reply is validated against
JudgeReply; an item missing from a reply is judged again alone once, then left not scored."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from string import Template
from typing import Any

from pydantic import BaseModel, Field

from agents.executor.llm_checks import media_parts
from agents.judge import DIMENSIONS, JudgeItem, Judgement, Score, not_scored
from agents.llm import LLMError, LLMRequest, fence_data
from agents.ports import LLM

PROMPTS = Path(__file__).with_name("prompts")
LETTERS = "ABCDEFGH"


class DimensionReply(BaseModel):
    score: int = Field(ge=0, le=100)
    rationale: str = Field(max_length=800)


class ItemReply(BaseModel):
    item: str = Field(description="The item id as given (i1, i2, ...).")
    UIA: DimensionReply
    FSQ: DimensionReply
    QAC: DimensionReply
    CQC: DimensionReply
    TSD: DimensionReply
    SSC: DimensionReply
    Overall: DimensionReply


class JudgeReply(BaseModel):
    items: list[ItemReply]


def rubric() -> str:
    return "\n\n".join((PROMPTS / "rubric" / f"{d}.md").read_text(encoding="utf-8").strip() for d in DIMENSIONS)


def _item_text(item: JudgeItem) -> str:
    lines = [f"Question: {item.question}"]
    if item.context:
        lines.append(f"Context: {item.context}")
    if item.options:
        lines.append("Options:\n" + "\n".join(f"{LETTERS[i]}. {o}" for i, o in enumerate(item.options)))
        key = LETTERS[item.answer_index] if item.answer_index is not None and item.answer_index < len(item.options) else "?"
        lines.append(f"Keyed answer: {key}. {item.answer}")
    else:
        lines.append(f"Reference answer: {item.answer}")
    lines.append(f"Answer type: {item.answer_type}")
    if item.media:
        lines.append("Attached: " + ", ".join(sorted({m.kind for m in item.media})))
    return "\n".join(lines)


def judge_prompt(items: list[JudgeItem]) -> list[dict[str, Any]]:
    intents = sorted({item.intent for item in items if item.intent})
    blocks = "\n\n".join(fence_data(f"item i{n}", _item_text(item)) for n, item in enumerate(items, 1))
    text = Template((PROMPTS / "judge.md").read_text(encoding="utf-8")).substitute(
        rubric=rubric(), intent=fence_data("intent", "\n\n".join(intents) or "(not given)"), items=blocks)
    media = [part for item in items for part in media_parts(item)]
    return [{"role": "system", "content": "You judge the quality of benchmark items, strictly and consistently."},
            {"role": "user", "content": [{"type": "text", "text": text}, *media] if media else text}]


def batches(items: Iterable[JudgeItem], size: int) -> Iterator[list[JudgeItem]]:
    """Text items `size` to a batch; an item with media alone (its attachments must not mix)."""
    batch: list[JudgeItem] = []
    for item in items:
        if item.media:
            yield [item]
            continue
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _request(batch: list[JudgeItem]) -> LLMRequest:
    return LLMRequest(judge_prompt(batch), JudgeReply, "judge", batch[0].item_key if len(batch) == 1 else "")


def _read(batch: list[JudgeItem], reply: JudgeReply, model: str) -> tuple[list[Judgement], list[JudgeItem]]:
    by_id = {r.item.strip().lower(): r for r in reply.items}
    judged, missing = [], []
    for n, item in enumerate(batch, 1):
        got = by_id.get(f"i{n}")
        if got is None:
            missing.append(item)
            continue
        judged.append(Judgement(item_key=item.item_key, judge=model, scores={
            d: Score(score=float(getattr(got, d).score), rationale=" ".join(getattr(got, d).rationale.split()))
            for d in (*DIMENSIONS, "Overall")}))
    return judged, missing


def judge_with_llm(items: list[JudgeItem], *, llm: LLM, model: str, batch_size: int = 4, window: int = 16,
                   on_judgement: Callable[[Judgement], None]) -> None:
    """Judge every item, calling on_judgement with each result as it comes (not scored, with the
    reason, when the model could not be asked or left the item out twice)."""
    queue: list[tuple[list[JudgeItem], bool]] = [(b, False) for b in batches(items, batch_size)]
    in_flight: list[tuple[list[JudgeItem], bool, Any]] = []
    while queue or in_flight:
        while queue and len(in_flight) < window:
            batch, retry = queue.pop(0)
            in_flight.append((batch, retry, llm.submit(_request(batch))))
        ready = next((entry for entry in in_flight if llm.done(entry[2])), in_flight[0])
        in_flight.remove(ready)
        batch, retry, handle = ready
        try:
            result = llm.result(handle)
        except LLMError as exc:
            for item in batch:
                on_judgement(not_scored(item.item_key, model, f"the judge call failed: {exc}"))
            continue
        judged, missing = _read(batch, result.value, model)
        for judgement in judged:
            on_judgement(judgement)
        for item in missing:
            if retry or len(batch) == 1:
                on_judgement(not_scored(item.item_key, model, "the judge's reply left this item out"))
            else:
                queue.append(([item], True))
