"""Evaluating a target model on a benchmark version, in plain Python: the prompt each item is
asked with (images as image content parts, recordings as input-audio parts), the scoring of a
reply (choice-letter extraction, normalised exact match, a list of acceptable answers; free text
that matches none is left to the judge), the concurrent run, and the statistics of the results
(bootstrap confidence intervals, chance level, ranking stability, scaling, saturation)."""
from __future__ import annotations

from pydantic import BaseModel, Field

from agents.types import ItemContent, MediaRef


class EvalItem(ItemContent):
    item_key: str
    subtask: str
    media: list[MediaRef] = Field(default_factory=list)


class EvalAnswer(BaseModel):
    item_key: str
    raw: str = ""
    parsed: str = ""
    # None: not decided here (free text matching no accepted answer: the judge decides), or the call failed.
    correct: bool | None = None
    method: str = Field(default="", description="letter, exact, accepted, judge, or error")
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: int = 0
    error: str = ""
