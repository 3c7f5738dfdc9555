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
    first_path,
    render_source,
    speech_source,
)
from agents.planner.variants import (
    item_asks,
    needs_key,
    plan_for_asks,
    question_medium,
    reading_asked,
)
from agents.ports import Pool
from agents.tools.embedding import Embedder
from agents.types import (
    Ask,
    BuildRequest,
    CardView,
    GroundingPlan,
    Perturbation,
    PoolHit,
    SubtaskDraft,
)

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
    # Per ask key, per dataset: why that dataset's plan does not serve the ask (for the coverage).
    ask_reasons: dict[str, dict[str, str]] = field(default_factory=dict)


def search_query(subtask: SubtaskDraft) -> str:
    return " ".join([subtask.name, subtask.description, *subtask.keywords])


def _routes(subtask: SubtaskDraft, pool: Pool, config: GroundingConfig,
            asks: list[Ask] | None = None) -> list[tuple[PoolHit, str]]:
    """Search hits with how their media are made: "" (the dataset has them), "speech" (a dialogue
    spoken), "render" (a passage, or the question, rendered as a page), "spoken_question" (the
    question spoken). An ask licenses its synthesis whatever the subtask's: a question to be spoken
    may come from any text QA dataset, one to be read from an image (or text to read) too."""
    query = search_query(subtask)
    hits = [(hit, "") for hit in pool.search(query, modalities=subtask.modalities, roles=subtask.roles,
                                             limit=config.search_limit)]
    media = media_of(subtask.modalities)
    medium, reading = question_medium(asks), reading_asked(asks)
    if media == {"audio"} and "speech" in subtask.synthesis:
        spoken = pool.search(query, modalities=["text"], roles=["dialog"], limit=config.search_limit)
        hits += [(hit, "speech") for hit in spoken if speech_source(hit.card)]
    if media == {"image", "audio"} and ("speech" in subtask.synthesis or medium == "speech"):
        asked = pool.search(query, modalities=["image", "text"], roles=["question", "image"], limit=config.search_limit)
        hits += [(hit, "spoken_question") for hit in asked]
    if media == {"audio"} and medium == "speech":
        asked = pool.search(query, modalities=["text"], roles=["question"], limit=config.search_limit)
        hits += [(hit, "spoken_question") for hit in asked if first_path(hit.card, "question")]
    if media == {"image"} and ("render" in subtask.synthesis or medium == "image" or reading):
        rendered = pool.search(query, modalities=["text"], roles=["context", "question"] if medium == "image" or reading
                               else ["context"], limit=config.search_limit)
        hits += [(hit, "render") for hit in rendered if render_source(hit.card)
                 or ((medium == "image" or reading) and first_path(hit.card, "question"))]
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
    base = re.sub(r"^(spoken_question_|spoken_|rendered_question_|rendered_)", "", candidate.plan.template.split("+")[0])
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


# (dataset, route, what the asks need) -> (plan or None, why not, dry run, record total, why asks are not served)
PlanCache = dict[tuple[int, str, str], tuple[Any, str, Any, int, dict[str, str]]]


def _plan_and_dry_run(card: CardView, synthesis: str, *, pool: Pool, config: GroundingConfig, cache: PlanCache,
                      asks: list[Ask] | None = None, reading: bool = False):
    """(plan or None, why not, dry run, record total, {ask key: why its items do not serve it}) for a
    dataset and route, once per planning: the card's plan, made into the variant the per-item asks
    require (agents.planner.variants), as far as the records allow."""
    asks = asks or []
    key = (card.dataset_id, synthesis, needs_key(asks, reading=reading))
    if key not in cache:
        records, total = _records(pool, card, config)
        plan, why = design_plan(card, records, embedder=config.embedder)
        unserved: dict[str, str] = {}
        if plan is not None:
            plan, why, unserved = plan_for_asks(plan, card, records, asks, synthesis=synthesis, reading=reading)
        cache[key] = (plan, why, dry_run(plan, records) if plan is not None else None, total, unserved)
    return cache[key]


def prepare(subtask: SubtaskDraft, *, pool: Pool, config: GroundingConfig, cache: PlanCache,
            perturbation: Perturbation | None = None, asks: list[Ask] | None = None) -> Prepared:
    """The subtask's candidates; `asks` are the request's (per-item ones shape every plan; a reading
    capability or a question to be spoken or read opens routes from text datasets)."""
    routes = _routes(subtask, pool, config, asks)
    per_item, reading = item_asks(asks, perturbation), reading_asked(asks)
    considered: list[dict[str, Any]] = []
    if not routes:
        return Prepared(considered, [], NO_INPUTS + f" {sorted(subtask.modalities)}"
                        + (" nor a dialogue to speak" if media_of(subtask.modalities) == {"audio"} else ""))
    # Text cards to render, or whose questions are to be spoken, are compared among themselves: they never
    # mention the image or recording they will become. (Dialogues to speak do mention conversations, so
    # they compete with recordings directly.)
    def from_text(hit: PoolHit, synthesis: str) -> bool:
        return synthesis == "render" or (synthesis == "spoken_question" and not media_of(hit.card.modalities))

    best_of: dict[bool, float] = {}
    for hit, synthesis in routes:
        best_of[from_text(hit, synthesis)] = max(best_of.get(from_text(hit, synthesis), 0.0), content_score(hit))
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
        best = best_of[from_text(hit, synthesis)]
        if content <= 0 or content < best * config.relative_floor:
            entry["rejected"] = (f"content match {content:.2f} is below {config.relative_floor:.0%} of the best "
                                 f"({best:.2f})")
            continue
        plan, why, run, total, unserved = _plan_and_dry_run(card, synthesis, pool=pool, config=config, cache=cache,
                                                            asks=per_item, reading=reading)
        if plan is None:
            entry["rejected"] = why
            continue
        if unserved:
            entry["asks_not_served"] = dict(unserved)
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
    prepared = {s.key: prepare(s, pool=pool, config=config, cache=cache, perturbation=perturbation, asks=asks)
                for s in subtasks}
    batch = [(s, [view for view, _, _ in prepared[s.key].candidates]) for s in subtasks if prepared[s.key].candidates]
    judged = dict(zip([s.key for s, _ in batch], brain.assess_many(request=request, batch=batch), strict=True))
    outcomes = {s.key: score(prepared[s.key], judged.get(s.key, {}), config=config) for s in subtasks}
    per_item = item_asks(asks, perturbation)
    cards = {hit.card.dataset_id: hit.card for p in prepared.values() for _, hit, _ in p.candidates}
    for outcome in outcomes.values():
        for grounding in outcome.groundings:
            grounding.serves = plan_serves(grounding.plan, per_item, card=cards.get(grounding.dataset_id))
            entry = next(e for e in outcome.considered
                         if e["dataset"] == grounding.dataset_slug and e["synthesis"] == grounding.synthesis)
            for key, why in entry.get("asks_not_served", {}).items():
                outcome.ask_reasons.setdefault(key, {})[grounding.dataset_slug] = why
    return outcomes


def unserved_reasons(outcomes: dict[str, GroundingOutcome], kept: dict[str, list[GroundingPlan]],
                     asks: list[Ask] | None = None) -> dict[str, str]:
    """Why the kept groundings' plans do not serve each per-item ask, dataset by dataset (for the
    spec's coverage: "world-flags: its items carry no recording to mix noise into"); "" for an ask
    every kept plan serves, so a reason from an earlier round does not outlive its plan."""
    by_ask: dict[str, list[str]] = {a.key: [] for a in asks or [] if a.kind != "capability"}
    for key, outcome in outcomes.items():
        slugs = {g.dataset_slug for g in kept.get(key, [])}
        for ask_key, by_dataset in outcome.ask_reasons.items():
            by_ask.setdefault(ask_key, []).extend(f"{slug}: {why}" for slug, why in sorted(by_dataset.items())
                                                  if slug in slugs)
    return {ask_key: "; ".join(dict.fromkeys(parts)) for ask_key, parts in by_ask.items()}


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
