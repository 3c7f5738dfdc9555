"""Realise one cell: draw source records without replacement (seeded), transform each through the
approved plan, verify, repair what can be repaired, and hand every sample to the sink until the
quota is met or the dataset is exhausted. Resumable: item keys the sink already holds are never
made again."""
from __future__ import annotations

import json
import random
import time
from collections import Counter, deque
from dataclasses import dataclass, field

from agents.executor.author import author_apply, author_request
from agents.executor.dedup import DuplicateIndex, Look, exact_key, look
from agents.executor.llm_checks import (
    ambiguity_finish,
    ambiguity_request,
    blind_check_finish,
    blind_request,
    service_down,
    take,
)
from agents.executor.repair import (
    MAX_REPAIRS,
    clashing_options,
    eased_plan,
    fixed_option_count,
    repair_note,
    without_options,
)
from agents.executor.toolbox import ToolBox
from agents.executor.verify import recheck_options, verify
from agents.operators import ItemContext, OperatorError, RecordFiltered, plan_apply, plan_for_item
from agents.operators.screen import MAX_AUDIO_SECONDS, Screened, SourceRejected, screen_record
from agents.llm import LLMError, LLMUnavailableError
from agents.planner.budget import Budget, BudgetExhausted
from agents.ports import LLM, Ledger, Pool, Sink, Tools
from agents.tools.embedding import Embedder
from agents.types import Cell, CellReport, Check, RecordView, SampleDraft, TransformPlan

BATCH = 100
# While the LLM service is down, a cell pauses and asks again (doubling waits, capped) rather than
# rejecting items whose checks could not run; after OUTAGE_GIVE_UP_S without an answer it stops.
OUTAGE_FIRST_WAIT_S = 2.0
OUTAGE_MAX_WAIT_S = 60.0
OUTAGE_GIVE_UP_S = 900.0
SCREENED_LISTED = 100  # records listed by name in the event; the count covers them all
# With an LLM, a cell whose items the checks reject nearly all of stops drawing: every record costs
# calls (a small author damaging most items cost 46 calls per accepted sample). Decided this run:
# at least MIN_ACCEPTANCE_AFTER items, of which fewer than MIN_ACCEPTANCE accepted.
MIN_ACCEPTANCE = 0.1
MIN_ACCEPTANCE_AFTER = 30
POLL_S = 0.005  # how often a cell waiting for a call looks at the others' calls


def item_key(cell: Cell, source_id: str) -> str:
    return f"{cell.subtask_key}/{cell.dataset_slug}/{source_id}"


def draw_order(cell: Cell, record_ids: list[int]) -> list[int]:
    """A reproducible permutation of the dataset's records for this grounding, and of it this
    cell's share (every shards-th record from its shard on): shards never draw the same record."""
    order = list(record_ids)
    random.Random(f"{cell.seed}:{cell.dataset_slug}:{cell.subtask_key}").shuffle(order)
    return order[cell.shard::cell.shards]


def _deduplicate(draft: SampleDraft, dedup: DuplicateIndex) -> tuple[SampleDraft, Look | None]:
    vector, seen = dedup.fingerprint(draft), look(draft)
    check = dedup.check(draft, vector, seen)
    return draft.model_copy(update={"fingerprint": vector, "dedup_key": exact_key(draft),
                                    "checks": [*draft.checks, check],
                                    "status": draft.status if check.ok else "rejected"}), seen


def _screen_checks(screened: Screened) -> list[Check]:
    """What the source screen looked at, and what it mended (the source record keeps the original)."""
    checks = [Check(name="source_screen", ok=True,
                    detail=f"screened: {', '.join(screened.screened)}" if screened.screened else "nothing to screen")]
    if screened.repairs:
        checks.append(Check(name="source_repair", ok=True, detail="; ".join(screened.repairs)))
    return checks


class _Maker:
    """Makes and checks one cell's samples: plan -> draft -> rule checks -> repairs."""

    def __init__(self, cell: Cell, *, modalities: list[str], tools: Tools, ledger: Ledger, engine: str,
                 embedder: Embedder | None = None) -> None:
        self.cell, self.modalities, self.tools, self.ledger, self.engine = cell, modalities, tools, ledger, engine
        self.toolbox = ToolBox(tools, ledger, embedder)
        limits = getattr(tools, "limits", None)
        self.max_audio_seconds = float(getattr(limits, "max_audio_seconds", MAX_AUDIO_SECONDS))

    def draft(self, plan: TransformPlan, record: RecordView, key: str, ordinal: int) -> SampleDraft:
        """The plan applied to the record (raises OperatorError), checked by the rules."""
        plan = plan_for_item(plan, ordinal)
        fields = plan_apply(plan, record, ItemContext(seed=self.cell.seed, item_key=key, ordinal=ordinal,
                                                      tools=self.toolbox))
        # Every file the sample carries goes out without metadata (media hygiene).
        fields["media"] = [self.toolbox.clean(ref, key) for ref in fields["media"]]
        draft = SampleDraft(
            item_key=key, subtask_key=self.cell.subtask_key, grounding_id=self.cell.grounding_id,
            record_id=record.record_id, source_id=record.source_id,
            question=fields["question"], context=fields["context"], options=fields["options"],
            answer_index=fields["answer_index"], answer=fields["options"][fields["answer_index"]],
            accepted_answers=fields["accepted_answers"], answer_type=plan.answer_type,
            media=fields["media"], operators=[op.op for op in plan.operators], engine=self.engine,
            speech_text="\n".join(f"{speaker}: {said}" for speaker, said in fields.get("speech", [])),
            rendered_text=fields.get("rendered_text", ""), rendered_page=fields.get("rendered_page"),
            spoken_clean=fields.get("spoken_clean"), conditions=fields.get("conditions", []),
            image_clean=fields.get("image_clean"),
        )
        checked = verify(draft, modalities=self.modalities, tools=self.tools, ledger=self.ledger,
                         option_count=fixed_option_count(plan))
        if fields.get("repairs"):  # what the operators mended in the item (a question listing other answers)
            repair = Check(name="item_repair", ok=True, detail="; ".join(fields["repairs"]))
            checked = checked.model_copy(update={"checks": [repair, *checked.checks]})
        return checked

    def make(self, record: RecordView, key: str, ordinal: int) -> SampleDraft:
        """A checked sample; a fixable fault is repaired (at most MAX_REPAIRS rounds): a made medium
        that failed its check is made again by a milder plan (the failed attempt's files are kept
        as superseded), clashing options are dropped. Raises OperatorError for an unusable record."""
        # A ladder step becomes the rung this item gets, so a repair eases the condition it really has.
        plan = plan_for_item(self.cell.plan, ordinal)
        screened = screen_record(plan, record, max_audio_seconds=self.max_audio_seconds)  # raises SourceRejected
        draft = self._repaired(plan, screened.record, key, ordinal)
        return draft.model_copy(update={"checks": [*_screen_checks(screened), *draft.checks]})

    def _repaired(self, plan: TransformPlan, record: RecordView, key: str, ordinal: int) -> SampleDraft:
        draft = self.draft(plan, record, key, ordinal)
        notes, superseded = [], []
        for _ in range(MAX_REPAIRS):
            if draft.status != "rejected":
                break
            failed = next(c for c in draft.checks if not c.ok)
            eased = eased_plan(plan, failed)
            # Dropping options would break an option count the request asked for: such an item is replaced.
            pruned = without_options(draft, clashing_options(draft), "it repeats another option or is also "
                                     "an accepted answer") if failed.name == "one_correct_option" \
                and fixed_option_count(plan) is None else None
            if eased is not None:
                plan, action = eased
                try:
                    again = self.draft(plan, record, key, ordinal)
                except OperatorError:
                    break
                superseded += [m for m in draft.media if m.sha256 not in {n.sha256 for n in again.media}]
                draft = again
            elif pruned is not None:
                draft, action = recheck_options(pruned[0]), pruned[1]
            else:
                break
            notes.append(repair_note(failed, action))
        if not notes:
            return draft
        checks = [*notes, *draft.checks]
        return draft.model_copy(update={"checks": checks, "superseded": superseded,
                                        "status": "repaired" if draft.status == "ok" else "rejected"})


class LLMServiceDown(LLMUnavailableError):
    """The LLM service stayed unreachable longer than a cell waits: the cell stopped; the items whose
    checks could not run were neither accepted nor rejected (a later run draws their records again)."""


def _llm_checked(draft: SampleDraft, outcomes: dict[str, object], *, prune: bool = True) -> SampleDraft:
    """The LLM checks' verdicts added to a draft; an item found ambiguous is repaired by dropping the
    other options found correct, when a distractor remains (and `prune`: no option count is asked)."""
    added: list = []
    others: set[int] = set()
    if "blind" in outcomes:
        added.append(blind_check_finish(draft, outcomes["blind"]))
    if "ambiguity" in outcomes:
        check, others = ambiguity_finish(draft, outcomes["ambiguity"])
        added.append(check)
    checks = [*draft.checks, *added]
    if others and prune and all(c.ok for c in checks if c.name != "ambiguity"):
        pruned = without_options(draft, others, "the verifier found it also answers the question")
        if pruned is not None:
            fixed = recheck_options(pruned[0], keep=[repair_note(added[-1], pruned[1])])
            if fixed.status == "ok":
                return fixed.model_copy(update={"checks": [*fixed.checks, *added[:-1]], "status": "repaired"})
    ok = all(c.ok for c in checks)
    return draft.model_copy(update={"checks": checks,
                                    "status": draft.status if ok else "rejected"})


@dataclass
class _Pending:
    """An item in flight with an LLM: its author call, then its checks."""

    draft: SampleDraft
    record: RecordView
    ordinal: int
    author: object = None
    checks: dict[str, object] = field(default_factory=dict)


def run_cell(cell: Cell, *, modalities: list[str], pool: Pool, tools: Tools, ledger: Ledger, sink: Sink,
             engine: str = "offline", embedder: Embedder | None = None, llm: LLM | None = None,
             budget: Budget | None = None, outage_give_up_s: float = OUTAGE_GIVE_UP_S,
             min_acceptance: tuple[float, int] = (MIN_ACCEPTANCE, MIN_ACCEPTANCE_AFTER)) -> CellReport:
    """Realise the cell. With an LLM, the item author may improve every item (agents.executor.author),
    then every item goes through the ambiguity check and items that carry media through the blind
    check (the model must not find the key without the media); the budget is checked before each
    call and a spent budget stops the cell cleanly (BudgetExhausted propagates after the items made
    so far are kept). A check that could not run because the service is down is no verdict: the cell
    waits and asks again, and stops with LLMServiceDown after `outage_give_up_s` without an answer,
    leaving those items undecided. With an LLM, a cell that accepts fewer than `min_acceptance[0]` of
    the first `min_acceptance[1]` or more items it decides stops drawing (CellReport.stopped)."""
    budget = budget or Budget()
    order = draw_order(cell, pool.record_ids(cell.dataset_id))
    mine = set(order)
    existing = {key: status for key, (status, record_id) in sink.existing(cell.grounding_id).items()
                if record_id in mine}
    dedup = DuplicateIndex(embedder)
    for key, vector, exact in sink.fingerprints():
        dedup.add(key, vector, exact)
    accepted = sum(1 for status in existing.values() if status in ("ok", "repaired"))
    accepted_before = accepted
    rejected = skipped = seen = 0
    low_acceptance = ""
    transform_failures: Counter[str] = Counter()
    screened_out: list[dict[str, str]] = []
    sink.progress(min(accepted, cell.quota), cell.quota)
    maker = _Maker(cell, modalities=modalities, tools=tools, ledger=ledger, engine=engine, embedder=embedder)
    # With an LLM, each item goes to the author, then to its checks, while the next items are made:
    # up to `window` items in flight, finished (and stored) in the order they were drawn.
    # Two stages per item, and the cell's own work (tools, storing) between calls: four times the
    # endpoint's concurrency in items keeps calls queued, so the endpoint stays busy meanwhile.
    concurrency = getattr(llm, "concurrency", None) or getattr(getattr(llm, "config", None), "concurrency", 8)
    window = 4 * max(1, int(concurrency)) if llm is not None else 0
    in_flight: deque[_Pending] = deque()

    def store(draft: SampleDraft) -> None:
        nonlocal accepted, rejected
        seen = None
        if draft.status != "rejected":
            draft, seen = _deduplicate(draft, dedup)
        if sink.put(draft):
            if draft.status == "rejected":
                rejected += 1
            else:
                dedup.add(draft.item_key, draft.fingerprint, draft.dedup_key, seen)
                accepted += 1
            sink.progress(accepted, cell.quota)

    def submit_checks(item: _Pending) -> None:
        if item.draft.status == "rejected":
            return
        budget.check()  # both calls or neither
        if item.draft.media:
            item.checks["blind"] = llm.submit(blind_request(item.draft))
        item.checks["ambiguity"] = llm.submit(ambiguity_request(item.draft))

    def authored(item: _Pending) -> None:
        """The author's reply applied to the item, and its checks submitted."""
        try:
            reply = llm.result(item.author).value
        except LLMError as exc:
            reply = exc
        item.author = None
        item.draft = author_apply(item.draft, reply, plan=plan_for_item(cell.plan, item.ordinal),
                                  remake=lambda plan: maker.draft(plan, item.record, item.draft.item_key, item.ordinal))
        submit_checks(item)

    def advance() -> None:
        """Items whose author reply has come back move on to their checks (keeps the calls flowing)."""
        for item in in_flight:
            if item.author is not None and llm.done(item.author):
                authored(item)

    def wait(handle: object) -> None:
        """Wait for one call while moving the other items on as their calls come back."""
        while not llm.done(handle):
            advance()
            time.sleep(POLL_S)

    requests = {"blind": blind_request, "ambiguity": ambiguity_request}
    outage = {"since": 0.0, "said": False}

    def ride_out(item: _Pending, outcomes: dict[str, object]) -> dict[str, object]:
        """The checks' outcomes once the service answers again: while it is down, wait (doubling)
        and ask again; LLMServiceDown when it stays down too long."""
        delay = OUTAGE_FIRST_WAIT_S
        while any(service_down(o) for o in outcomes.values()):
            outage["since"] = outage["since"] or time.monotonic()
            down_s = time.monotonic() - outage["since"]
            failure = next(o for o in outcomes.values() if service_down(o))
            if down_s >= outage_give_up_s:
                raise LLMServiceDown(f"the LLM service did not answer for {down_s:.0f} s ({failure.summary}); the "
                                     "cell stopped, and the items it was checking were neither accepted nor "
                                     "rejected: run the build again to go on", status=failure.status,
                                     summary=failure.summary)
            if not outage["said"]:
                outage["said"] = True
                sink.event("waiting_for_llm", f"waiting for the LLM service ({failure.summary}); the cell asks "
                           f"again, for up to {outage_give_up_s:.0f} s, and rejects nothing meanwhile",
                           level="warning", data={"error": failure.summary})
            time.sleep(min(delay, max(0.0, outage_give_up_s - down_s)))
            delay = min(2 * delay, OUTAGE_MAX_WAIT_S)
            for name in [n for n, o in outcomes.items() if service_down(o)]:
                outcomes[name] = take(llm, llm.submit(requests[name](item.draft)))
        if outage["since"]:
            sink.event("llm_back", f"the LLM service answers again after {time.monotonic() - outage['since']:.0f} s")
            outage.update(since=0.0, said=False)
        return outcomes

    drawn = False  # every record drawn (no exception): the last items still wait out an outage

    def finish_oldest(*, draining: bool = False, ride: bool = True) -> None:
        item = in_flight.popleft()
        if item.author is not None and not draining:
            wait(item.author)
        if item.author is not None:
            try:
                authored(item)
            except BudgetExhausted:
                if not draining:
                    raise
        if item.author is None and item.draft.status != "rejected" and not item.checks:
            # The budget ran out before this item's checks: kept (its media are referenced), never accepted.
            item.draft = item.draft.model_copy(update={"status": "rejected", "checks": [
                *item.draft.checks, Check(name="llm_checks", ok=False, detail="the budget ran out before the checks")]})
        if not item.checks:
            store(item.draft)
            return
        if not draining:
            for handle in item.checks.values():
                wait(handle)
        outcomes = {name: take(llm, handle) for name, handle in item.checks.items()}
        if ride:
            outcomes = ride_out(item, outcomes)
        if any(service_down(o) for o in outcomes.values()):
            return  # no verdict: neither accepted nor rejected; a later run draws the record again
        store(_llm_checked(item.draft, outcomes, prune=fixed_option_count(cell.plan) is None))

    def too_few_accepted() -> bool:
        """The LLM cell's acceptance this run is below its floor: say why and stop drawing."""
        nonlocal low_acceptance
        made, floor, after = accepted - accepted_before, *min_acceptance
        if llm is None or low_acceptance or made + rejected < after or made >= floor * (made + rejected):
            return bool(low_acceptance)
        low_acceptance = (f"the checks accepted {made} of the {made + rejected} items decided this run (below "
                   f"{floor:.0%}): drawing more records would spend calls on items that fail; the plan or the "
                   "dataset needs a look")
        return True

    try:
        for start in range(0, len(order), BATCH):
            if accepted >= cell.quota or too_few_accepted():
                break
            for record in pool.records(cell.dataset_id, order[start:start + BATCH]):
                if in_flight:
                    advance()
                while in_flight and (len(in_flight) >= window or accepted + len(in_flight) >= cell.quota):
                    finish_oldest()
                    advance()
                if accepted >= cell.quota or too_few_accepted():
                    break
                key = item_key(cell, record.source_id)
                if key in existing:
                    skipped += 1
                    continue
                budget.check_stopped()  # a stopped run makes no more items, with or without an LLM
                seen += 1
                ordinal = accepted + len(in_flight)
                try:
                    draft = maker.make(record, key, ordinal)
                except RecordFiltered:
                    continue  # outside what the request asks (another subject): left out on purpose
                except SourceRejected as exc:
                    screened_out.append({"source_id": record.source_id, "reason": str(exc)})
                    continue
                except OperatorError as exc:
                    transform_failures[str(exc)] += 1
                    continue
                if llm is None:
                    store(draft)
                    continue
                item = _Pending(draft=draft, record=record, ordinal=ordinal)
                in_flight.append(item)  # first: if the budget is spent now, the item is still stored
                if draft.status != "rejected":
                    budget.check()
                    item.author = llm.submit(author_request(draft, intent=cell.intent, plan=cell.plan,
                                                            record_payload=json.dumps(record.payload, ensure_ascii=False)))
        drawn = True
    finally:
        stopped: LLMServiceDown | None = None
        while in_flight:  # calls already paid for are recorded and their samples kept, even when the budget ends
            try:
                finish_oldest(draining=True, ride=drawn and stopped is None)
            except LLMServiceDown as exc:
                stopped = exc  # the rest are recorded without waiting, and left undecided
        if stopped is not None:
            raise stopped
    if screened_out:
        sink.event("records_screened_out", f"{len(screened_out)} drawn records failed the source screen and were "
                   "replaced", level="warning", data={"records": screened_out[:SCREENED_LISTED]})
    if transform_failures:
        sink.event("records_unusable", f"{sum(transform_failures.values())} drawn records could not be transformed",
                   level="warning", data={"reasons": dict(transform_failures.most_common(5))})
    exhausted = accepted < cell.quota
    if low_acceptance:
        sink.event("low_acceptance", f"{cell.dataset_slug}: {low_acceptance}; {accepted} of {cell.quota} made",
                   level="warning", data={"accepted": accepted, "rejected": rejected, "quota": cell.quota})
    elif exhausted:
        sink.event("source_exhausted",
                   f"{cell.dataset_slug} ran out of usable records: {accepted} of {cell.quota} made",
                   level="warning", data={"accepted": accepted, "quota": cell.quota})
    return CellReport(quota=cell.quota, accepted=accepted, rejected=rejected, skipped_existing=skipped,
                      exhausted=exhausted, records_seen=seen, stopped=low_acceptance)
