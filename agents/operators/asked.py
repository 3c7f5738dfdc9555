"""Operators that make items the way a request's asks require, beyond what the source gives:

- `link_question`: a second hop (a knowledge link). The item shows what the record is about (a
  flag) and asks for another field of the same record (the capital of the country whose flag it
  is); the answer is that field's value, and `distractors_from_bank` then draws the distractors
  from the other records' values of the same field (capitals for a capital: type-matched).
- `limit_options`: exactly `count` options, the key and count - 1 of the distractors (a seeded
  choice), or the record is not usable for this plan.

Each declares what it reads and writes like every operator; the planner adds them
(agents.planner.variants) and coverage reads them (coverage.plan_serves)."""
from __future__ import annotations

from typing import Any

from agents.operators import Draft, ItemContext, OperatorError, answer_values, get_path, operator, normalise
from agents.types import RecordView


def link_wording(question: str, *, field: str, of: str) -> str:
    """The second-hop question: the source's question, then what to answer instead of it."""
    question = " ".join(question.split())
    if question and question[-1] not in ".?!:":
        question += "."
    return f"{question} Give the {field} of that {of}, not the {of} itself.".strip()


@operator("link_question")
def _link_question(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    """The question asks for the linked field (`path`, named `field`) of the `of` the source's
    question is about; the accepted answers are the record's value of that field."""
    values = answer_values(get_path(record.payload, params["path"]))
    if not values:
        raise OperatorError(f"{params['path']} holds no {params['field']}")
    source_answers = {normalise(a) for a in answer_values(get_path(record.payload, params.get("answer_path", "")))}
    if normalise(values[0]) in source_answers:
        raise OperatorError(f"the {params['field']} is the {params['of']} itself; no second hop to ask")
    draft["question"] = link_wording(draft.get("question", ""), field=params["field"], of=params["of"])
    draft["accepted_answers"] = values


@operator("limit_options")
def _limit_options(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    """Exactly `count` options: the key and a seeded choice of count - 1 distractors."""
    count = int(params["count"])
    options, key = list(draft.get("options") or []), draft.get("answer_index")
    if key is None or not 0 <= key < len(options):
        raise OperatorError("no keyed option to keep")
    if len(options) < count:
        raise OperatorError(f"the record gives {len(options)} options; {count} are asked")
    distractors = [i for i in range(len(options)) if i != key]
    ctx.rng.shuffle(distractors)
    kept = sorted([key, *distractors[:count - 1]])
    draft["options"] = [options[i] for i in kept]
    draft["answer_index"] = kept.index(key)
