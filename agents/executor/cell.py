"""Realise one cell: draw source records without replacement (seeded), transform each through the
approved plan, verify, and hand every sample to the sink until the quota is met or the dataset is
exhausted. Resumable: item keys the sink already holds are never made again."""
from __future__ import annotations

import random
from collections import Counter, deque

from agents.executor.dedup import DuplicateIndex, exact_key
from agents.executor.llm_checks import blind_check_finish, blind_request
from agents.executor.toolbox import ToolBox
from agents.executor.verify import verify
from agents.operators import ItemContext, OperatorError, plan_apply
from agents.planner.budget import Budget
from agents.ports import LLM, Ledger, Pool, Sink, Tools
from agents.tools.embedding import Embedder
from agents.types import Cell, CellReport, SampleDraft

BATCH = 100


def item_key(cell: Cell, source_id: str) -> str:
    return f"{cell.subtask_key}/{cell.dataset_slug}/{source_id}"


def draw_order(cell: Cell, record_ids: list[int]) -> list[int]:
    """A reproducible permutation of the dataset's records for this cell."""
    order = list(record_ids)
    random.Random(f"{cell.seed}:{cell.dataset_slug}:{cell.subtask_key}").shuffle(order)
    return order


def _deduplicate(draft: SampleDraft, dedup: DuplicateIndex) -> SampleDraft:
    vector = dedup.fingerprint(draft)
    check = dedup.check(draft, vector)
    return draft.model_copy(update={"fingerprint": vector, "dedup_key": exact_key(draft),
                                    "checks": [*draft.checks, check],
                                    "status": draft.status if check.ok else "rejected"})


def run_cell(cell: Cell, *, modalities: list[str], pool: Pool, tools: Tools, ledger: Ledger, sink: Sink,
             engine: str = "offline", embedder: Embedder | None = None, llm: LLM | None = None,
             budget: Budget | None = None) -> CellReport:
    """Realise the cell. With an LLM, items that carry media also pass the blind check (the model
    must not find the key without the media); the budget is checked before each call and a spent
    budget stops the cell cleanly (BudgetExhausted propagates after the items made so far are kept)."""
    budget = budget or Budget()
    existing = sink.existing(cell.grounding_id)
    dedup = DuplicateIndex(embedder)
    for key, vector, exact in sink.fingerprints():
        dedup.add(key, vector, exact)
    accepted = sum(1 for status in existing.values() if status in ("ok", "repaired"))
    rejected = skipped = seen = 0
    transform_failures: Counter[str] = Counter()
    sink.progress(min(accepted, cell.quota), cell.quota)
    order = draw_order(cell, pool.record_ids(cell.dataset_id))
    toolbox = ToolBox(tools, ledger)
    # With an LLM, the blind checks of media items run while the next items are made: up to
    # `window` calls in flight, finished (and stored) in the order they were drawn.
    window = max(1, getattr(getattr(llm, "config", None), "concurrency", 8)) if llm is not None else 0
    in_flight: deque[tuple[SampleDraft, object]] = deque()

    def store(draft: SampleDraft) -> None:
        nonlocal accepted, rejected
        if draft.status != "rejected":
            draft = _deduplicate(draft, dedup)
        if sink.put(draft):
            if draft.status == "rejected":
                rejected += 1
            else:
                dedup.add(draft.item_key, draft.fingerprint, draft.dedup_key)
                accepted += 1
            sink.progress(accepted, cell.quota)

    def finish_oldest() -> None:
        draft, handle = in_flight.popleft()
        if handle is not None:
            check = blind_check_finish(draft, llm=llm, handle=handle)
            draft = draft.model_copy(update={"checks": [*draft.checks, check],
                                             "status": "ok" if check.ok else "rejected"})
        store(draft)

    try:
        for start in range(0, len(order), BATCH):
            if accepted >= cell.quota:
                break
            for record in pool.records(cell.dataset_id, order[start:start + BATCH]):
                while in_flight and (len(in_flight) >= window or accepted + len(in_flight) >= cell.quota):
                    finish_oldest()
                if accepted >= cell.quota:
                    break
                key = item_key(cell, record.source_id)
                if key in existing:
                    skipped += 1
                    continue
                seen += 1
                try:
                    fields = plan_apply(cell.plan, record, ItemContext(
                    seed=cell.seed, item_key=key, ordinal=accepted + len(in_flight), tools=toolbox))
                except OperatorError as exc:
                    transform_failures[str(exc)] += 1
                    continue
                draft = SampleDraft(
                    item_key=key, subtask_key=cell.subtask_key, grounding_id=cell.grounding_id,
                    record_id=record.record_id, source_id=record.source_id,
                    question=fields["question"], context=fields["context"], options=fields["options"],
                    answer_index=fields["answer_index"], answer=fields["options"][fields["answer_index"]],
                    accepted_answers=fields["accepted_answers"], answer_type=cell.plan.answer_type,
                    media=fields["media"], operators=[op.op for op in cell.plan.operators], engine=engine,
                    speech_text="\n".join(f"{speaker}: {said}" for speaker, said in fields.get("speech", [])),
                    rendered_text=fields.get("rendered_text", ""), rendered_page=fields.get("rendered_page"),
                    spoken_clean=fields.get("spoken_clean"),
                )
                draft = verify(draft, modalities=modalities, tools=tools, ledger=ledger)
                if llm is not None and draft.status != "rejected" and draft.media:
                    budget.check()
                    in_flight.append((draft, llm.submit(blind_request(draft))))
                elif in_flight:
                    in_flight.append((draft, None))  # keeps the drawing order of stored samples
                else:
                    store(draft)
    finally:
        while in_flight:  # calls already paid for are recorded and their samples kept, even when the budget ends
            finish_oldest()
    if transform_failures:
        sink.event("records_unusable", f"{sum(transform_failures.values())} drawn records could not be transformed",
                   level="warning", data={"reasons": dict(transform_failures.most_common(5))})
    exhausted = accepted < cell.quota
    if exhausted:
        sink.event("source_exhausted",
                   f"{cell.dataset_slug} ran out of usable records: {accepted} of {cell.quota} made",
                   level="warning", data={"accepted": accepted, "quota": cell.quota})
    return CellReport(quota=cell.quota, accepted=accepted, rejected=rejected, skipped_existing=skipped,
                      exhausted=exhausted, records_seen=seen)
