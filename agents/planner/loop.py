"""The Planner's closed loop: scope, then design and grounding until every subtask is grounded
(or the design cannot settle), then allocation, which may send a gap back to design.

Bounded as in the reference method: up to 4 design-grounding rounds inside up to 3 allocation
rounds. The loop ends in an explicit state: ok, design-not-stable, ungroundable, allocation-gap
or budget-exhausted; every decision, score and rationale is in the trace."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents.planner.allocation import Claim, allocate
from agents.planner.asks import capability_ask, with_floor_asks
from agents.planner.brain import Brain, Feedback
from agents.planner.budget import Budget, BudgetExhausted, RunStopped
from agents.planner.coverage import coverage_end_state, plan_coverage
from agents.planner.grounding import NO_INPUTS, GroundingConfig, PlanCache, assign, ground_all, unserved_reasons
from agents.planner.sections import kept_part
from agents.ports import Pool
from agents.types import BuildRequest, GroundingPlan, PlanResult, Scope, SubtaskDraft, SubtaskPlan


@dataclass(frozen=True)
class PlannerConfig:
    design_rounds: int = 4
    allocation_rounds: int = 3
    grounding: GroundingConfig = field(default_factory=GroundingConfig)


def _subtask_plan(draft: SubtaskDraft, groundings: list[GroundingPlan], importance: float) -> SubtaskPlan:
    answer_types = {g.plan.answer_type for g in groundings}
    return SubtaskPlan(key=draft.key, name=draft.name, description=draft.description,
                       answer_type=answer_types.pop() if len(answer_types) == 1 else draft.answer_type,
                       modalities=sorted(set(draft.modalities) | {"text"}), keywords=draft.keywords,
                       sample_schema=draft.sample_schema, importance=importance, groundings=groundings,
                       rationale=draft.rationale, serves=draft.serves)


def _analysed(scope: Scope, request: BuildRequest) -> Scope:
    """The scope with the asks every spec states: the media and robustness asks, and the skill asked
    (the request's own topic, when the brain names no capability). A request that cannot be planned
    asks for nothing."""
    if scope.problems:
        return scope.model_copy(update={"asks": [], "perturbation": None})
    scope = with_floor_asks(scope, modalities_given=bool(request.modalities))
    if not any(a.kind == "capability" for a in scope.asks):
        scope = scope.model_copy(update={"asks": [capability_ask(key="request", text=scope.topic), *scope.asks]})
    return scope


def _serving(drafts: list[SubtaskDraft], scope: Scope) -> list[SubtaskDraft]:
    """Drafts that name no ask they serve serve every capability ask of the request."""
    capabilities = [a.key for a in scope.asks if a.kind == "capability"]
    return [d if d.serves else d.model_copy(update={"serves": capabilities}) for d in drafts]


def _allocate(target: int, subtasks: list[SubtaskPlan]) -> tuple[int, str, dict[str, Any]]:
    """Quotas for subtasks by importance within their capacity, then for each subtask's datasets by
    composite score within theirs (spread, not first-come), those whose items have more of the
    subtask's skills first."""
    outer = allocate(target, [Claim(s.key, s.importance, sum(g.capacity for g in s.groundings)) for s in subtasks])
    parts = [f"{g.dataset_slug} has only {part}" for s in subtasks for g in s.groundings if (part := kept_part(g.plan))]
    diagnosis = outer.diagnosis
    if diagnosis and parts:  # the records a plan leaves out on purpose are why it holds fewer
        diagnosis += f" ({'; '.join(parts)} that the request asks for)"
    for subtask in subtasks:
        subtask.quota = outer.quotas[subtask.key]
        # Datasets whose items have every skill of the subtask (a skill asked within another: their
        # items are conversations) fill it first; the others only what those cannot supply.
        tier = {i: len(set(g.serves) & set(subtask.serves)) for i, g in enumerate(subtask.groundings)}
        left = subtask.quota
        for level in sorted(set(tier.values()), reverse=True):
            members = [i for i in tier if tier[i] == level]
            inner = allocate(left, [Claim(f"{i}", subtask.groundings[i].scores.get("composite", 1.0),
                                          subtask.groundings[i].capacity) for i in members])
            for i in members:
                subtask.groundings[i].quota = inner.quotas[f"{i}"]
            left -= sum(inner.quotas.values())
    detail = {"target": target, "quotas": outer.quotas,
              "capacities": {s.key: sum(g.capacity for g in s.groundings) for s in subtasks},
              "datasets": {s.key: {g.dataset_slug: g.quota for g in s.groundings} for s in subtasks},
              "gap": outer.gap, "diagnosis": diagnosis,
              # Datasets whose whole measured capacity is taken: where the next records would have to come from.
              "exhausted": sorted(g.dataset_slug for s in subtasks for g in s.groundings
                                  if g.capacity and g.quota >= g.capacity)}
    return outer.gap, diagnosis, detail


def plan(request: BuildRequest, pool: Pool, brain: Brain, *, config: PlannerConfig | None = None,
         budget: Budget | None = None) -> PlanResult:
    config = config or PlannerConfig()
    budget = budget or Budget()
    trace: list[dict[str, Any]] = []
    scope: Scope | None = None
    last: list[SubtaskPlan] = []
    try:
        scope = _analysed(brain.scope(request), request)
        trace.append({"step": "scope", "engine": brain.engine, **scope.model_dump()})
        if scope.problems:
            return _end(brain, scope, {}, [], "unclear-request", " ".join(scope.problems), trace)
        current: list[SubtaskDraft] = []
        feedback: list[Feedback] = []
        discarded: dict[str, str] = {}
        plan_cache: PlanCache = {}  # plans and dry runs per dataset, reused across rounds
        ask_reasons: dict[str, str] = {}  # why design or grounding could not serve an ask, by its key
        round_no = 0
        end_state, reason = "ok", ""
        for allocation_round in range(1, config.allocation_rounds + 1):
            grounded: list[SubtaskPlan] = []
            stable = False
            for _ in range(config.design_rounds):
                round_no += 1
                budget.check_stopped()  # a stopped run plans no further round, whatever the brain
                gap_feedback = any(f.kind == "allocation-gap" for f in feedback)
                outcome = brain.design(request=request, scope=scope, round_no=round_no, current=current,
                                       feedback=feedback)
                trace.append({"step": "design", "round": round_no, "engine": brain.engine,
                              "subtasks": [s.model_dump() for s in outcome.subtasks],
                              "decisions": [d.model_dump() for d in outcome.decisions]})
                discarded.update({f.key: f.detail for f in feedback if f.kind == "ungroundable"})
                if not outcome.subtasks:
                    return _end(brain, scope, ask_reasons, [], "ungroundable",
                                "no subtask could be grounded: " + "; ".join(
                                    f"{key}: {detail}" for key, detail in discarded.items()), trace)
                if gap_feedback and all(d.action == "keep" for d in outcome.decisions):
                    trace.append({"step": "allocation_final", "reason": "design has nothing to add for the gap"})
                    return _end(brain, scope, ask_reasons, last, "allocation-gap", reason, trace)
                current = _serving(outcome.subtasks, scope)
                feedback, grounded = [], []
                total_importance = sum(s.importance for s in current)
                outcomes = ground_all(current, request=request, pool=pool, brain=brain, config=config.grounding,
                                      cache=plan_cache, perturbation=scope.perturbation, asks=scope.asks)
                kept = assign(outcomes, max_groundings=config.grounding.max_groundings)
                ask_reasons.update(unserved_reasons(outcomes, kept, scope.asks))  # per-item asks a kept plan cannot serve
                for draft in current:
                    result = outcomes[draft.key]
                    trace.append({"step": "grounding", "round": round_no, "subtask": draft.key,
                                  "candidates": result.considered,
                                  "kept": [g.dataset_slug for g in kept[draft.key]],
                                  "reason": "" if kept[draft.key] else result.reason})
                    if kept[draft.key]:
                        grounded.append(_subtask_plan(draft, kept[draft.key],
                                                      round(draft.importance / total_importance, 4)))
                    else:
                        feedback.append(Feedback(kind="ungroundable", key=draft.key, detail=result.reason))
                        for key in draft.serves:
                            ask_reasons[key] = f"subtask {draft.key}: {result.reason}"
                if not feedback:
                    stable = True
                    break
                if not grounded and all(f.detail.startswith(NO_INPUTS) for f in feedback):
                    # No redesign can fix a pool without the inputs the request needs.
                    return _end(brain, scope, ask_reasons, [], "ungroundable", feedback[0].detail, trace)
            if not stable:
                return _end(brain, scope, ask_reasons, [], "design-not-stable",
                            f"after {config.design_rounds} design rounds some subtasks are still ungroundable: "
                            + "; ".join(f"{f.key}: {f.detail}" for f in feedback), trace)
            # Reweight importance over what was grounded (discarded subtasks gave theirs up).
            weight = sum(s.importance for s in grounded)
            for subtask in grounded:
                subtask.importance = round(subtask.importance / weight, 4)
            gap, diagnosis, detail = _allocate(request.target_size, grounded)
            trace.append({"step": "allocation", "round": allocation_round, **detail})
            last = grounded
            if not gap:
                end_state, reason = "ok", ""
                break
            end_state, reason = "allocation-gap", diagnosis
            feedback = [Feedback(kind="allocation-gap", detail=diagnosis, gap=gap)]
            current = [d for d in current if d.key in {s.key for s in grounded}]
        return _end(brain, scope, ask_reasons, last, end_state, reason, trace)
    except RunStopped:
        raise  # not an end state of the plan: the run was stopped, and no spec is kept
    except BudgetExhausted as exc:
        trace.append({"step": "budget", "budget": budget.summary(), "reason": str(exc)})
        return _end(brain, scope or Scope(topic=request.text[:120], modalities=["text"], keywords=[],
                                          target_size=request.target_size),
                    {}, [], "budget-exhausted", str(exc), trace)


def _end(brain: Brain, scope: Scope, ask_reasons: dict[str, str], subtasks: list[SubtaskPlan], end_state: str,
         reason: str, trace: list[dict[str, Any]]) -> PlanResult:
    """The result with its coverage. A plan the loop deems complete (ok) or short of samples
    (allocation-gap) gets its end state from the coverage: ok only when every ask is served in full."""
    notes = getattr(brain, "notes", None)
    if notes:
        trace.append({"step": "notes", "notes": list(notes)})
    coverage = plan_coverage(scope.asks, subtasks, target=scope.target_size, reasons=ask_reasons)
    if end_state in ("ok", "allocation-gap"):
        state, why = coverage_end_state(coverage, subtasks, target=scope.target_size)
        reason = "; ".join(part for part in (why, reason if end_state == "allocation-gap" else "") if part)
        end_state = state
    trace.append({"step": "coverage", "coverage": [c.model_dump() for c in coverage]})
    return PlanResult(engine=brain.engine, scope=scope, subtasks=subtasks, end_state=end_state,  # type: ignore[arg-type]
                      reason=reason, trace=trace, coverage=coverage)
