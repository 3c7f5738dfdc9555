"""The offline Planner: lexical design, rule-based grounding with a dry run on real records, and
allocation by measured capacity. Deterministic; every step is written to the trace."""
from __future__ import annotations

import os
import re
from collections import Counter
from typing import Any

from agents.offline import ENGINE
from agents.offline.lexical import BM25, STOPWORDS, stem, tokens
from agents.offline.scope import scope_parse
from agents.operators import (
    ItemContext,
    OperatorError,
    answer_values,
    get_path,
    normalise,
    plan_apply,
    plan_validate,
)
from agents.planner.allocation import Claim, allocate
from agents.ports import Pool
from agents.types import (
    BuildRequest,
    CardView,
    GroundingPlan,
    Operator,
    PlanResult,
    RecordView,
    SubtaskPlan,
    TransformPlan,
)

MAX_SUBTASKS = 3
RELATIVE_SCORE_FLOOR = 0.5  # a dataset joins as a subtask when it scores at least this share of the best
MIN_COVERAGE = 0.5  # share of a dataset's records the plan must turn into valid items
LABEL_MAX_CLASSES = 30
REJECT_ANSWERS = ["none of the above", "all of the above"]
_LETTERED_LINE = re.compile(r"^\s*[A-H][.)]\s+\S", re.MULTILINE)


class Ungroundable(Exception):
    pass


def card_document(card: CardView) -> list[str]:
    parts = [card.name, card.description, card.card_text, " ".join(card.tasks).replace("_", " "), card.domain]
    parts += [spec.semantics for spec in card.fields.values()]
    return tokens(" ".join(parts))


def _qa_bonus(card: CardView) -> float:
    roles = set(card.fields)
    if {"question", "answer"} <= roles:
        return 1.0
    if {"context", "answer"} <= roles:
        return 0.7
    return 0.4 if "context" in roles else 0.1


def _first_path(card: CardView, role: str, modality: str = "text") -> str | None:
    spec = card.fields.get(role)
    if spec and spec.paths and spec.modality == modality:
        return spec.paths[0]
    return None


def _text_values(records: list[RecordView], path: str) -> list[str]:
    return [v for v in (get_path(r.payload, path) for r in records) if isinstance(v, str)]


def answer_clusters(records: list[RecordView], path: str) -> tuple[list[str], dict[str, int]]:
    """The dataset's distinct answers and their synonym clusters: answers a record accepts together
    are one cluster, and so are a word and its plural."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        parent[find(a)] = find(b)

    bank: dict[str, str] = {}
    for record in records:
        values = answer_values(get_path(record.payload, path))
        folded = [normalise(v) for v in values]
        for value, norm in zip(values, folded, strict=True):
            if norm:
                bank.setdefault(norm, value)
                find(norm)
        for norm in folded[1:]:
            union(folded[0], norm)
    for norm in list(bank):
        for singular in (norm[:-1], norm[:-2]) if norm.endswith("s") else ():
            if singular in bank:
                union(norm, singular)
    roots: dict[str, int] = {}
    clusters = {norm: roots.setdefault(find(norm), len(roots)) for norm in sorted(bank)}
    return [bank[norm] for norm in sorted(bank)], clusters


def design_plan(card: CardView, records: list[RecordView]) -> tuple[TransformPlan | None, str]:
    """A transformation plan for this card, or None and the reason it cannot be transformed."""
    answer_path = _first_path(card, "answer")
    if not answer_path:
        return None, "the card maps no text answer field"
    raw_answers = [get_path(r.payload, answer_path) for r in records]
    if sum(1 for v in raw_answers if answer_values(v)) < len(records) * MIN_COVERAGE:
        return None, f"{answer_path} is mostly not text (structured output such as boxes); no offline transform yet"

    image_spec, audio_spec = card.fields.get("image"), card.fields.get("audio")
    image_path = (image_spec.paths[0] if image_spec and image_spec.paths else None) or _first_path(card, "context", "image")
    audio_path = (audio_spec.paths[0] if audio_spec and audio_spec.paths else None) or _first_path(card, "context", "audio")
    question_path = _first_path(card, "question")
    options_path = _first_path(card, "options")
    context_spec = card.fields.get("context")
    context_path = _first_path(card, "context")
    dialog_path = _first_path(card, "dialog")
    if context_path in (question_path, options_path):
        context_path = None
    if context_path and question_path and context_spec and context_spec.style == "instruction":
        context_path = None  # a generic instruction next to a real question adds nothing
    ops: list[Operator] = []
    question_from_template = False
    if question_path:
        ops.append(Operator(op="read_text", reads=[question_path], writes=["question"],
                            params={"path": question_path, "into": "question"}))
    elif context_path and context_spec and context_spec.style == "instruction":
        ops.append(Operator(op="read_text", reads=[context_path], writes=["question"],
                            params={"path": context_path, "into": "question"}))
        context_path = None
    else:
        question_from_template = True
    context_source = context_path or dialog_path
    if context_source:
        ops.append(Operator(op="read_text", reads=[context_source], writes=["context"],
                            params={"path": context_source, "into": "context"}))
    if question_from_template:
        contexts = _text_values(records, context_source) if context_source else []
        if not context_source and not (image_path or audio_path):
            return None, "the card maps neither a question, a context nor media to ask about"
        if not context_source:
            # A labelled image or recording with no question of its own (an image or audio folder).
            text = ("Which option best describes the image?" if image_path
                    else "Which option matches what is said in the recording?")
        elif contexts and sum("<MASK>" in c for c in contexts) >= len(contexts) * MIN_COVERAGE:
            text = "Which expression best fills <MASK> in the text above?"
        elif context_source == dialog_path:
            text = "Which reply best continues this conversation?"
        else:
            text = "Which option best fits the text above?"
        ops.append(Operator(op="set_text", writes=["question"], params={"into": "question", "text": text}))
    questions = _text_values(records, question_path) if question_path else []
    if any("<<<" in q for q in questions):
        ops.append(Operator(op="strip_placeholder", reads=["question"], writes=["question"],
                            params={"field": "question"}))

    answer_type = "choice"
    if options_path and options_path != question_path:
        template = "source_options"
        ops += [Operator(op="options_from_list", reads=[options_path], writes=["options"], params={"path": options_path}),
                Operator(op="answer_from_letter", reads=[answer_path, "options"], writes=["answer_index", "accepted_answers"],
                         params={"path": answer_path})]
    elif options_path and options_path == question_path:
        template = "embedded_choices"
        ops += [Operator(op="options_from_embedded_list", reads=["question"], writes=["options", "question"]),
                Operator(op="answer_text", reads=[answer_path], writes=["accepted_answers"],
                         params={"path": answer_path, "reject_answers": REJECT_ANSWERS}),
                Operator(op="answer_match_option", reads=["accepted_answers", "options"], writes=["answer_index"])]
    elif questions and sum(len(_LETTERED_LINE.findall(q)) >= 2 for q in questions) >= len(questions) * MIN_COVERAGE:
        template = "lettered_options"
        ops += [Operator(op="options_from_lettered_lines", reads=["question"], writes=["options", "question"]),
                Operator(op="answer_from_letter", reads=[answer_path, "options"], writes=["answer_index", "accepted_answers"],
                         params={"path": answer_path})]
    else:
        bank, clusters = answer_clusters(records, answer_path)
        classes = len(set(clusters.values()))
        if classes < 2:
            return None, "every record has the same answer; no distractors to draw"
        is_label = classes <= LABEL_MAX_CLASSES and classes <= len(records) / 2
        # In free-text answers a function word ("are", "other") is noise: neither an answer worth
        # asking for nor a distractor. In a closed label set ("BEFORE", "AFTER") it is a label.
        noise = [] if is_label else [value for value in bank if normalise(value) in STOPWORDS]
        bank = [value for value in bank if value not in noise]
        template = "label_choices" if is_label else "answer_bank_choices"
        if classes == 2:
            answer_type = "binary"
        ops += [Operator(op="answer_text", reads=[answer_path], writes=["accepted_answers"],
                         params={"path": answer_path, "reject_answers": REJECT_ANSWERS + noise}),
                Operator(op="distractors_from_bank", reads=["accepted_answers"], writes=["options", "answer_index"],
                         params={"bank": bank, "clusters": clusters, "k": min(3, classes - 1)})]
    ops.append(Operator(op="balance_positions", reads=["options", "answer_index"], writes=["options", "answer_index"]))
    for media_path in (image_path, audio_path):
        if media_path:
            ops.append(Operator(op="attach_media", reads=[media_path], writes=["media"], params={"path": media_path}))
    plan = TransformPlan(template=template, answer_type=answer_type, operators=ops)  # type: ignore[arg-type]
    problems = plan_validate(plan, card)
    if problems:
        return None, "; ".join(problems)
    return plan, ""


def dry_run(plan: TransformPlan, records: list[RecordView]) -> tuple[int, Counter[str]]:
    """How many of the records the plan turns into a sound item, and why the others fail."""
    usable = 0
    failures: Counter[str] = Counter()
    for ordinal, record in enumerate(records):
        try:
            draft = plan_apply(plan, record, ItemContext(seed=0, item_key=record.source_id, ordinal=ordinal))
        except OperatorError as exc:
            failures[re.sub(r"'[^']*'", "'…'", str(exc))] += 1
            continue
        folded = [normalise(o) for o in draft["options"]]
        if len(set(folded)) != len(folded):
            failures["two options are the same"] += 1
        elif any(not os.path.isfile(m.abs_path) for m in draft["media"]):
            failures["media file missing"] += 1
        else:
            usable += 1
    return usable, failures


def _subtask_name(card: CardView) -> str:
    words = re.sub(r"[-_]+", " ", card.name).strip()
    return words[:1].upper() + words[1:].lower() if words.isupper() or "-" in card.name else words


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "subtask"


def _first_sentences(text: str, count: int) -> str:
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(text.split()))
    return " ".join(sentences[:count])


def plan_offline(request: BuildRequest, pool: Pool, *, max_subtasks: int = MAX_SUBTASKS) -> PlanResult:
    scope = scope_parse(request)
    trace: list[dict[str, Any]] = [{"step": "scope", "engine": ENGINE, **scope.model_dump()}]
    wanted = set(scope.modalities) - {"text"}
    cards = pool.cards()
    eligible, excluded = [], []
    for card in cards:
        needs = set(card.modalities) - {"text"}
        if needs == wanted:
            eligible.append(card)
        else:
            excluded.append({"dataset": card.slug, "modalities": card.modalities})
    trace.append({"step": "modality_filter", "wanted": sorted(scope.modalities), "eligible": [c.slug for c in eligible],
                  "excluded": excluded})
    if not eligible:
        reason = (f"no dataset in the pool has the modalities {sorted(scope.modalities)} "
                  f"(the pool holds {len(cards)} datasets)")
        return PlanResult(engine=ENGINE, scope=scope, subtasks=[], end_state="ungroundable", reason=reason, trace=trace)

    query = tokens(request.text)
    index = BM25([card_document(card) for card in eligible])
    ranked = sorted(((index.score(query, i), i) for i in range(len(eligible))), key=lambda t: (-t[0], eligible[t[1]].slug))
    candidates: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    best = ranked[0][0] if ranked else 0.0
    for score, i in ranked:
        card = eligible[i]
        if score <= 0 or score < best * RELATIVE_SCORE_FLOOR or len(candidates) >= max_subtasks:
            break
        records = pool.records(card.dataset_id)
        plan, why = design_plan(card, records)
        if plan is None:
            rejected.append({"dataset": card.slug, "lexical": round(score, 4), "reason": why})
            continue
        usable, failures = dry_run(plan, records)
        coverage = usable / len(records) if records else 0.0
        if coverage < MIN_COVERAGE:
            rejected.append({"dataset": card.slug, "lexical": round(score, 4),
                             "reason": f"the plan works on {usable} of {len(records)} records",
                             "failures": dict(failures.most_common(3))})
            continue
        simplicity = 1.0 / (1.0 + len(plan.operators) / 4)
        alignment = score / best if best else 0.0
        plan_score = 0.45 * alignment + 0.35 * coverage + 0.10 * simplicity + 0.10 * coverage
        candidates.append({
            "card": card, "plan": plan, "capacity": usable,
            "matched": index.matched_terms(query, i),
            "scores": {"lexical": round(score, 4), "alignment": round(alignment, 4), "qa_bonus": _qa_bonus(card),
                       "coverage": round(coverage, 4), "simplicity": round(simplicity, 4),
                       "plan_score": round(plan_score, 4)},
            "failures": dict(failures.most_common(3)),
        })
    trace.append({"step": "grounding", "query_terms": sorted(set(query)),
                  "ranked": [{"dataset": eligible[i].slug, "lexical": round(s, 4)} for s, i in ranked[:8]],
                  "accepted": [{"dataset": c["card"].slug, "template": c["plan"].template, "capacity": c["capacity"],
                                "scores": c["scores"], "failures": c["failures"]} for c in candidates],
                  "rejected": rejected})
    if not candidates:
        reason = "no dataset matching the request could be transformed into items"
        if best <= 0:
            reason = "no dataset card shares a content word with the request"
        return PlanResult(engine=ENGINE, scope=scope, subtasks=[], end_state="ungroundable", reason=reason, trace=trace)

    # Matched terms are stems ("sever"); subtasks show the request's own word ("several").
    surface: dict[str, str] = {}
    for word in re.findall(r"[a-z0-9]+", request.text.lower()):
        surface.setdefault(stem(word), word)
    weight_sum = sum(c["scores"]["plan_score"] for c in candidates)
    subtasks: list[SubtaskPlan] = []
    for c in candidates:
        card: CardView = c["card"]
        name = _subtask_name(card)
        importance = round(c["scores"]["plan_score"] / weight_sum, 4)
        schema = {"question": "text", "options": "list[text]", "answer": "text"}
        if any(op.op == "read_text" and op.params.get("into") == "context" for op in c["plan"].operators):
            schema["context"] = "text"
        if "image" in card.modalities:
            schema["image"] = "image"
        subtasks.append(SubtaskPlan(
            key=_slug(name), name=name,
            description=(f"{_first_sentences(card.description, 2)} Items are drawn from the {card.name} dataset "
                         f"and posed as multiple choice ({c['plan'].template.replace('_', ' ')})."),
            answer_type=c["plan"].answer_type, modalities=sorted(set(card.modalities) | {"text"}),
            keywords=[surface.get(term, term) for term in c["matched"][:8]], sample_schema=schema,
            importance=importance,
            groundings=[GroundingPlan(dataset_id=card.dataset_id, dataset_slug=card.slug, plan=c["plan"],
                                      scores=c["scores"], capacity=c["capacity"])],
        ))
    allocation = allocate(request.target_size, [Claim(s.key, s.importance, s.groundings[0].capacity) for s in subtasks])
    for subtask in subtasks:
        subtask.quota = allocation.quotas[subtask.key]
        subtask.groundings[0].quota = subtask.quota
    trace.append({"step": "allocation", "target": request.target_size, "quotas": allocation.quotas,
                  "capacities": {s.key: s.groundings[0].capacity for s in subtasks}, "gap": allocation.gap,
                  "diagnosis": allocation.diagnosis})
    end_state = "allocation-gap" if allocation.gap else "ok"
    return PlanResult(engine=ENGINE, scope=scope, subtasks=subtasks, end_state=end_state,
                      reason=allocation.diagnosis, trace=trace)
