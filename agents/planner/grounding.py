"""Grounding: find datasets for a subtask and judge whether they can be transformed into its items.

For each subtask: search the pool with the subtask's words, with the whole request and with the
text of each capability ask it serves (its own media, and for spoken subtasks also text dialogues
to synthesise speech from); a card serves the subtask only when its relevance to the request or
to one of those asks reaches an absolute floor (agents.planner.search.relevance, calibrated on
bench/data/grounding_pairs.json), so a team's own upload that says what the request says is found
whatever the taxonomy calls the subtask, and a card that shares only a generic word with the
subtask's description ("classification") is not taken. Then write a transformation plan per
candidate, judge it statically (the fields and types exist: `plan_validate`), dynamically (a dry
run on real records counts the items it yields) and by a judge's scores (alignment, simplicity,
risk; the brain gives them), combine them into a composite score and keep the best 2-3 above the
threshold whose alignment also passes its own floor."""
from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agents.operators import get_path
from agents.planner.brain import Brain, CandidateView, Judgement
from agents.planner.coverage import plan_serves
from agents.planner.relevance import (
    FORM_CAPABILITIES,
    NAME_SUPPORT,
    PASSAGE,
    RELEVANCE_FLOOR,
    RELEVANCE_FLOOR_LEXICAL,
    SKILL_NAME,
    Intent,
    content_score,
    intents_of,
    names_a_topic,
    relevance_floor,
    relevance_of,
    route_query,
    search_query,
)
from agents.planner.search import media_of
from agents.planner.sections import kept_part
from agents.planner.synthesis import render_source, speech_source, spoken_passage_source
from agents.planner.transform import MIN_COVERAGE, design_plan, dry_run, first_path
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

# A judge's alignment below this rejects a candidate whatever its coverage, simplicity and risk
# (0.25 + 0.10 + 0.20 = 0.55 would clear the composite threshold with no alignment at all).
ALIGNMENT_FLOOR = 0.5
DEEP_SEARCH = 50  # hits read per query, so every candidate is scored against every query

@dataclass(frozen=True)
class GroundingConfig:
    threshold: float = 0.55  # the composite score a candidate needs
    max_groundings: int = 3  # datasets kept per subtask
    search_limit: int = 6  # candidates taken per route and query (each then scored against every query)
    relevance_floor: float = RELEVANCE_FLOOR  # hybrid relevance to the request or an ask it serves
    relevance_floor_lexical: float = RELEVANCE_FLOOR_LEXICAL  # the same for a pool without embeddings
    alignment_floor: float = ALIGNMENT_FLOOR  # the judge's alignment a kept candidate needs
    relative_floor: float = 0.8  # secondary: a candidate's fit as a share of the subtask's best
    min_semantic: float = 0.35  # a card sharing no word with the subtask needs this closeness in meaning
    dry_run_records: int = 2000  # records a dry run reads; capacity beyond is extrapolated
    embedder: Embedder | None = None  # for hard distractors among labels (nearest in meaning)


@dataclass
class GroundingOutcome:
    groundings: list[GroundingPlan]
    considered: list[dict[str, Any]] = field(default_factory=list)
    reason: str = ""
    # Per ask key, per dataset: why that dataset's plan does not serve the ask (for the coverage).
    ask_reasons: dict[str, dict[str, str]] = field(default_factory=dict)


ITEM_FORM_SHARE = 0.5  # of a dataset's records, those whose own text has the form a skill is defined by


def _off_form(card: CardView, subtask: SubtaskDraft, asks: list[Ask] | None, *, pool: Pool,
              config: GroundingConfig) -> str:
    """Why the dataset's records do not have the form of the skill asked (counterfactual questions);
    "" when they do or the skill is not defined by a form."""
    from agents.offline.taxonomy import BY_KEY

    forms = [BY_KEY[a.params["capability"]] for a in asks or [] if a.kind == "capability" and a.key in subtask.serves
             and a.params.get("capability") in BY_KEY and BY_KEY[a.params["capability"]].item_form]
    if not forms:
        return ""
    records, _ = _records(pool, card, GroundingConfig(dry_run_records=min(300, config.dry_run_records)))
    paths = [p for role in ("question", "context") for p in (card.fields[role].paths if role in card.fields else [])]
    texts = [" ".join(str(get_path(r.payload, p) or "") for p in paths) for r in records]
    for capability in forms:
        pattern = re.compile(capability.item_form, re.I)
        matching = sum(bool(pattern.search(t)) for t in texts)
        if not texts or matching < ITEM_FORM_SHARE * len(texts):
            return (f"its records do not {capability.item_form_words}: {matching} of {len(texts)} do "
                    f"({capability.name.lower()} needs at least {ITEM_FORM_SHARE:.0%})")
    return ""


@dataclass(frozen=True)
class _Route:
    synthesis: str  # "" (the dataset has the media), "speech", "spoken_passage", "render" or "spoken_question"
    modalities: tuple[str, ...]
    roles: tuple[str, ...]
    fits: Callable[[CardView], bool] | None = None  # the cards it can make items from (None: any)


def _has_question(card: CardView) -> bool:
    return bool(first_path(card, "question"))


def _passage_or_question(card: CardView) -> bool:
    return render_source(card) or _has_question(card)


def _route_specs(subtask: SubtaskDraft, asks: list[Ask] | None = None) -> list[_Route]:
    """How the subtask's media can be had. An ask licenses its synthesis whatever the subtask's: a
    question to be spoken may come from any text QA dataset, one to be read from an image (or text
    to read) too."""
    media = media_of(subtask.modalities)
    medium, reading = question_medium(asks), reading_asked(asks)
    routes = [_Route("", tuple(subtask.modalities), tuple(subtask.roles))]
    if media == {"audio"} and "speech" in subtask.synthesis:
        routes.append(_Route("speech", ("text",), ("dialog",), speech_source))
    if media == {"audio"} and "spoken_passage" in subtask.synthesis:
        routes.append(_Route("spoken_passage", ("text",), ("context",), spoken_passage_source))
    if media == {"image", "audio"} and ("speech" in subtask.synthesis or medium == "speech"):
        routes.append(_Route("spoken_question", ("image", "text"), ("question", "image")))
    if media == {"audio"} and medium == "speech":
        routes.append(_Route("spoken_question", ("text",), ("question",), _has_question))
    if media == {"image"} and (medium == "image" or reading):
        routes.append(_Route("render", ("text",), ("context", "question"), _passage_or_question))
    elif media == {"image"} and "render" in subtask.synthesis:
        routes.append(_Route("render", ("text",), ("context",), render_source))
    return routes


SearchCache = dict[tuple[str, tuple[str, ...], tuple[str, ...]], list[PoolHit]]


@dataclass
class RouteHit:
    """A candidate (dataset, route): its hit for the subtask's own words (None when it ranks below
    DEEP_SEARCH for them), its relevance to the request or an ask the subtask serves (and which)."""

    card: CardView
    synthesis: str
    hit: PoolHit | None = None
    relevance: float = 0.0
    relevance_to: str = ""
    relevance_hit: PoolHit | None = None
    by_intent: dict[str, float] = field(default_factory=dict)  # its relevance to each intent

    @property
    def score(self) -> float:
        return self.hit.score if self.hit is not None else 0.0


def _from_text(route: RouteHit) -> bool:
    """Whether the route makes its media from a text card that never mentions them."""
    return route.synthesis in ("render", "spoken_passage") or (
        route.synthesis == "spoken_question" and not media_of(route.card.modalities))


def _search(pool: Pool, query: str, route: _Route, searches: SearchCache) -> list[PoolHit]:
    key = (query, route.modalities, route.roles)
    if key not in searches:
        searches[key] = pool.search(query, modalities=list(route.modalities), roles=list(route.roles),
                                    limit=DEEP_SEARCH) if query.strip() else []
    return searches[key]


def _routes(subtask: SubtaskDraft, pool: Pool, config: GroundingConfig, *, intents: list[Intent],
            searches: SearchCache | None = None, asks: list[Ask] | None = None) -> list[RouteHit]:
    """Candidates with how their media are made: "" (the dataset has them), "speech" (a dialogue
    spoken), "render" (a passage rendered as a page), "spoken_question" (the question spoken). A
    card is a candidate when it is among the best `search_limit` of any query (the subtask's words,
    the request, an ask); each is then scored against every query of its route."""
    searches = {} if searches is None else searches
    found: dict[tuple[int, str], RouteHit] = {}
    for route in _route_specs(subtask, asks):
        fits = route.fits
        subtask_hits = _search(pool, route_query(search_query(subtask), route.synthesis), route, searches)
        by_intent = [(intent, _search(pool, route_query(intent.text, route.synthesis), route, searches))
                     for intent in intents]
        for hits in [subtask_hits, *(h for _, h in by_intent)]:
            for hit in hits[:config.search_limit]:
                if fits is None or fits(hit.card):
                    found.setdefault((hit.card.dataset_id, route.synthesis), RouteHit(card=hit.card,
                                                                                     synthesis=route.synthesis))
        for hit in subtask_hits:
            candidate = found.get((hit.card.dataset_id, route.synthesis))
            if candidate is not None:
                candidate.hit = hit
        for intent, hits in by_intent:
            for hit in hits:
                candidate = found.get((hit.card.dataset_id, route.synthesis))
                if candidate is not None:
                    candidate.by_intent[intent.key] = max(candidate.by_intent.get(intent.key, 0.0), relevance_of(hit))
                if candidate is not None and (candidate.relevance_hit is None
                                              or relevance_of(hit) > candidate.relevance):
                    candidate.relevance, candidate.relevance_to = relevance_of(hit), intent.key
                    candidate.relevance_hit = hit
    ordered = list(found.values())
    ordered.sort(key=lambda r: (-max(r.score, r.relevance), r.card.slug, r.synthesis))
    return ordered


def _records(pool: Pool, card: CardView, config: GroundingConfig):
    """The records planning reads: all of them, or a seeded sample over the whole dataset (in their
    order) when there are more than `dry_run_records` — never the first ones of an upload sorted by
    class, whose answers would be the only distractors."""
    ids = pool.record_ids(card.dataset_id)
    if len(ids) > config.dry_run_records:
        picked = set(random.Random(f"plan:{card.dataset_id}").sample(range(len(ids)), config.dry_run_records))
        ids_read = [record_id for i, record_id in enumerate(ids) if i in picked]
    else:
        ids_read = ids
    return pool.records(card.dataset_id, ids_read), len(ids)


def offline_judgement(candidate: CandidateView) -> Judgement:
    """Rule-based scores: alignment from the card's relevance to the request (a card at the relevance
    floor is aligned at ALIGNMENT_FLOOR, one at twice the floor fully), simplicity from the plan's
    length, risk from the template (answers drawn from a bank are riskier than the dataset's own
    options), from synthesised media and from the dry run's failures."""
    template_risk = {"source_options": 0.05, "lettered_options": 0.1, "embedded_choices": 0.15,
                     "label_choices": 0.2, "answer_bank_choices": 0.3}
    base = re.sub(r"^(spoken_question_|spoken_|rendered_question_|rendered_)", "", candidate.plan.template.split("+")[0])
    risk = template_risk.get(base, 0.3) + (0.15 if candidate.synthesis else 0.0)
    risk += 0.3 * (1 - candidate.usable / candidate.checked if candidate.checked else 1.0)
    floor = candidate.relevance_floor or RELEVANCE_FLOOR
    alignment = min(1.0, ALIGNMENT_FLOOR * candidate.relevance / floor)
    simplicity = 1.0 / (1.0 + len(candidate.plan.operators) / 4)
    return Judgement(alignment=round(alignment, 4), simplicity=round(simplicity, 4), risk=round(min(risk, 1.0), 4),
                     rationale=f"relevance {candidate.relevance:.2f} to the request (floor {floor:.2f}); "
                               f"search score {candidate.search_score:.2f}; {len(candidate.plan.operators)} operators; "
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
                      asks: list[Ask] | None = None, reading: bool = False, request_text: str = ""):
    """(plan or None, why not, dry run, record total, {ask key: why its items do not serve it}) for a
    dataset and route, once per planning: the card's plan, made into the variant the per-item asks
    require (agents.planner.variants), as far as the records allow."""
    asks = asks or []
    key = (card.dataset_id, synthesis, needs_key(asks, reading=reading), request_text)
    if key not in cache:
        records, total = _records(pool, card, config)
        plan, why = design_plan(card, records, embedder=config.embedder)
        unserved: dict[str, str] = {}
        if plan is not None:
            plan, why, unserved = plan_for_asks(plan, card, records, asks, synthesis=synthesis, reading=reading,
                                                request_text=request_text)
        cache[key] = (plan, why, dry_run(plan, records) if plan is not None else None, total, unserved)
    return cache[key]


def prepare(subtask: SubtaskDraft, *, pool: Pool, config: GroundingConfig, cache: PlanCache,
            perturbation: Perturbation | None = None, request_text: str = "", asks: list[Ask] | None = None,
            searches: SearchCache | None = None) -> Prepared:
    """The subtask's candidates: found by its words, the request's and its asks'; kept when their
    relevance to the request or an ask it serves reaches the absolute floor, their card shares words
    or meaning with the subtask, their relevance is near the best candidate's (secondary), their plan
    validates and the dry run turns enough records into items."""
    topic = names_a_topic(request_text, asks) if request_text.strip() else True
    intents = intents_of(subtask, request_text=request_text, asks=asks, topic=topic)
    routes = _routes(subtask, pool, config, intents=intents, searches=searches, asks=asks)
    per_item, reading = item_asks(asks, perturbation), reading_asked(asks)
    passage = reading and bool(PASSAGE.search(request_text))
    considered: list[dict[str, Any]] = []
    if not routes:
        return Prepared(considered, [], NO_INPUTS + f" {sorted(subtask.modalities)}"
                        + (" nor a dialogue to speak" if media_of(subtask.modalities) == {"audio"} else ""))
    floors = {id(r): relevance_floor(r.relevance_hit or r.hit, config) for r in routes}
    def own_words(r: RouteHit) -> dict[str, float]:
        return {k: v for k, v in r.by_intent.items() if not k.startswith(SKILL_NAME)}

    # The skill's name stands in for the request's words only when they find nothing ("speech
    # recognition" is about every recording; "which letter a speaker says" about spoken letters), and
    # then only for cards the request itself nearly reaches ("visual recognition" is about car logos
    # too, not only the clothing asked).
    found_by_words = any(max(own_words(r).values(), default=0.0) >= floors[id(r)] for r in routes)
    for r in routes:
        if r.relevance_to.startswith(SKILL_NAME) and (
                found_by_words or r.by_intent.get("request", 0.0) < NAME_SUPPORT * floors[id(r)]):
            rest = own_words(r)
            r.relevance_to = max(rest, key=lambda k: rest[k]) if rest else ""
            r.relevance = rest.get(r.relevance_to, 0.0)
    # A skill asked within another's material ("sentiment of dialogues"): a card is as relevant as it
    # is about the skill itself (its words or its name); one about the material alone (dialogues to
    # continue) would make items of another skill. Which cards have the material too ranks them later.
    joint = [a for a in asks or [] if a.key in subtask.serves and a.params.get("within") in subtask.serves]
    if joint:
        skill_intents = {a.key for a in joint} | {SKILL_NAME + a.key for a in joint}
        for r in routes:
            own = {k: v for k, v in r.by_intent.items() if k in skill_intents}
            best = max(own, key=lambda k: own[k]) if own else ""
            r.relevance, r.relevance_to = own.get(best, 0.0), best or "the skill asked within the setting"
    if not topic:
        if any(a.params.get("capability") in FORM_CAPABILITIES for a in asks or [] if a.key in subtask.serves):
            # A skill of form (reading any text shown as a page, following any conversation spoken),
            # and a request that names no topic: every text card of the right shape fits its route.
            for r in routes:
                if r.synthesis and r.relevance < floors[id(r)]:
                    r.relevance, r.relevance_to = floors[id(r)], "form (the request names no topic)"
    # The secondary, relative comparison reads a candidate's fit: its relevance to the request, or its
    # match with the subtask's own words when higher (one part of a many-part request is about one of
    # its datasets more than the whole request is). Text cards to render, or whose questions are to
    # be spoken, are compared among themselves: they never mention the image or recording they will
    # become. (Dialogues to speak do mention conversations, so they compete with recordings directly.)
    fit = {id(r): max(r.relevance, content_score(r.hit) if r.hit is not None else 0.0) for r in routes}
    best_of: dict[bool, float] = {}
    for r in routes:
        if r.relevance >= floors[id(r)]:
            group = _from_text(r)
            best_of[group] = max(best_of.get(group, 0.0), fit[id(r)])
    candidates: list[tuple[CandidateView, PoolHit, int]] = []
    below_floor: list[str] = []
    off_forms: list[str] = []
    unusable: list[str] = []  # candidates whose records the plan mostly cannot use, and why
    for route in routes:
        hit, synthesis, card = route.hit, route.synthesis, route.card
        floor = floors[id(route)]
        entry: dict[str, Any] = {"dataset": card.slug, "search": round(route.score, 4),
                                 "search_parts": {k: round(v, 4) for k, v in hit.parts.items()} if hit else {},
                                 "matched_terms": hit.matched_terms[:10] if hit else [], "synthesis": synthesis,
                                 "relevance": round(route.relevance, 4), "relevance_to": route.relevance_to,
                                 "relevance_by": {k: round(v, 4) for k, v in sorted(route.by_intent.items())},
                                 "relevance_floor": floor}
        considered.append(entry)
        if route.relevance < floor:
            entry["rejected"] = (f"its card is not about what the request asks: relevance {route.relevance:.2f} is "
                                 f"below the floor {floor:.2f}")
            below_floor.append(card.slug)
            continue
        form_fit = route.relevance_to.startswith("form")
        if not form_fit and (hit is None or (not hit.matched_terms
                                             and hit.parts.get("semantic", 0.0) < config.min_semantic)):
            # It fits the request, but not this subtask: another subtask of the request may take it.
            entry["rejected"] = "its card shares no word with the subtask and is not close in meaning"
            continue
        hit = hit or route.relevance_hit  # a form fit the subtask's own words did not rank
        if hit is None:
            entry["rejected"] = "no search ranked it"
            continue
        if passage and (render_source(card) is None or card.fields["context"].style == "definition"):
            entry["rejected"] = "the request asks to read a passage; its records have none"
            continue
        best = best_of[_from_text(route)]
        entry["fit"] = round(fit[id(route)], 4)
        if fit[id(route)] < best * config.relative_floor:
            entry["rejected"] = f"fit {fit[id(route)]:.2f} is below {config.relative_floor:.0%} of the best ({best:.2f})"
            continue
        off_form = _off_form(card, subtask, asks, pool=pool, config=config)
        if off_form:
            entry["rejected"] = off_form
            off_forms.append(f"{card.slug}: {off_form}")
            continue
        plan, why, run, total, unserved = _plan_and_dry_run(card, synthesis, pool=pool, config=config, cache=cache,
                                                            asks=per_item, reading=reading, request_text=request_text)
        if plan is None:
            entry["rejected"] = why
            unusable.append(f"{card.slug}: {why}")
            continue
        if unserved:
            entry["asks_not_served"] = dict(unserved)
        entry.update({"template": plan.template, "operators": [op.op for op in plan.operators],
                      "dry_run": {"usable": run.usable, "checked": run.checked, "filtered": run.filtered,
                                  "failures": dict(run.failures.most_common(3))}})
        if run.coverage < MIN_COVERAGE:
            common = run.failures.most_common(1)
            if not run.checked and run.filtered:
                # Every record drawn was outside the part the request names: say which part, not "0 of 0".
                entry["rejected"] = (f"none of the {run.filtered} records tried is in the part of it the request "
                                     f"names ({kept_part(plan) or 'its filters'})")
            else:
                entry["rejected"] = (f"the plan works on {run.usable} of {run.checked} records"
                                     + (f"; most fail as: {common[0][0]} ({common[0][1]})" if common else ""))
            unusable.append(f"{card.slug}: {entry['rejected']}")
            continue
        tried = run.checked + run.filtered
        capacity = run.usable if total == tried else round(run.usable * total / tried)
        candidates.append((CandidateView(slug=card.slug, name=card.name, description=card.description,
                                         search_score=hit.score, relevance=round(route.relevance, 4),
                                         relevance_floor=floor, plan=plan, synthesis=synthesis, usable=run.usable,
                                         checked=run.checked, failures=dict(run.failures.most_common(3)),
                                         examples=run.examples), hit, capacity))
    if candidates:
        reason = ""
    elif len(below_floor) == len(routes):
        reason = ("no dataset in the pool is about what the request asks (every candidate's relevance is below "
                  f"the floor: {', '.join(below_floor[:5])})")
    elif off_forms:
        reason = "no candidate dataset's records have the form the skill needs (" + "; ".join(off_forms[:3]) + ")"
    elif unusable:
        reason = "no candidate dataset could be transformed into its items (" + "; ".join(unusable[:3]) + ")"
    else:
        reason = "no candidate dataset could be transformed into its items"
    return Prepared(considered, candidates, reason)


def score(prepared: Prepared, judgements: dict[str, Judgement], *, config: GroundingConfig) -> GroundingOutcome:
    """The composite score of each judged candidate; those above the threshold whose alignment also
    reaches its floor, best first."""
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
        scores = {"search": round(hit.score, 4), "relevance": view.relevance, "alignment": judgement.alignment,
                  "coverage": round(coverage, 4), "simplicity": judgement.simplicity, "risk": judgement.risk,
                  "composite": round(total_score, 4)}
        entry.update({"scores": scores, "rationale": judgement.rationale, "capacity": capacity})
        if judgement.alignment < config.alignment_floor:
            entry["rejected"] = (f"alignment {judgement.alignment:.2f} is below its floor {config.alignment_floor:.2f}, "
                                 f"whatever the other scores")
            continue
        if total_score < config.threshold:
            entry["rejected"] = f"composite score {total_score:.2f} is below the threshold {config.threshold:.2f}"
            continue
        scored.append(GroundingPlan(dataset_id=hit.card.dataset_id, dataset_slug=view.slug, plan=view.plan,
                                    scores=scores, capacity=capacity, synthesis=view.synthesis,
                                    rationale=judgement.rationale))
    scored.sort(key=lambda g: (-g.scores["composite"], g.dataset_slug))
    reason = "" if scored else (f"no candidate reached the composite threshold {config.threshold:.2f} with an "
                                f"alignment of at least {config.alignment_floor:.2f}")
    return GroundingOutcome(scored, considered, reason)


def ground_all(subtasks: list[SubtaskDraft], *, request: BuildRequest, pool: Pool, brain: Brain,
               config: GroundingConfig, cache: PlanCache | None = None,
               perturbation: Perturbation | None = None, asks: list[Ask] | None = None) -> dict[str, GroundingOutcome]:
    """Every subtask's candidates that pass the threshold, best first (`assign` then shares them
    out). Each subtask searches with its words, the whole request and the capability asks it serves.
    The judge sees all subtasks' candidates in one batch, so its calls can run concurrently.
    Each kept plan names the per-item asks its items satisfy (coverage.plan_serves)."""
    cache = {} if cache is None else cache
    searches: SearchCache = {}  # the request's queries are the same for every subtask
    prepared = {s.key: prepare(s, pool=pool, config=config, cache=cache, perturbation=perturbation,
                               request_text=request.text, asks=asks, searches=searches) for s in subtasks}
    batch = [(s, [view for view, _, _ in prepared[s.key].candidates]) for s in subtasks if prepared[s.key].candidates]
    judged = dict(zip([s.key for s, _ in batch], brain.assess_many(request=request, batch=batch), strict=True))
    outcomes = {s.key: score(prepared[s.key], judged.get(s.key, {}), config=config) for s in subtasks}
    per_item = item_asks(asks, perturbation)
    cards = {hit.card.dataset_id: hit.card for p in prepared.values() for _, hit, _ in p.candidates}
    by_key = {s.key: s for s in subtasks}
    for subtask_key, outcome in outcomes.items():
        for grounding in outcome.groundings:
            grounding.serves = plan_serves(grounding.plan, per_item, card=cards.get(grounding.dataset_id))
            grounding.serves += settings_served(cards.get(grounding.dataset_id), asks)
            entry = next(e for e in outcome.considered
                         if e["dataset"] == grounding.dataset_slug and e["synthesis"] == grounding.synthesis)
            for key, why in entry.get("asks_not_served", {}).items():
                outcome.ask_reasons.setdefault(key, {})[grounding.dataset_slug] = why
        serves = set(by_key[subtask_key].serves)
        mine = [a for a in per_item if a.kind == "material" and (not a.params.get("skills") or not serves
                                                                 or set(a.params["skills"]) & serves)]
        for ask in [a for a in per_item if a.kind == "material" and a not in mine]:
            outcome.ask_reasons.pop(ask.key, None)  # another part's material: not this subtask's to give
        _prefer_serving(outcome, mine + [a for a in per_item if a.kind == "language"])
    return outcomes


def _prefer_serving(outcome: GroundingOutcome, asks: list[Ask]) -> None:
    """Where some of a subtask's candidates give what the request names of every item (news passages,
    recordings in French or German) and others do not (dialogues, English recordings), only those
    that do stay: the others would test the skill on items the request did not ask for."""
    for ask in asks:
        fit = [g for g in outcome.groundings if ask.key in g.serves]
        if not fit or len(fit) == len(outcome.groundings):
            continue
        for grounding in outcome.groundings:
            if grounding in fit:
                continue
            entry = next(e for e in outcome.considered
                         if e["dataset"] == grounding.dataset_slug and e["synthesis"] == grounding.synthesis)
            what = (f"not {ask.params.get('material')}" if ask.kind == "material"
                    else f"not {ask.text.removeprefix('items ')}")
            entry["rejected"] = (f"its items are {what}, which the request names; "
                                 f"{', '.join(g.dataset_slug for g in fit)} are")
            outcome.ask_reasons.get(ask.key, {}).pop(grounding.dataset_slug, None)
        outcome.groundings = fit


def settings_served(card: CardView | None, asks: list[Ask] | None) -> list[str]:
    """The skills some ask is asked within ("time in conversations") that this dataset's card says
    its items have (one of the skill's own words in its name, description or tasks): its items serve
    the joint ask in full; another dataset's only the skill."""
    from agents.offline.lexicon import find, normalise
    from agents.offline.taxonomy import BY_KEY

    if card is None:
        return []
    settings = {a.params["within"] for a in asks or [] if a.params.get("within")}
    text = normalise(" ".join([card.name, card.description, " ".join(card.tasks)]))
    return [ask.key for ask in asks or [] if ask.key in settings
            and (capability := BY_KEY.get(ask.params.get("capability", ""))) is not None
            and any(not h.negated for h in find(text, capability.strong))]


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
