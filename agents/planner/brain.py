"""What each Planner role must do, whichever engine does it. The loop (agents.planner.loop) calls
a Brain; the offline engine (agents.offline.design) and the LLM (agents.planner.llm_brain) are
the two implementations."""
from __future__ import annotations

from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from agents.types import BuildRequest, Decision, Scope, SubtaskDraft, TransformPlan


class Feedback(BaseModel):
    """What grounding or allocation tells Design about its last proposal."""

    kind: Literal["ungroundable", "allocation-gap"]
    key: str = ""  # the subtask, for ungroundable
    detail: str
    gap: int = 0


class DesignOutcome(BaseModel):
    subtasks: list[SubtaskDraft]
    decisions: list[Decision]


class CandidateView(BaseModel):
    """A candidate dataset for a subtask as the judge of transformability sees it."""

    slug: str
    name: str
    description: str
    search_score: float
    # How much its card is about what the request asks (agents.planner.search.relevance), and the
    # floor the pool's kind of relevance must reach: the offline judge's alignment is read from them.
    relevance: float = 0.0
    relevance_floor: float = 0.4
    plan: TransformPlan
    synthesis: str = ""
    usable: int
    checked: int
    failures: dict[str, int] = Field(default_factory=dict)
    examples: list[dict[str, Any]] = Field(default_factory=list)  # items the plan made in the dry run


class Judgement(BaseModel):
    """A judge's scores of one candidate, each in [0, 1]."""

    alignment: float = Field(ge=0, le=1)
    simplicity: float = Field(ge=0, le=1)
    risk: float = Field(ge=0, le=1)
    rationale: str = ""


class Brain(Protocol):
    engine: str

    def scope(self, request: BuildRequest) -> Scope:
        """Topic, modalities and keywords of the request."""

    def design(self, *, request: BuildRequest, scope: Scope, round_no: int, current: list[SubtaskDraft],
               feedback: list[Feedback]) -> DesignOutcome:
        """The next proposal: subtasks kept, revised, discarded or added, each decision with a rationale.
        The same subtasks and no feedback mean the design is stable."""

    def assess_many(self, *, request: BuildRequest,
                    batch: list[tuple[SubtaskDraft, list[CandidateView]]]) -> list[dict[str, Judgement]]:
        """For each subtask of the batch, scores of its candidates (by slug) for alignment with the
        subtask, simplicity and risk; independent, so an LLM judges them concurrently."""
