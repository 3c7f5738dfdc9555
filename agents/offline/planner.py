"""The offline Planner: the closed planning loop (agents.planner.loop) with the offline brain."""
from __future__ import annotations

from agents.offline.design import MAX_SUBTASKS, OfflineBrain
from agents.planner.grounding import GroundingConfig
from agents.planner.loop import PlannerConfig, plan
from agents.ports import Pool
from agents.tools.embedding import Embedder
from agents.types import BuildRequest, PlanResult


def plan_offline(request: BuildRequest, pool: Pool, *, max_subtasks: int = MAX_SUBTASKS,
                 embedder: Embedder | None = None, config: PlannerConfig | None = None) -> PlanResult:
    config = config or PlannerConfig(grounding=GroundingConfig(embedder=embedder))
    return plan(request, pool, OfflineBrain(embedder=embedder, max_subtasks=max_subtasks), config=config)
