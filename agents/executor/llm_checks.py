"""Verification with an LLM: target-signal dependency. An item that carries an image or a recording
must need it: the model is asked the question with everything but the media; if it still picks the
keyed option, the item does not test the media and is rejected. The executor submits the calls
(agents.executor.cell: budget checked first, several in flight) and they are recorded in the ledger
(role "verify")."""
from __future__ import annotations

import random
import re

from pydantic import BaseModel, Field

from agents.llm import LLMError, LLMRequest, fence_data
from agents.ports import LLM
from agents.types import Check, SampleDraft

LETTERS = "ABCDEFGH"


class BlindAnswer(BaseModel):
    letter: str = Field(min_length=1, max_length=3, description="The letter of the chosen option.")


def blind_order(draft: SampleDraft) -> list[int]:
    """The options' order in the blind prompt: shuffled (seeded by the item), so a model's favourite
    letter does not decide which answer positions get rejected."""
    order = list(range(len(draft.options)))
    random.Random(f"blind:{draft.item_key}").shuffle(order)
    return order


def blind_prompt(draft: SampleDraft) -> list[dict[str, str]]:
    media = sorted({m.kind for m in draft.media})
    options = "\n".join(f"{LETTERS[shown]}. {draft.options[i]}" for shown, i in enumerate(blind_order(draft)))
    item = f"Question: {draft.question}\n" + (f"Context: {draft.context}\n" if draft.context else "") + \
        f"Options:\n{options}"
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


def blind_check_finish(draft: SampleDraft, *, llm: LLM, handle) -> Check:
    """The blind check of a submitted call (LLM.submit(blind_request(draft)))."""
    try:
        reply = llm.result(handle)
    except LLMError as exc:
        return _judge(draft, exc)
    return _judge(draft, reply)
