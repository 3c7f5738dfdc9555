"""Grounding that starts from the pool, without Django: the whole request and the capability asks a
subtask serves are searched besides its own words; a card serves only above an absolute relevance
floor; the composite threshold cannot be cleared without alignment; flat records whose fields are
named like draft fields ground (record paths and draft fields are separate namespaces)."""
from __future__ import annotations

import json

from agents.offline.planner import plan_offline
from agents.operators import ItemContext, plan_apply, plan_validate
from agents.planner.brain import Judgement
from agents.planner.grounding import (
    ALIGNMENT_FLOOR,
    GroundingConfig,
    Prepared,
    prepare,
    score,
)
from agents.planner.relevance import intents_of, route_query
from agents.planner.transform import design_plan, dry_run
from agents.types import (
    Ask,
    BuildRequest,
    CardView,
    FieldSpec,
    Operator,
    RecordView,
    SubtaskDraft,
    TransformPlan,
)
from tests.agents.test_offline_engine import MemoryPool, card, record
from tests.conftest import SEED_POOL, seed_cards


def seed_text_pool(names: list[str]) -> MemoryPool:
    """Seed-pool text datasets as the pool shows them: their cards and their records."""
    cards = seed_cards()
    entries = []
    for i, name in enumerate(names, start=1):
        raw = cards[name]
        view = CardView(dataset_id=i, slug=name.lower(), name=name, description=raw["description"],
                        card_text=raw["card_text"], tasks=raw["tasks"], domain=raw["domain"],
                        modalities=raw["modalities"],
                        fields={role: FieldSpec(**{k: v for k, v in spec.items() if k in FieldSpec.model_fields})
                                for role, spec in raw["meta"]["fields"].items()})
        data = json.loads((SEED_POOL / raw["raw_meta"]["source_json"].removeprefix("data/")).read_text())["data"]
        entries.append((view, [RecordView(record_id=i * 10_000 + n, dataset_id=i, source_id=str(item["id"]), payload=item)
                               for n, item in enumerate(data)]))
    return MemoryPool(entries)


SEED_TEXT = ["Causal-Reasoning", "Ethical-Reasoning", "Natural-Language-Inference", "Social-Science-Question-Answering",
             "Temporal-Reasoning", "Event-Coreference-Resolution"]


def test_a_request_no_dataset_is_about_ends_ungroundable_not_grounded_on_a_shared_word():
    # "classification" is in the NLI card; nothing in the pool is about the sentiment of posts.
    result = plan_offline(BuildRequest(text="Sentiment classification of social media posts: is each post positive, "
                                            "negative or neutral?", target_size=10), seed_text_pool(SEED_TEXT))
    assert (result.end_state, result.subtasks) == ("ungroundable", [])
    grounding = [s for s in result.trace if s["step"] == "grounding"]
    assert grounding and all(s["reason"].startswith("no dataset in the pool is about what the request asks")
                             for s in grounding)
    assert all(c["relevance"] < 0.40 for s in grounding for c in s["candidates"])


def test_the_requests_own_words_find_a_card_the_subtasks_words_miss():
    """The subtask's words (a generic taxonomy capability) rank another card first; the request finds the
    team's own card, which alone is about what was asked."""
    topics = card("headline-topics", {"context": ["text"], "answer": ["label"]}, name="Headline topics",
                  description="Classify short texts into one of a fixed set of labels: the topic of news headlines.")
    reviews = card("review-sentiment", {"context": ["text"], "answer": ["label"]}, name="Customer review sentiment",
                   description="Customer product reviews with labels: positive or negative sentiment.")
    topic_rows = [record(i, {"text": f"Parliament votes on budget {i}", "label": ["politics", "sport", "science"][i % 3]},
                         topics.dataset_id) for i in range(12)]
    review_rows = [record(100 + i, {"text": f"The blender number {i} {'works well' if i % 2 else 'broke in a week'}",
                                    "label": "positive" if i % 2 else "negative"}, reviews.dataset_id)
                   for i in range(12)]
    pool = MemoryPool([(topics, topic_rows), (reviews, review_rows)])
    subtask = SubtaskDraft(key="text-classification", name="Text classification", modalities=["text"],
                           description="Classify short texts into one of a fixed set of labels.",
                           keywords=["classify", "labels"], roles=["context", "answer"],
                           serves=["capability:sentiment"])
    asks = [Ask(key="capability:sentiment", kind="capability", text="the sentiment of customer product reviews")]
    config = GroundingConfig(search_limit=1)

    alone = prepare(subtask, pool=pool, config=config, cache={})  # the subtask's words only: the old search
    assert [c["dataset"] for c in alone.considered] == ["headline-topics"]

    prepared = prepare(subtask, pool=pool, config=config, cache={}, asks=asks,
                       request_text="Can a model tell whether customer product reviews are positive or negative?")
    by_slug = {c["dataset"]: c for c in prepared.considered}
    assert sorted(by_slug) == ["headline-topics", "review-sentiment"]
    assert by_slug["headline-topics"]["rejected"].startswith("its card is not about what the request asks")
    assert "rejected" not in by_slug["review-sentiment"]
    assert by_slug["review-sentiment"]["relevance_to"] in ("request", "capability:sentiment",
                                                           "skill-name:capability:sentiment")
    assert [view.slug for view, _, _ in prepared.candidates] == ["review-sentiment"]


def test_intents_are_the_request_and_the_capability_asks_the_subtask_serves():
    subtask = SubtaskDraft(key="a", name="A", description="A.", modalities=["text"], serves=["capability:x"])
    asks = [Ask(key="capability:x", kind="capability", text="spot the cause"),
            Ask(key="capability:y", kind="capability", text="judge morals"),
            Ask(key="input:image", kind="input_modality", text="images as input")]
    assert [(i.key, i.text) for i in intents_of(subtask, request_text="Spot causes and judge morals.", asks=asks)] == [
        ("request", "Spot causes and judge morals."), ("capability:x", "spot the cause")]
    assert [i.key for i in intents_of(subtask)] == ["subtask"]


def test_route_queries_leave_out_the_robustness_condition_and_a_synthesised_medium():
    text = "Can a model read news pages shown as blurry scanned images?"
    assert route_query(text, "") == "Can a model read news pages shown as scanned images ?"
    assert route_query(text, "render") == "Can a model news as ?"


def _prepared_with_one_candidate() -> Prepared:
    c = card("causal", {"question": ["input.question"], "options": ["input.options"], "answer": ["output.answer"]},
             name="Causal reasoning", description="Pick the most plausible cause of an everyday event.")
    recs = [record(i, {"input": {"question": f"Why {i}?", "options": [f"a{i}", f"b{i}"]}, "output": {"answer": "A"}},
                   c.dataset_id) for i in range(4)]
    return prepare(SubtaskDraft(key="causal", name="Causal reasoning", description="Pick the most plausible cause.",
                                modalities=["text"]),
                   pool=MemoryPool([(c, recs)]), config=GroundingConfig(), cache={},
                   request_text="Pick the most plausible cause of an everyday event.")


def test_coverage_simplicity_and_risk_alone_cannot_clear_the_threshold():
    prepared = _prepared_with_one_candidate()
    (view, _, _), = prepared.candidates
    # Perfect on everything but alignment: 0.25 + 0.10 + 0.20 = 0.55, the threshold itself.
    outcome = score(prepared, {view.slug: Judgement(alignment=0.0, simplicity=1.0, risk=0.0)}, config=GroundingConfig())
    assert outcome.groundings == []
    (entry,) = outcome.considered
    assert entry["scores"]["composite"] == 0.55
    assert entry["rejected"] == f"alignment 0.00 is below its floor {ALIGNMENT_FLOOR:.2f}, whatever the other scores"
    assert outcome.reason == "no candidate reached the composite threshold 0.55 with an alignment of at least 0.50"
    kept = score(prepared, {view.slug: Judgement(alignment=0.5, simplicity=1.0, risk=0.0)}, config=GroundingConfig())
    assert [g.dataset_slug for g in kept.groundings] == ["causal"]


def test_the_offline_alignment_reads_relevance_against_its_floor():
    prepared = _prepared_with_one_candidate()
    outcome = score(prepared, {}, config=GroundingConfig())
    (grounding,) = outcome.groundings
    relevance = grounding.scores["relevance"]
    assert relevance >= 0.40
    assert grounding.scores["alignment"] == round(min(1.0, 0.5 * relevance / 0.40), 4)


FLAT = card("flat", {"question": ["question"], "context": ["context"], "options": ["options"], "answer": ["answer"]},
            name="Flat upload")


def _flat_records() -> list[RecordView]:
    return [record(i, {"id": f"r{i}", "question": f"How would people see worker {i}?", "context": f"Worker {i} helped.",
                       "options": ["helpful", "rude", "lazy"], "answer": "A"}, FLAT.dataset_id) for i in range(6)]


def test_a_flat_record_with_fields_named_like_the_draft_grounds():
    plan, why = design_plan(FLAT, _flat_records())
    assert why == ""
    assert [(op.op, op.reads, op.writes) for op in plan.operators[:4]] == [
        ("read_text", ["record:question"], ["question"]), ("read_text", ["record:context"], ["context"]),
        ("options_from_list", ["record:options"], ["options"]),
        ("answer_from_letter", ["record:answer", "options"], ["answer_index", "accepted_answers"])]
    run = dry_run(plan, _flat_records())
    assert (run.usable, run.checked) == (6, 6)
    draft = plan_apply(plan, _flat_records()[2], ItemContext(seed=0, item_key="k", ordinal=0))
    assert (draft["question"], draft["context"]) == ("How would people see worker 2?", "Worker 2 helped.")
    assert draft["options"][draft["answer_index"]] == "helpful"


def test_plans_stored_before_the_namespaces_still_validate_and_run():
    """Grounding.plan JSON written before the record: prefix reads record paths unprefixed."""
    causal = card("causal", {"question": ["input.question"], "options": ["input.options"], "answer": ["output.answer"]})
    stored = {"template": "source_options", "answer_type": "choice", "operators": [
        {"op": "read_text", "reads": ["input.question"], "writes": ["question"],
         "params": {"path": "input.question", "into": "question"}},
        {"op": "options_from_list", "reads": ["input.options"], "writes": ["options"], "params": {"path": "input.options"}},
        {"op": "answer_from_letter", "reads": ["output.answer", "options"], "writes": ["answer_index", "accepted_answers"],
         "params": {"path": "output.answer"}},
        {"op": "balance_positions", "reads": ["options", "answer_index"], "writes": ["options", "answer_index"]}]}
    plan = TransformPlan.model_validate(stored)
    assert plan_validate(plan, causal) == []
    rec = record(1, {"input": {"question": "Why?", "options": ["x", "y"]}, "output": {"answer": "B"}})
    draft = plan_apply(plan, rec, ItemContext(seed=0, item_key="k", ordinal=0))
    assert draft["options"][draft["answer_index"]] == "y"
    # The two namespaces are told apart: a draft read before any write, a record path the card lacks.
    bad = TransformPlan(template="t", answer_type="choice", operators=[
        Operator(op="read_text", reads=["record:question"], writes=["question"], params={"path": "question",
                                                                                        "into": "question"}),
        Operator(op="balance_positions", reads=["options"], writes=["options"])])
    assert plan_validate(bad, causal) == [
        "step 1 (read_text) reads the record's 'question', which the card does not map",
        "step 2 (balance_positions) reads 'options' before any step writes it",
        "no step writes 'answer_index'"]
    assert plan_validate(bad, FLAT)[:1] == ["step 2 (balance_positions) reads 'options' before any step writes it"]
