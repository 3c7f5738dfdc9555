"""The agent core on its own: operators, plans, allocation and the offline planner, with no Django."""
from __future__ import annotations

import pytest

from agents.executor.cell import draw_order, run_cell
from agents.offline.lexical import BM25, keywords, tokens
from agents.offline.planner import plan_offline
from agents.planner.search import lexical_search
from agents.planner.transform import answer_clusters, design_plan, dry_run
from agents.offline.scope import scope_parse
from agents.operators import ItemContext, OperatorError, plan_apply, plan_validate
from agents.planner.allocation import Claim, allocate
from agents.types import (
    BuildRequest,
    CardView,
    Cell,
    FieldSpec,
    MediaCheck,
    Operator,
    RecordView,
    TransformPlan,
)


def card(slug: str, fields: dict[str, list[str]], *, name: str = "", description: str = "",
         modalities=("text",), styles: dict[str, str] | None = None) -> CardView:
    styles = styles or {}
    return CardView(dataset_id=hash(slug) % 10_000, slug=slug, name=name or slug, description=description,
                    modalities=list(modalities),
                    fields={role: FieldSpec(paths=paths, style=styles.get(role, "")) for role, paths in fields.items()})


def record(i: int, payload: dict, dataset_id: int = 1) -> RecordView:
    return RecordView(record_id=i, dataset_id=dataset_id, source_id=f"r{i}", payload=payload)


class MemoryPool:
    """A pool in memory, searched as the Django pool searches (hybrid: BM25 and the packaged
    embedding model), unless `embedder=None` is asked for explicitly (lexical only)."""

    def __init__(self, cards_records: list[tuple[CardView, list[RecordView]]], *, embedder="default") -> None:
        self._cards = [c for c, _ in cards_records]
        self._records = {c.dataset_id: rs for c, rs in cards_records}
        if embedder == "default":
            from agents.tools.embedding import default_embedder

            embedder = default_embedder()
        self.embedder = embedder

    def cards(self):
        return self._cards

    def record_ids(self, dataset_id):
        return [r.record_id for r in self._records[dataset_id]]

    def records(self, dataset_id, record_ids=None):
        by_id = {r.record_id: r for r in self._records[dataset_id]}
        return [by_id[i] for i in (record_ids if record_ids is not None else by_id)]

    def search(self, query, *, modalities, roles, limit):
        return lexical_search(self._cards, query, modalities=modalities, roles=roles, limit=limit,
                              embedder=self.embedder)


class ListSink:
    def __init__(self):
        self.samples, self.events, self.event_data = [], [], {}

    def existing(self, grounding_id):
        return {s.item_key: (s.status, s.record_id) for s in self.samples}

    def put(self, draft):
        if any(s.item_key == draft.item_key for s in self.samples):
            return False
        self.samples.append(draft)
        return True

    def progress(self, done, total):
        pass

    def fingerprints(self):
        return [(s.item_key, s.fingerprint, s.dedup_key) for s in self.samples if s.status != "rejected"]

    def event(self, kind, message, *, level="info", data=None):
        self.events.append((kind, level, message))
        self.event_data[kind] = data


class NullLedger:
    def __init__(self):
        self.tool_calls = []

    def tool_call(self, **call):
        self.tool_calls.append(call)

    def llm_call(self, **call):
        raise AssertionError("the offline engine makes no LLM calls")


class NoMediaTools:
    def media_check(self, abs_path, kind):
        return MediaCheck(ok=False, detail="no media in these tests")

    def clean_media(self, abs_path, kind):
        return None, []  # nothing to strip: the files are not there


def causal_pool(n: int = 12):
    c = card("causal", {"question": ["input.question"], "options": ["input.options"], "answer": ["output.answer"]},
             name="Causal reasoning", description="Pick the most plausible cause or effect of an everyday event.")
    recs = [record(i, {"input": {"question": f"What is the cause of event {i}?",
                                 "options": [f"cause {i}a", f"cause {i}b"]},
                       "output": {"answer": "AB"[i % 2]}}, c.dataset_id) for i in range(n)]
    return c, recs


def test_tokens_and_keywords():
    assert tokens("Different perspectives on the events") == ["different", "perspectiv", "event"]
    assert keywords("Infer the event from perspectives; the event is told from several perspectives.") == [
        "event", "perspectives", "infer", "told", "several"]


def test_bm25_prefers_the_matching_document():
    index = BM25([tokens("causal reasoning about everyday events"), tokens("bird detection boxes")])
    query = tokens("cause and effect of everyday events")
    assert index.score(query, 0) > 0
    assert index.score(query, 1) == 0
    assert index.matched_terms(query, 0) == ["event", "everyday"]


def test_scope_infers_modalities():
    assert scope_parse(BuildRequest(text="Questions about paintings in museums", target_size=5)).modalities == ["image", "text"]
    assert scope_parse(BuildRequest(text="Understand spoken dialogue", target_size=5)).modalities == ["audio", "text"]
    assert scope_parse(BuildRequest(text="Reason about causes", target_size=5)).modalities == ["text"]
    assert scope_parse(BuildRequest(text="Reason about causes", target_size=5, modalities=["image"])).modalities == [
        "image", "text"]


@pytest.mark.parametrize("target,claims,expected,gap", [
    (120, [Claim("a", 1, 200), Claim("b", 1, 200), Claim("c", 1, 200)], {"a": 40, "b": 40, "c": 40}, 0),
    (10, [Claim("a", 2, 100), Claim("b", 1, 100)], {"a": 7, "b": 3}, 0),
    (100, [Claim("a", 5, 8), Claim("b", 1, 500)], {"a": 8, "b": 92}, 0),
    (50, [Claim("a", 1, 20), Claim("b", 1, 10)], {"a": 20, "b": 10}, 20),
])
def test_allocation_sums_exactly_and_respects_capacity(target, claims, expected, gap):
    result = allocate(target, claims)
    assert result.quotas == expected
    assert result.gap == gap
    assert sum(result.quotas.values()) == target - gap


def test_plan_validation_names_each_problem():
    c, _ = causal_pool()
    plan = TransformPlan(template="t", answer_type="choice", operators=[
        Operator(op="read_text", reads=["input.nope"], writes=["question"], params={"path": "input.nope", "into": "question"}),
        Operator(op="balance_positions", reads=["options", "answer_index"], writes=["options", "answer_index"]),
        Operator(op="teleport", writes=["answer"]),
    ])
    assert plan_validate(plan, c) == [
        "step 1 (read_text) reads the record's 'input.nope', which the card does not map",
        "step 2 (balance_positions) reads 'options' before any step writes it",
        "step 2 (balance_positions) reads 'answer_index' before any step writes it",
        "step 3: unknown operator 'teleport'",
        "step 3 (teleport) writes unknown field 'answer'",
    ]


def test_source_options_plan_keeps_the_keyed_answer_and_balances_positions():
    c, recs = causal_pool()
    plan, why = design_plan(c, recs)
    assert why == ""
    assert plan.template == "source_options"
    positions = []
    for ordinal, r in enumerate(recs):
        draft = plan_apply(plan, r, ItemContext(seed=0, item_key=r.source_id, ordinal=ordinal))
        keyed = r.payload["input"]["options"]["AB".index(r.payload["output"]["answer"])]
        assert draft["options"][draft["answer_index"]] == keyed
        assert draft["question"] == r.payload["input"]["question"]
        positions.append(draft["answer_index"])
    assert positions == [0, 1] * 6


def test_embedded_and_lettered_options_are_parsed_out_of_the_question():
    embedded = card("chem", {"question": ["input.question"], "options": ["input.question"], "answer": ["output.text"]})
    rec = record(1, {"input": {"question": "Which is denser? The candidate choices are ['Solution A', 'Solution B']."},
                     "output": {"text": "Solution B"}})
    plan, _ = design_plan(embedded, [rec, rec])
    draft = plan_apply(plan, rec, ItemContext(seed=0, item_key="k", ordinal=0))
    assert (draft["question"], sorted(draft["options"])) == ("Which is denser?", ["Solution A", "Solution B"])
    assert draft["options"][draft["answer_index"]] == "Solution B"

    lettered = card("coref", {"context": ["input.raw_text"], "question": ["input.prompt"], "answer": ["output.text"]})
    prompt = "<<<raw_text>>>\n\nWhich pair corefers?\n\nA. x -> y\nB. y -> z\nC. x -> z\n\nChoose A, B, or C."
    rec = record(2, {"input": {"raw_text": "Some news.", "prompt": prompt}, "output": {"text": "C"}})
    plan, _ = design_plan(lettered, [rec])
    assert plan.template == "lettered_options"
    draft = plan_apply(plan, rec, ItemContext(seed=0, item_key="k", ordinal=1))
    assert draft["question"] == "Which pair corefers?"
    assert draft["context"] == "Some news."
    assert draft["options"][draft["answer_index"]] == "x -> z"
    assert draft["answer_index"] == 1


def test_answer_bank_distractors_avoid_synonyms_of_the_answer():
    c = card("vqa", {"question": ["input.prompt"], "answer": ["output.text"]})
    recs = [record(0, {"input": {"prompt": "who stands"}, "output": {"text": ["person", "man"]}}),
            record(1, {"input": {"prompt": "who sits"}, "output": {"text": ["people", "men", "man"]}}),
            record(2, {"input": {"prompt": "what flies"}, "output": {"text": ["bird"]}}),
            record(3, {"input": {"prompt": "what swims"}, "output": {"text": ["fish"]}}),
            record(4, {"input": {"prompt": "what rolls"}, "output": {"text": ["wheel"]}})]
    bank, clusters = answer_clusters(recs, "output.text")
    assert clusters["person"] == clusters["man"] == clusters["people"] == clusters["men"]
    plan, _ = design_plan(c, recs)
    assert plan.template == "answer_bank_choices"
    draft = plan_apply(plan, recs[0], ItemContext(seed=0, item_key="k", ordinal=0))
    assert sorted(draft["options"]) == ["bird", "fish", "person", "wheel"]
    assert draft["options"][draft["answer_index"]] == "person"


def test_structured_answers_are_not_transformable():
    c = card("birds", {"question": ["input.prompt"], "answer": ["output.text.bird"]})
    recs = [record(i, {"input": {"prompt": "Detect the bird"}, "output": {"text": {"bird": [[1, 2, 3, 4]]}}}) for i in range(4)]
    plan, why = design_plan(c, recs)
    assert plan is None
    assert why == "output.text.bird is mostly not text (structured output such as boxes); no offline transform yet"


def test_operator_errors_name_the_step():
    c, recs = causal_pool()
    plan, _ = design_plan(c, recs)
    broken = record(99, {"input": {"question": "Why?", "options": ["only one"]}, "output": {"answer": "A"}})
    with pytest.raises(OperatorError, match=r"^step 2 \(options_from_list\): input.options is not a list of at least two texts$"):
        plan_apply(plan, broken, ItemContext(seed=0, item_key="k", ordinal=0))


def test_plan_offline_grounds_text_requests_and_refuses_missing_modalities():
    c, recs = causal_pool(30)
    other = card("birds", {"question": ["input.prompt"], "image": ["input.image_file"], "answer": ["output.text"]},
                 modalities=("image", "text"), description="bird photos")
    pool = MemoryPool([(c, recs), (other, [])])
    result = plan_offline(BuildRequest(text="the cause or effect of an everyday event", target_size=20), pool)
    assert result.end_state == "ok"
    assert [(s.key, s.quota, s.groundings[0].capacity) for s in result.subtasks] == [("causal-reasoning", 20, 30)]
    assert [step["step"] for step in result.trace] == ["scope", "design", "grounding", "allocation", "coverage"]

    result = plan_offline(BuildRequest(text="spoken dialogue in many languages", target_size=20), pool)
    assert (result.end_state, result.subtasks) == ("ungroundable", [])
    assert result.reason == "no dataset in the pool has the inputs ['audio', 'text'] nor a dialogue to speak"

    result = plan_offline(BuildRequest(text="the cause or effect of an everyday event", target_size=50), pool)
    assert result.end_state == "partial"
    assert result.reason == ("30 of the 50 samples could be planned; insufficient supply: the chosen datasets hold "
                             "30 usable records for 50 requested")
    assert [(c.key, c.status, c.samples) for c in result.coverage] == [("capability:causal-reasoning", "served", 30)]
    assert [(s.key, s.quota) for s in result.subtasks] == [("causal-reasoning", 30)]


def test_run_cell_meets_quota_resumes_and_reports_exhaustion():
    c, recs = causal_pool(12)
    plan, _ = design_plan(c, recs)
    pool = MemoryPool([(c, recs)])
    cell = Cell(subtask_key="causal", grounding_id=1, dataset_id=c.dataset_id, dataset_slug="causal", plan=plan, quota=5)
    sink, ledger = ListSink(), NullLedger()
    report = run_cell(cell, modalities=["text"], pool=pool, tools=NoMediaTools(), ledger=ledger, sink=sink)
    assert (report.accepted, report.rejected, report.exhausted) == (5, 0, False)
    order = draw_order(cell, pool.record_ids(c.dataset_id))
    assert [s.record_id for s in sink.samples] == order[:5]
    assert [s.item_key for s in sink.samples] == [f"causal/causal/r{i}" for i in order[:5]]

    again = run_cell(cell, modalities=["text"], pool=pool, tools=NoMediaTools(), ledger=ledger, sink=sink)
    assert (again.accepted, again.skipped_existing, len(sink.samples)) == (5, 0, 5)

    bigger = cell.model_copy(update={"quota": 20})
    report = run_cell(bigger, modalities=["text"], pool=pool, tools=NoMediaTools(), ledger=ledger, sink=sink)
    assert (report.accepted, report.skipped_existing, report.exhausted, len(sink.samples)) == (12, 5, True, 12)
    assert sink.events[-1] == ("source_exhausted", "warning", "causal ran out of usable records: 12 of 20 made")


def _missing_image_pool():
    """A VQA card whose six records name image files that are not there, and a cell of three over them."""
    from agents.types import MediaRef

    c = card("vqa", {"question": ["input.prompt"], "image": ["input.image_file"], "answer": ["output.text"]},
             modalities=("image", "text"))
    recs = [RecordView(record_id=i, dataset_id=c.dataset_id, source_id=f"r{i}",
                       payload={"input": {"prompt": f"what is {i}", "image_file": f"{i}.png"}, "output": {"text": f"thing{i}"}},
                       media=[MediaRef(path="input.image_file", file=f"{i}.png", abs_path=f"/nonexistent/{i}.png", kind="image")])
            for i in range(6)]
    plan, _ = design_plan(c, recs)
    return c, recs, Cell(subtask_key="vqa", grounding_id=1, dataset_id=c.dataset_id, dataset_slug="vqa", plan=plan,
                         quota=3)


def test_source_media_that_fail_the_screen_are_replaced_and_named():
    c, recs, cell = _missing_image_pool()
    sink, ledger = ListSink(), NullLedger()
    report = run_cell(cell, modalities=["image", "text"], pool=MemoryPool([(c, recs)]), tools=NoMediaTools(),
                      ledger=ledger, sink=sink)
    # The source screen finds the files missing before any item is made: each record is replaced and
    # named, with its reason, in the cell's event.
    assert (report.accepted, report.rejected, report.exhausted) == (0, 0, True)
    event = next(e for e in sink.events if e[0] == "records_screened_out")
    assert event[:2] == ("records_screened_out", "warning")
    assert [r["source_id"] for r in sink.event_data["records_screened_out"]["records"]] == [
        f"r{i}" for i in draw_order(cell, list(range(6)))]
    assert all(r["reason"].startswith(f"image {r['source_id'][1:]}.png fails the source screen: the image does not "
                                      "decode") for r in sink.event_data["records_screened_out"]["records"])


def test_media_failures_reject_the_sample_and_are_recorded():
    """Past the source screen (patched out here), a file the item carries is checked again."""
    c, recs, cell = _missing_image_pool()
    sink, ledger = ListSink(), NullLedger()
    from unittest import mock

    from agents.operators.screen import Screened

    with mock.patch("agents.executor.cell.screen_record", lambda plan, record, **kw: Screened(record=record)):
        report = run_cell(cell, modalities=["image", "text"], pool=MemoryPool([(c, recs)]), tools=NoMediaTools(),
                          ledger=ledger, sink=sink)
    assert (report.accepted, report.rejected, report.exhausted) == (0, 6, True)
    assert sink.samples[0].rejected_reasons == [f"media_present: {sink.samples[0].media[0].file}: no media in these tests"]
    assert len(ledger.tool_calls) == 6
    assert all(call["ok"] is False and call["tool"] == "image_decode" for call in ledger.tool_calls)


def test_function_words_are_noise_in_free_answers_but_labels_in_a_closed_set():
    free = card("vqa", {"question": ["input.prompt"], "answer": ["output.text"]})
    recs = [record(i, {"input": {"prompt": f"what is {i}"}, "output": {"text": word}})
            for i, word in enumerate(["bird", "other", "fish", "wheel", "are", "tree"])]
    plan, _ = design_plan(free, recs)
    bank_op = next(op for op in plan.operators if op.op == "distractors_from_bank")
    answer_op = next(op for op in plan.operators if op.op == "answer_text")
    assert bank_op.params["bank"] == ["bird", "fish", "tree", "wheel"]
    assert answer_op.params["reject_answers"] == ["none of the above", "all of the above", "are", "other"]

    labels = card("temporal", {"question": ["input.prompt"], "answer": ["output.text"]})
    recs = [record(i, {"input": {"prompt": f"relation {i}?"}, "output": {"text": ["BEFORE", "AFTER", "DURING"][i % 3]}})
            for i in range(12)]
    plan, _ = design_plan(labels, recs)
    assert plan.template == "label_choices"
    assert next(op for op in plan.operators if op.op == "distractors_from_bank").params["bank"] == [
        "AFTER", "BEFORE", "DURING"]
    run = dry_run(plan, recs)
    assert (run.usable, run.checked, dict(run.failures)) == (12, 12, {})
