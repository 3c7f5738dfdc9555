"""Verification with an LLM, two checks (role "verify", recorded in the ledger; the executor submits
the calls, budget checked first, several in flight: agents.executor.cell):

- target-signal dependency: an item that carries an image or a recording must need it. The model
  is asked the question with everything but the media; if it still picks the keyed option, the
  item does not test the media and is rejected.
- ambiguity: the model sees the whole item, media included (images as image parts, recordings as
  input-audio parts, so the verify role needs a model that takes them), without the key, and lists
  every option that answers the question correctly. The key missing from its list rejects the
  item; other options listed beside the key are ambiguous, and the executor repairs the item by
  dropping them (agents.executor.repair) when a distractor remains.

Options are shown in an order shuffled per item (seeded), so a model's favourite letter decides
nothing."""
from __future__ import annotations

import base64
import mimetypes
import random
import re
from pathlib import Path
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from agents.llm import LLMError, LLMRequest, LLMUnavailableError, fence_data
from agents.ports import LLM
from agents.types import Check, SampleDraft

LETTERS = "ABCDEFGH"


class BlindAnswer(BaseModel):
    letter: str = Field(min_length=1, max_length=3, description="The letter of the chosen option.")


def blind_order(draft: SampleDraft, salt: str = "blind") -> list[int]:
    """The options' order in a verification prompt: shuffled (seeded by the item), so a model's
    favourite letter does not decide which answer positions get rejected."""
    order = list(range(len(draft.options)))
    random.Random(f"{salt}:{draft.item_key}").shuffle(order)
    return order


def _item_text(draft: SampleDraft, order: list[int]) -> str:
    options = "\n".join(f"{LETTERS[shown]}. {draft.options[i]}" for shown, i in enumerate(order))
    return f"Question: {draft.question}\n" + (f"Context: {draft.context}\n" if draft.context else "") + \
        f"Options:\n{options}"


def blind_prompt(draft: SampleDraft) -> list[dict[str, str]]:
    media = sorted({m.kind for m in draft.media})
    item = _item_text(draft, blind_order(draft))
    return [
        {"role": "system", "content": "You answer multiple-choice questions. When you cannot know the answer, "
                                      "give your best guess anyway."},
        {"role": "user", "content": f"The item refers to {' and '.join(media)} you cannot see or hear. "
                                    "Pick the most likely option and reply with its letter.\n"
                                    + fence_data("item", item)},
    ]


def _judge(draft: SampleDraft, reply) -> Check:
    if isinstance(reply, LLMError):
        return Check(name="target_signal_dependency", ok=False, detail=f"the blind check could not run: {reply}")
    letter = re.sub(r"[^A-H]", "", reply.value.letter.upper())[:1]
    keyed = LETTERS[blind_order(draft).index(draft.answer_index or 0)]
    if letter == keyed:
        return Check(name="target_signal_dependency", ok=False,
                     detail=f"answered {letter} (the key) without the {'/'.join(sorted({m.kind for m in draft.media}))}")
    return Check(name="target_signal_dependency", ok=True,
                 detail=f"without the media the model answered {letter or '?'}; the key is {keyed}")


def blind_request(draft: SampleDraft) -> LLMRequest:
    return LLMRequest(blind_prompt(draft), BlindAnswer, "verify", draft.item_key)


def take(llm: LLM, handle) -> Any:
    """A submitted call's result, or its LLMError (recorded in the ledger either way)."""
    try:
        return llm.result(handle)
    except LLMError as exc:
        return exc


def service_down(outcome: Any) -> bool:
    """The call failed because the endpoint was unreachable or kept failing, not because of what it
    said: no verdict on the item (a refusal of the request is not an outage)."""
    return isinstance(outcome, LLMUnavailableError) and not outcome.refused


def blind_check_finish(draft: SampleDraft, reply: Any) -> Check:
    """The blind check of a call's outcome (take(llm, llm.submit(blind_request(draft))))."""
    return _judge(draft, reply)


# --- ambiguity -----------------------------------------------------------------------------------

class ItemReview(BaseModel):
    correct: list[str] = Field(description="The letter of every option that correctly answers the question.")
    reason: str = Field(default="", max_length=1000, description="One or two sentences: why.")


@lru_cache(maxsize=len(LETTERS))
def item_review_schema(options: int) -> type[ItemReview]:
    """The review of an item with this many options: its letters are the only ones a reply may name
    (an enum the server's grammar holds the model to), each at most once."""
    letters = tuple(LETTERS[:max(1, options)])
    return create_model(f"ItemReview{len(letters)}", __base__=ItemReview,
                        correct=(list[Literal[letters]], Field(max_length=len(letters), description=(
                            "The letter of every option that correctly answers the question."))))


def media_parts(draft: SampleDraft) -> list[dict[str, Any]]:
    """The item's media as OpenAI content parts: images as data URLs, recordings as input audio."""
    parts: list[dict[str, Any]] = []
    for ref in draft.media:
        data = base64.b64encode(Path(ref.abs_path).read_bytes()).decode("ascii")
        if ref.kind == "image":
            mime = mimetypes.guess_type(ref.abs_path)[0] or "image/png"
            parts.append({"type": "image_url", "image_url": {"url": f"data:{mime};base64,{data}"}})
        else:
            fmt = Path(ref.abs_path).suffix.lstrip(".").lower() or "wav"
            parts.append({"type": "input_audio", "input_audio": {"data": data, "format": fmt}})
    return parts


def ambiguity_prompt(draft: SampleDraft) -> list[dict[str, Any]]:
    item = _item_text(draft, blind_order(draft, "ambiguity"))
    media = sorted({m.kind for m in draft.media})
    seen = f" Its {' and '.join(media)} {'is' if len(draft.media) == 1 else 'are'} attached." if media else ""
    text = ("Check this multiple-choice benchmark item." + seen + " List the letter of every option that "
            "correctly answers the question (a good item has exactly one), and say why.\n" + fence_data("item", item))
    return [
        {"role": "system", "content": "You review benchmark items for correctness and ambiguity. Judge by the "
                                      "question, its context, any attached image or recording, and common "
                                      "knowledge; an option counts only if a careful expert would accept it."},
        {"role": "user", "content": [{"type": "text", "text": text}, *media_parts(draft)] if media else text},
    ]


def ambiguity_request(draft: SampleDraft) -> LLMRequest:
    return LLMRequest(ambiguity_prompt(draft), item_review_schema(len(draft.options)), "verify", draft.item_key)


def ambiguity_finish(draft: SampleDraft, outcome: Any) -> tuple[Check, set[int]]:
    """The ambiguity check of a call's outcome, and the indices of the options that the model found
    correct besides the key (the ones a repair drops). A reply naming an option the item does not
    have is no verdict on the item: the check did not run."""
    if isinstance(outcome, LLMError):
        return Check(name="ambiguity", ok=False, detail=f"the ambiguity check could not run: {outcome}"), set()
    reply = outcome.value
    order = blind_order(draft, "ambiguity")
    shown = {re.sub(r"[^A-H]", "", letter.upper())[:1] for letter in reply.correct} - {""}
    missing = sorted(letter for letter in shown if LETTERS.index(letter) >= len(order))
    if missing:
        return Check(name="ambiguity", ok=False,
                     detail=f"the ambiguity check could not run: the verifier named {', '.join(missing)}, which the "
                            f"item does not have (options A-{LETTERS[len(order) - 1]}); no verdict"), set()
    picked = {order[LETTERS.index(letter)] for letter in shown}
    keyed = draft.answer_index or 0
    key_letter = LETTERS[order.index(keyed)]
    reason = " ".join(reply.reason.split())[:300]
    if keyed not in picked:
        return Check(name="answer_correct", ok=False,
                     detail=f"the verifier found {', '.join(sorted(shown)) or 'no option'} correct, not the key "
                            f"{key_letter}: {reason}"), set()
    others = picked - {keyed}
    if others:
        return Check(name="ambiguity", ok=False,
                     detail=f"besides the key {key_letter}, {', '.join(sorted(shown - {key_letter}))} also "
                            f"answer the question: {reason}"), others
    return Check(name="ambiguity", ok=True, detail=f"only the key {key_letter} answers the question"), set()
