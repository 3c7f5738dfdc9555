"""The agent core's ports, implemented over the Django models of the pool and of benchmarks."""
from __future__ import annotations

import hashlib
import time
import mimetypes
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from agents.llm import LLMClient, LLMConfig, RoleConfig
from agents.tools.media import LocalTools
from agents.types import CardView, MediaCheck, MediaRef, PoolHit, RecordView, SampleDraft
from benchmarks.models import (
    AgentRun,
    AgentRunEvent,
    BenchmarkVersion,
    Grounding,
    LLMCacheEntry,
    LLMCall,
    MediaAsset,
    Sample,
    ToolCall,
)
from common.media import media_limits
from datapool import selectors as pool_selectors
from datapool.cards import dataset_card_view
from datapool.models import DatasetRecord
from datapool.search import MAX_LIMIT, MAX_QUERY_LENGTH, dataset_search


def record_view(record: DatasetRecord) -> RecordView:
    media_root = Path(settings.MEDIA_ROOT)
    return RecordView(
        record_id=record.id, dataset_id=record.dataset_id, source_id=record.source_id, payload=record.payload,
        media=[MediaRef(path=m["path"], file=m["file"], abs_path=str(media_root / m["file"]), kind=m["kind"],
                        sha256=m.get("sha256", "")) for m in record.media],
    )


class DjangoPool:
    """The team's datasets, as the agent core sees them."""

    def __init__(self, *, team_id: int) -> None:
        self.team_id = team_id

    def cards(self) -> list[CardView]:
        return [dataset_card_view(d) for d in pool_selectors.dataset_list(team_ids=[self.team_id]).order_by("slug")]

    def _check(self, dataset_id: int) -> None:
        if not pool_selectors.dataset_list(team_ids=[self.team_id]).filter(id=dataset_id).exists():
            raise LookupError(f"dataset {dataset_id} is not in this team's pool")

    def record_ids(self, dataset_id: int) -> list[int]:
        self._check(dataset_id)
        return pool_selectors.record_ids_for_dataset(dataset_id=dataset_id)

    def records(self, dataset_id: int, record_ids: list[int] | None = None) -> list[RecordView]:
        self._check(dataset_id)
        records = {r.id: r for r in pool_selectors.record_list(dataset_id=dataset_id, record_ids=record_ids)}
        order = record_ids if record_ids is not None else list(records)
        return [record_view(records[i]) for i in order if i in records]

    def search(self, query: str, *, modalities: list[str], roles: list[str], limit: int) -> list[PoolHit]:
        """The hybrid search of the pool (BM25 + card embeddings + QA and role bonuses)."""
        hits = dataset_search(team_ids=[self.team_id], query=query[:MAX_QUERY_LENGTH], modalities=modalities,
                              roles=roles or None, limit=min(limit, MAX_LIMIT))
        views = {d.id: dataset_card_view(d) for d in pool_selectors.dataset_list(team_ids=[self.team_id])
                 .filter(id__in=[h.dataset_id for h in hits])}
        return [PoolHit(card=views[h.dataset_id], score=h.total, matched_terms=h.matched_terms,
                        parts={"lexical": h.lexical, "semantic": h.semantic, "qa_bonus": h.qa_bonus,
                               "role_bonus": h.role_bonus, "coverage": h.coverage, "relevance": h.relevance})
                for h in hits if h.dataset_id in views]


class DjangoTools(LocalTools):
    """Local tools; media paths must stay inside the media store, where generated media go too; the
    settings' media limits apply to every file a tool opens."""

    def __init__(self) -> None:
        super().__init__(media_root=settings.MEDIA_ROOT, limits=media_limits())

    def media_check(self, abs_path: str, kind: str) -> MediaCheck:
        if not Path(abs_path).resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve()):
            return MediaCheck(ok=False, detail="file is outside the media store")
        return super().media_check(abs_path, kind)


class DjangoLedger:
    HEARTBEAT_EVERY_S = 5.0  # far below BENCH_RUN_STALE_AFTER_S; one update per call would double the writes

    def __init__(self, *, run: AgentRun) -> None:
        self.run = run
        self._beat_at = float("-inf")

    def tool_call(self, *, tool: str, version: str, ok: bool, latency_ms: int, item_key: str = "",
                  detail: dict[str, Any] | None = None) -> None:
        ToolCall.objects.create(team_id=self.run.team_id, run=self.run, item_key=item_key, tool=tool,
                                tool_version=version[:64], ok=ok, latency_ms=latency_ms, detail=detail or {})
        self._alive()

    def llm_call(self, *, role: str, model: str, prompt_tokens: int, completion_tokens: int, latency_ms: int,
                 cached: bool, item_key: str = "", cost: Decimal = Decimal(0), request: dict[str, Any] | None = None,
                 response: dict[str, Any] | None = None) -> None:
        LLMCall.objects.create(team_id=self.run.team_id, run=self.run, item_key=item_key[:255], role=role[:64],
                               model=model[:200], prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                               cost=cost, latency_ms=latency_ms, cached=cached, request=request or {},
                               response=response or {})
        self._alive()

    def _alive(self) -> None:
        """A recorded call is a sign of life of the worker running this run (see benchmarks.recovery),
        written at most every HEARTBEAT_EVERY_S."""
        now = time.monotonic()
        if now - self._beat_at >= self.HEARTBEAT_EVERY_S:
            self._beat_at = now
            AgentRun.objects.filter(pk=self.run.pk).update(heartbeat_at=timezone.now())


class DjangoLLMCache:
    """One team's LLM response cache in the database (shared by its runs and processes)."""

    def __init__(self, *, team_id: int) -> None:
        self.team_id = team_id

    def get(self, key: str) -> dict[str, Any] | None:
        return LLMCacheEntry.objects.filter(team_id=self.team_id, key=key).values_list("response", flat=True).first()

    def put(self, key: str, entry: dict[str, Any]) -> None:
        # get_or_create: a concurrent writer of the same key loses the race quietly, the first entry stays.
        LLMCacheEntry.objects.get_or_create(team_id=self.team_id, key=key,
                                            defaults={"model": str(entry.get("model", ""))[:200], "response": entry})


def llm_config_from_settings() -> LLMConfig:
    """The LLM layer's configuration from the OPENAI_* and LLM_* settings."""
    default = RoleConfig(model=settings.LLM_MODEL, temperature=settings.LLM_TEMPERATURE,
                         max_tokens=settings.LLM_MAX_TOKENS)
    return LLMConfig(
        base_url=settings.OPENAI_BASE_URL, api_key=settings.OPENAI_API_KEY, default=default,
        roles={role: RoleConfig(**values) for role, values in settings.LLM_ROLE_SETTINGS.items()},
        structured_output=settings.LLM_STRUCTURED_OUTPUT, json_schema=settings.LLM_JSON_SCHEMA,
        timeout_s=settings.LLM_TIMEOUT_S,
        max_retries=settings.LLM_MAX_RETRIES, retry_after_max_s=settings.LLM_RETRY_AFTER_MAX_S,
        concurrency=settings.LLM_CONCURRENCY, concurrency_from_server=settings.LLM_CONCURRENCY_FROM_SERVER,
        stream=settings.LLM_STREAM,
        prices={model: tuple(price) for model, price in settings.LLM_PRICES.items()},
    )


def llm_client_for_run(*, run: AgentRun, config: LLMConfig | None = None) -> LLMClient:
    """An LLM client whose calls go to the run's ledger and through the database cache."""
    config = config or llm_config_from_settings()
    if not config.base_url:
        raise RuntimeError("no LLM service is configured: set OPENAI_BASE_URL (see .env.example)")
    return LLMClient(config, cache=DjangoLLMCache(team_id=run.team_id), ledger=DjangoLedger(run=run))


class DjangoSink:
    """Persists samples of one cell run; a second sample with the same item key is refused by the
    database's unique constraint, so a re-run or a concurrent duplicate cannot make two."""

    def __init__(self, *, run: AgentRun, on_progress=None) -> None:
        self.run = run
        self.version: BenchmarkVersion = run.version
        self.subtask_id = run.grounding.subtask_id
        self.on_progress = on_progress

    def existing(self, grounding_id: int) -> dict[str, tuple[str, int]]:
        """The items this cell's grounding already has; for a refreshed version also the records every
        earlier version of the benchmark made items from (status "used": skipped, not counted)."""
        held = {key: (status, record_id) for key, status, record_id in
                Sample.objects.filter(version=self.version, grounding_id=grounding_id)
                .values_list("item_key", "status", "source_record_id")}
        if self.version.refreshed_from_id:
            grounding = Grounding.objects.select_related("subtask").get(pk=grounding_id)
            for key, record_id in (Sample.objects.filter(version__benchmark_id=self.version.benchmark_id,
                                                         version__number__lt=self.version.number,
                                                         grounding__dataset_id=grounding.dataset_id,
                                                         subtask__key=grounding.subtask.key)
                                   .values_list("item_key", "source_record_id")):
                held.setdefault(key, ("used", record_id))
        return held

    def put(self, draft: SampleDraft) -> bool:
        try:
            with transaction.atomic():
                sample = Sample.objects.create(
                    version=self.version, subtask_id=self.subtask_id, grounding_id=draft.grounding_id,
                    source_record_id=draft.record_id, item_key=draft.item_key, question=draft.question,
                    context=draft.context, options=draft.options, answer=draft.answer,
                    answer_index=draft.answer_index, accepted_answers=draft.accepted_answers,
                    answer_type=draft.answer_type, engine=draft.engine, status=draft.status,
                    provenance={"dataset_id": self.run.grounding.dataset_id, "record_id": draft.record_id,
                                "source_id": draft.source_id, "operators": draft.operators,
                                "engine": draft.engine, "run_id": self.run.id,
                                **({"speech_text": draft.speech_text} if draft.speech_text else {}),
                                **({"rendered_text": draft.rendered_text} if draft.rendered_text else {}),
                                # The robustness condition this item got (a ladder spreads kinds and severities).
                                **({"conditions": draft.conditions} if draft.conditions else {}),
                                # Files of an attempt a repair replaced: kept (as the team's assets) for audit.
                                **({"superseded_media": [self._asset(ref).file for ref in draft.superseded]}
                                   if draft.superseded else {})},
                    verification={"checks": [c.model_dump() for c in draft.checks],
                                  "reasons": draft.rejected_reasons},
                    fingerprint=np.asarray(draft.fingerprint, dtype=np.float32).tobytes() if draft.fingerprint else b"",
                    dedup_key=draft.dedup_key,
                )
                assets = [self._asset(ref) for ref in draft.media]
                if assets:
                    sample.media.add(*assets)
                self._link_clean(draft, assets)
                ToolCall.objects.filter(run=self.run, item_key=draft.item_key, sample__isnull=True).update(sample=sample)
                LLMCall.objects.filter(run=self.run, item_key=draft.item_key, sample__isnull=True).update(sample=sample)
        except IntegrityError:
            if Sample.objects.filter(version=self.version, item_key=draft.item_key).exists():
                return False
            raise
        return True

    def _link_clean(self, draft: SampleDraft, assets: list[MediaAsset]) -> None:
        """A page degraded, or a recording with noise mixed in, on purpose: the clean file it was made
        from is kept as the team's asset and the item's file records it as its origin (derived_from)."""
        for clean in (draft.rendered_page, draft.spoken_clean):
            shown = [a for a in assets if clean is not None and a.kind == clean.kind]
            if clean is None or not shown or shown[-1].sha256 == clean.sha256 or shown[-1].derived_from_id:
                continue
            MediaAsset.objects.filter(pk=shown[-1].pk).update(derived_from=self._asset(clean))

    def _asset(self, ref: MediaRef) -> MediaAsset:
        path = Path(ref.abs_path)
        digest = ref.sha256 or hashlib.sha256(path.read_bytes()).hexdigest()
        asset, _ = MediaAsset.objects.get_or_create(
            team_id=self.run.team_id, sha256=digest,
            defaults={"file": ref.file, "kind": ref.kind, "size_bytes": path.stat().st_size,
                      "mime": mimetypes.guess_type(path.name)[0] or ""},
        )
        return asset

    def fingerprints(self) -> list[tuple[str, list[float], str]]:
        rows = (Sample.objects.filter(version=self.version, status__in=[Sample.Status.OK, Sample.Status.REPAIRED])
                .order_by("id").values_list("item_key", "fingerprint", "dedup_key"))
        return [(key, np.frombuffer(bytes(vector), dtype=np.float32).tolist() if vector else [], exact)
                for key, vector, exact in rows]

    def progress(self, done: int, total: int) -> None:
        AgentRun.objects.filter(pk=self.run.pk).update(progress_done=done, progress_total=total,
                                                        heartbeat_at=timezone.now())
        if self.run.parent_id:
            accepted = Sample.objects.filter(version=self.version, status__in=[Sample.Status.OK, Sample.Status.REPAIRED]).count()
            AgentRun.objects.filter(pk=self.run.parent_id).update(progress_done=accepted)
        if self.on_progress:
            self.on_progress(done, total)

    def event(self, kind: str, message: str, *, level: str = "info", data: dict[str, Any] | None = None) -> None:
        AgentRunEvent.objects.create(run=self.run, kind=kind, message=message, level=level, data=data or {})


def run_event(run: AgentRun, kind: str, message: str, *, level: str = "info", data: dict[str, Any] | None = None) -> None:
    AgentRunEvent.objects.create(run=run, kind=kind, message=message, level=level, data=data or {})

