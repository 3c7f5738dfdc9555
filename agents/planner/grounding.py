"""Grounding: find datasets for a subtask and judge whether they can be transformed into its items.

For each subtask: search the pool (its own media, and for spoken subtasks also text dialogues to
synthesise speech from), write a transformation plan per candidate, judge it statically (the
fields and types exist: `plan_validate`), dynamically (a dry run on real records counts the items
it yields) and by a judge's scores (alignment, simplicity, risk; the brain gives them), combine
them into a composite score and keep the best 2-3 above the threshold."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from agents.planner.brain import Brain, CandidateView, Judgement
from agents.planner.coverage import plan_serves
from agents.planner.search import media_of
from agents.planner.transform import (
    MIN_COVERAGE,
    design_plan,
    dry_run,
    perturb_plan,
    render_plan,
    render_source,
    speech_plan,
    spoken_question_plan,
    speech_source,
)
from agents.ports import Pool
from agents.tools.embedding import Embedder
from agents.types import Ask, BuildRequest, CardView, GroundingPlan, Perturbation, PoolHit, SubtaskDraft

NO_INPUTS = "no dataset in the pool has the inputs"
WEIGHTS = {"alignment": 0.45, "coverage": 0.25, "simplicity": 0.10, "safety": 0.20}  # safety = 1 - risk


@dataclass(frozen=True)
class GroundingConfig:
    threshold: float = 0.55  # the composite score a candidate needs
    max_groundings: int = 3  # datasets kept per subtask
    search_limit: int = 6  # candidates examined per route
    relative_floor: float = 0.8  # a candidate's content match as a share of the subtask's best
    dry_run_records: int = 2000  # records a dry run reads; capacity beyond is extrapolated
    min_semantic: float = 0.35  # a card sharing no word with the subtask needs this closeness in meaning
    embedder: Embedder | None = None  # for hard distractors among labels (nearest in meaning)


@dataclass
class GroundingOutcome:
    groundings: list[GroundingPlan]
    considered: list[dict[str, Any]] = field(default_factory=list)
    reason: str = ""


def search_query(subtask: SubtaskDraft) -> str:
    return " ".join([subtask.name, subtask.description, *subtask.keywords])


def _routes(subtask: SubtaskDraft, pool: Pool, config: GroundingConfig) -> list[tuple[PoolHit, str]]:
    """Search hits with how their media are made: "" (the dataset has them), "speech" (a dialogue
    spoken), "render" (a passage rendered as a page), "spoken_question" (the question spoken)."""
    query = search_query(subtask)
    hits = [(hit, "") for hit in pool.search(query, modalities=subtask.modalities, roles=subtask.roles,
                                             limit=config.search_limit)]
    media = media_of(subtask.modalities)
    if media == {"audio"} and "speech" in subtask.synthesis:
        spoken = pool.search(query, modalities=["text"], roles=["dialog"], limit=config.search_limit)
        hits += [(hit, "speech") for hit in spoken if speech_source(hit.card)]
    if media == {"image", "audio"} and "speech" in subtask.synthesis:
        asked = pool.search(query, modalities=["image", "text"], roles=["question", "image"], limit=config.search_limit)
        hits += [(hit, "spoken_question") for hit in asked]
    if media == {"image"} and "render" in subtask.synthesis:
        rendered = pool.search(query, modalities=["text"], roles=["context"], limit=config.search_limit)
        hits += [(hit, "render") for hit in rendered if render_source(hit.card)]
    hits.sort(key=lambda pair: (-pair[0].score, pair[0].card.slug, pair[1]))
    return hits


def content_score(hit: PoolHit) -> float:
    """How much a card's text matches the subtask: lexical and semantic parts only. The QA and role
    bonuses are near-constant across fitting cards and would blur the comparison with the best."""
    if "semantic" in hit.parts:
        return 0.5 * hit.parts.get("lexical", 0.0) + 0.5 * hit.parts["semantic"]
    return hit.parts.get("lexical", hit.score)


def _records(pool: Pool, card: CardView, config: GroundingConfig):
    ids = pool.record_ids(card.dataset_id)
    return pool.records(card.dataset_id, ids[:config.dry_run_records]), len(ids)


def offline_judgement(candidate: CandidateView) -> Judgement:
    """Rule-based scores: alignment from the search score, simplicity from the plan's length, risk
    from the template (answers drawn from a bank are riskier than the dataset's own options), from
    synthesised media and from the dry run's failures."""
    template_risk = {"source_options": 0.05, "lettered_options": 0.1, "embedded_choices": 0.15,
                     "label_choices": 0.2, "answer_bank_choices": 0.3}
    base = re.sub(r"^(spoken_question_|spoken_|rendered_)", "", candidate.plan.template.split("+")[0])
    risk = template_risk.get(base, 0.3) + (0.15 if candidate.synthesis else 0.0)
    risk += 0.3 * (1 - candidate.usable / candidate.checked if candidate.checked else 1.0)
    alignment = min(1.0, candidate.search_score / 0.6)
    simplicity = 1.0 / (1.0 + len(candidate.plan.operators) / 4)
    return Judgement(alignment=round(alignment, 4), simplicity=round(simplicity, 4), risk=round(min(risk, 1.0), 4),
                     rationale=f"search score {candidate.search_score:.2f}; {len(candidate.plan.operators)} operators; "
                               f"template {candidate.plan.template}")


def composite(*, alignment: float, coverage: float, simplicity: float, risk: float) -> float:
    return (WEIGHTS["alignment"] * alignment + WEIGHTS["coverage"] * coverage
            + WEIGHTS["simplicity"] * simplicity + WEIGHTS["safety"] * (1 - risk))


@dataclass
class Prepared:
    """A subtask's candidates before judging: trace entries, and (view, hit, capacity) of those whose
    plan passed the static check and the dry run."""

    considered: list[dict[str, Any]]
    candidates: list[tuple[CandidateView, PoolHit, int]]
    reason: str = ""


PlanCache = dict[tuple[int, str], tuple[Any, str, Any, int]]


def _perturbable(plan, card: CardView, synthesis: str, perturbation: Perturbation) -> bool:
    """Does the plan make the kind of media the robustness condition degrades?"""
    ops = {op.op for op in plan.operators}
    if perturbation.kind == "audio_noise":
        return bool(ops & {"speak_dialogue", "speak_text"}) or ("attach_media" in ops and "audio" in card.modalities)
    return "render_text_image" in ops or ("attach_media" in ops and "image" in card.modalities)


def _plan_and_dry_run(card: CardView, synthesis: str, *, pool: Pool, config: GroundingConfig, cache: PlanCache,
                      perturbation: Perturbation | None = None):
    """(plan or None, why not, dry run, record total) for a dataset and route, once per planning."""
    key = (card.dataset_id, synthesis)
    if key not in cache:
        records, total = _records(pool, card, config)
        plan, why = design_plan(card, records, embedder=config.embedder)
        if plan is not None and synthesis == "speech":
            plan, why = speech_plan(plan, card)
        elif plan is not None and synthesis == "render":
            plan, why = render_plan(plan, card)
        elif plan is not None and synthesis == "spoken_question":
            plan, why = spoken_question_plan(plan, card)
        if plan is not None and perturbation is not None and _perturbable(plan, card, synthesis, perturbation):
            plan = perturb_plan(plan, perturbation.kind, perturbation.severity)
        cache[key] = (plan, why, dry_run(plan, records) if plan is not None else None, total)
    return cache[key]


def prepare(subtask: SubtaskDraft, *, pool: Pool, config: GroundingConfig, cache: PlanCache,
            perturbation: Perturbation | None = None) -> Prepared:
    routes = _routes(subtask, pool, config)
    considered: list[dict[str, Any]] = []
    if not routes:
        return Prepared(considered, [], NO_INPUTS + f" {sorted(subtask.modalities)}"
                        + (" nor a dialogue to speak" if media_of(subtask.modalities) == {"audio"} else ""))
    # Text cards to render are compared among themselves: they never mention the image they will become.
    # (Dialogues to speak do mention conversations, so they compete with recordings directly.)
    best_of: dict[bool, float] = {}
    for hit, synthesis in routes:
        best_of[synthesis == "render"] = max(best_of.get(synthesis == "render", 0.0), content_score(hit))
    candidates: list[tuple[CandidateView, PoolHit, int]] = []
    for hit, synthesis in routes:
        card = hit.card
        entry: dict[str, Any] = {"dataset": card.slug, "search": round(hit.score, 4),
                                 "search_parts": {k: round(v, 4) for k, v in hit.parts.items()},
                                 "matched_terms": hit.matched_terms[:10], "synthesis": synthesis}
        considered.append(entry)
        if not hit.matched_terms and hit.parts.get("semantic", 0.0) < config.min_semantic:
            entry["rejected"] = "its card shares no word with the subtask and is not close in meaning"
            continue
        content = content_score(hit)
        entry["content"] = round(content, 4)
        best = best_of[synthesis == "render"]
        if content <= 0 or content < best * config.relative_floor:
            entry["rejected"] = (f"content match {content:.2f} is below {config.relative_floor:.0%} of the best "
                                 f"({best:.2f})")
            continue
        plan, why, run, total = _plan_and_dry_run(card, synthesis, pool=pool, config=config, cache=cache,
                                                  perturbation=perturbation)
        if plan is None:
            entry["rejected"] = why
            continue
        entry.update({"template": plan.template, "operators": [op.op for op in plan.operators],
                      "dry_run": {"usable": run.usable, "checked": run.checked,
                                  "failures": dict(run.failures.most_common(3))}})
        if run.coverage < MIN_COVERAGE:
            entry["rejected"] = f"the plan works on {run.usable} of {run.checked} records"
            continue
        capacity = run.usable if total == run.checked else round(run.usable * total / run.checked)
        candidates.append((CandidateView(slug=card.slug, name=card.name, description=card.description,
                                         search_score=hit.score, plan=plan, synthesis=synthesis, usable=run.usable,
                                         checked=run.checked, failures=dict(run.failures.most_common(3)),
                                         examples=run.examples), hit, capacity))
    reason = "" if candidates else "no candidate dataset could be transformed into its items"
    return Prepared(considered, candidates, reason)


def score(prepared: Prepared, judgements: dict[str, Judgement], *, config: GroundingConfig) -> GroundingOutcome:
    """The composite score of each judged candidate; those above the threshold, best first."""
    if not prepared.candidates:
        return GroundingOutcome([], prepared.considered, prepared.reason)
    considered = prepared.considered
    scored: list[GroundingPlan] = []
    for view, hit, capacity in prepared.candidates:
        entry = next(e for e in considered if e["dataset"] == view.slug and e["synthesis"] == view.synthesis)
        judgement = judgements.get(view.slug) or offline_judgement(view)
        coverage = view.usable / view.checked
        total_score = composite(alignment=judgement.alignment, coverage=coverage, simplicity=judgement.simplicity,
                                risk=judgement.risk)
        scores = {"search": round(hit.score, 4), "alignment": judgement.alignment, "coverage": round(coverage, 4),
                  "simplicity": judgement.simplicity, "risk": judgement.risk, "composite": round(total_score, 4)}
        entry.update({"scores": scores, "rationale": judgement.rationale, "capacity": capacity})
        if total_score < config.threshold:
            entry["rejected"] = f"composite score {total_score:.2f} is below the threshold {config.threshold:.2f}"
            continue
        scored.append(GroundingPlan(dataset_id=hit.card.dataset_id, dataset_slug=view.slug, plan=view.plan,
                                    scores=scores, capacity=capacity, synthesis=view.synthesis,
                                    rationale=judgement.rationale))
    scored.sort(key=lambda g: (-g.scores["composite"], g.dataset_slug))
    reason = "" if scored else f"no candidate reached the composite threshold {config.threshold:.2f}"
    return GroundingOutcome(scored, considered, reason)


def ground_all(subtasks: list[SubtaskDraft], *, request: BuildRequest, pool: Pool, brain: Brain,
               config: GroundingConfig, cache: PlanCache | None = None,
               perturbation: Perturbation | None = None, asks: list[Ask] | None = None) -> dict[str, GroundingOutcome]:
    """Every subtask's candidates that pass the threshold, best first (`assign` then shares them
    out). The judge sees all subtasks' candidates in one batch, so its calls can run concurrently.
    Each kept plan names the per-item asks its items satisfy (coverage.plan_serves)."""
    cache = {} if cache is None else cache
    prepared = {s.key: prepare(s, pool=pool, config=config, cache=cache, perturbation=perturbation) for s in subtasks}
    batch = [(s, [view for view, _, _ in prepared[s.key].candidates]) for s in subtasks if prepared[s.key].candidates]
    judged = dict(zip([s.key for s, _ in batch], brain.assess_many(request=request, batch=batch), strict=True))
    outcomes = {s.key: score(prepared[s.key], judged.get(s.key, {}), config=config) for s in subtasks}
    per_item = [a for a in asks or [] if a.kind != "capability"]
    cards = {hit.card.dataset_id: hit.card for p in prepared.values() for _, hit, _ in p.candidates}
    for outcome in outcomes.values():
        for grounding in outcome.groundings:
            grounding.serves = plan_serves(grounding.plan, per_item, card=cards.get(grounding.dataset_id))
    return outcomes


def assign(outcomes: dict[str, GroundingOutcome], *, max_groundings: int) -> dict[str, list[GroundingPlan]]:
    """Share the candidates out so no dataset grounds two subtasks (its records would make the same
    items twice): greedily by search score, each dataset goes to the subtask it fits best, and each
    subtask keeps at most `max_groundings`. The candidates' trace entries say where each went."""
    pairs = [(g.scores["search"], g.scores["composite"], key, g) for key, o in outcomes.items() for g in o.groundings]
    pairs.sort(key=lambda p: (-p[0], -p[1], p[2], p[3].dataset_slug))
    owner: dict[int, str] = {}
    kept: dict[str, list[GroundingPlan]] = {key: [] for key in outcomes}
    for _, _, key, grounding in pairs:
        entry = next(e for e in outcomes[key].considered
                     if e["dataset"] == grounding.dataset_slug and e["synthesis"] == grounding.synthesis)
        if grounding.dataset_id in owner:
            entry["rejected"] = f"fits subtask {owner[grounding.dataset_id]} better"
        elif len(kept[key]) >= max_groundings:
            entry["rejected"] = f"{max_groundings} better candidates kept"
        else:
            owner[grounding.dataset_id] = key
            kept[key].append(grounding)
            entry["kept"] = True
    for key, groundings in kept.items():
        groundings.sort(key=lambda g: (-g.scores["composite"], g.dataset_slug))
        if not groundings and outcomes[key].groundings:
            outcomes[key].reason = "its candidate datasets fit other subtasks better"
    return kept
