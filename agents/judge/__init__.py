"""The judge: scores benchmark items on the paper's six dimensions (UIA, FSQ, QAC, CQC, TSD, SSC),
each 0-100 with a rationale, plus an Overall.

Two judges, kept apart in what they store:
- `rules` (offline, deterministic): scores only what rules can see — format and schema quality
  (FSQ), and the parts of question-answer coherence (QAC) and context-question correspondence (CQC)
  that are visible in the text. Every other dimension, and Overall, is *not scored* (None), never a
  guessed number.
- the LLM judge (role "judge"): the rubric prompts in prompts/ (one file per dimension), items
  batched several to a call (an item with media goes alone, its image or recording attached) and
  calls in flight concurrently; an item the model left out or a call that failed is not scored.
"""
from __future__ import annotations

from pydantic import BaseModel, Field

from agents.types import ItemContent, MediaRef

DIMENSIONS = ("UIA", "FSQ", "QAC", "CQC", "TSD", "SSC")
ALL_DIMENSIONS = (*DIMENSIONS, "Overall")
RULES = "rules"


class JudgeItem(ItemContent):
    item_key: str
    media: list[MediaRef] = Field(default_factory=list)
    intent: str = Field(default="", description="The request and the subtask the item was made for.")


class Score(BaseModel):
    score: float | None = Field(description="0-100; None when this judge cannot score the dimension.")
    rationale: str = ""


class Judgement(BaseModel):
    item_key: str
    judge: str = Field(description='"rules", or the model that judged.')
    scores: dict[str, Score]
    error: str = ""


def not_scored(item_key: str, judge: str, why: str) -> Judgement:
    return Judgement(item_key=item_key, judge=judge, error=why,
                     scores={d: Score(score=None, rationale=f"not scored: {why}") for d in ALL_DIMENSIONS})
