"""Writes of the benchmarks app: start a build, plan it, review its spec (quotas, drop, re-plan,
approve), execute its cells, finish it.

The planning and execution steps are idempotent and safe to run twice: a task retried after a
crash picks up where the state in our tables says the work stands.
"""
from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.text import slugify

from agents.executor.baselines import odd_one_out
from agents.executor.cell import LLMServiceDown, run_cell
from agents.offline import ENGINE as OFFLINE_ENGINE
from agents.offline.design import OfflineBrain
from agents.planner.allocation import Claim, allocate
from agents.planner.budget import Budget, BudgetExhausted, BudgetLedger, RunStopped
from agents.planner.coverage import coverage_requoted
from agents.planner.grounding import GroundingConfig
from agents.planner.llm_brain import LLMBrain
from agents.planner.loop import PlannerConfig, plan
from agents.tools.embedding import default_embedder
from agents.types import Ask, BuildRequest, Cell, GroundingPlan, PlanResult, SubtaskPlan, TransformPlan
from benchmarks.adapters import (
    DjangoLedger,
    DjangoPool,
    DjangoSink,
    DjangoTools,
    llm_client_for_run,
    run_event,
)
from benchmarks.models import (
    AgentRun,
    Benchmark,
    BenchmarkRequest,
    BenchmarkVersion,
    Engine,
    Grounding,
    LLMCall,
    Sample,
    Spec,
    Subtask,
)
from benchmarks import selectors
from benchmarks.errors import FrozenVersionError
# Freezing and exporting live in their own modules; these names stay importable from here.
from benchmarks.exporting import version_export  # noqa: F401
from benchmarks.freezing import LATEST_SCHEME, version_checksum, version_freeze  # noqa: F401
from common.leases import Heartbeat, job_claim
from common.names import name_clean, name_strip
from common.queue import enqueue
from teams.models import Team
from teams.selectors import access_team_for_write

logger = logging.getLogger(__name__)

MODALITIES = ("text", "image", "audio")
MAX_TEXT_LENGTH = 20_000


@dataclass(frozen=True)
class BuildStarted:
    request: BenchmarkRequest
    version: BenchmarkVersion
    run: AgentRun


def check_build_request(*, text: str, target_size: int, modalities: list[str] | None) -> None:
    """Raise ValidationError, keyed by field, with a message a person can act on."""
    errors: dict[str, str] = {}
    if not isinstance(text, str) or not name_strip(text):
        errors["text"] = "Describe what the benchmark should evaluate; the text is empty."
    elif len(text) > MAX_TEXT_LENGTH:
        errors["text"] = f"The request is {len(text)} characters long; the limit is {MAX_TEXT_LENGTH}."
    limit = settings.BENCH_MAX_TARGET_SIZE
    if isinstance(target_size, bool) or not isinstance(target_size, int):
        errors["target_size"] = "target_size must be a whole number."
    elif not 1 <= target_size <= limit:
        errors["target_size"] = f"target_size must be between 1 and {limit}; got {target_size}."
    unknown = [m for m in (modalities or []) if m not in MODALITIES]
    if unknown:
        errors["modalities"] = f"Unknown modalities {unknown}; use any of {list(MODALITIES)}."
    if errors:
        raise ValidationError(errors)


def check_engine(engine: str) -> None:
    if engine not in Engine.values:
        raise ValidationError({"engine": f"Unknown engine {engine!r}; use one of {list(Engine.values)}."})
    if engine == Engine.LLM and not settings.OPENAI_BASE_URL:
        raise ValidationError({"engine": "The LLM engine needs an LLM service: set OPENAI_BASE_URL "
                                         "(see .env.example), or use the offline engine."})


def _unique_benchmark_slug(team: Team, name: str) -> str:
    base = slugify(name)[:100] or "benchmark"
    slug, n = base, 2
    while Benchmark.objects.filter(team=team, slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _benchmark_name(text: str) -> str:
    words = name_strip(text)
    return words if len(words) <= 80 else words[:77].rsplit(" ", 1)[0] + "..."


@transaction.atomic
def build_start(*, team: Team, text: str, target_size: int, user=None, modalities: list[str] | None = None,
                name: str = "", seed: int = 0, source_ref: str = "", benchmark: Benchmark | None = None,
                auto_approve: bool = False, run_in_background: bool = True, engine: str = "",
                budget_tokens: int | None = None, budget_money=None) -> BuildStarted:
    """Record a request, open a new benchmark version for it and queue its build (after commit).

    Without auto_approve the build stops after planning, awaiting an owner's approval of the spec.
    """
    check_build_request(text=text, target_size=target_size, modalities=modalities)
    engine = engine or settings.BENCH_ENGINE
    check_engine(engine)
    if benchmark is None:
        # A name of blanks is no name (derived from the text); one of invisible characters is refused.
        name = name_clean(name, max_length=200) if (name or "").strip() else _benchmark_name(text)
        benchmark = Benchmark.objects.create(team=team, name=name, slug=_unique_benchmark_slug(team, name),
                                             description=text.strip(), created_by=user)
    elif benchmark.team_id != team.id:
        raise ValidationError({"benchmark": "The benchmark belongs to another team."})
    else:
        _benchmark_lock(benchmark)  # the next version number is read and taken in one step
    request = BenchmarkRequest.objects.create(
        team=team, benchmark=benchmark, text=text.strip(), target_size=target_size,
        modalities=sorted(set(modalities or [])), seed=seed, source_ref=source_ref[:200], created_by=user,
        auto_approve=bool(auto_approve), budget_tokens=budget_tokens, budget_money=budget_money)
    number = (benchmark.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = BenchmarkVersion.objects.create(benchmark=benchmark, number=number, request=request)
    run = AgentRun.objects.create(team=team, kind=AgentRun.Kind.BUILD, version=version, engine=engine,
                                  status=AgentRun.Status.QUEUED, stage="queued", progress_total=target_size)
    run_event(run, "queued", f"build of {benchmark.name} v{number} queued ({target_size} samples)")
    if run_in_background:
        enqueue("benchmarks.tasks.build_plan_task", run.id, name=f"plan run {run.id}")
    return BuildStarted(request=request, version=version, run=run)


def _mark_running(run_id: int, stage: str) -> bool:
    """Claim the run for this task: queued, or running `stage` under a worker that died (no
    heartbeat). False when another worker is running it or it has finished, so a task delivered
    twice (a retry, the reaper's re-queue) never runs the same work twice at once."""
    return job_claim(AgentRun.objects.filter(pk=run_id), running_filter=Q(stage=stage), stage=stage,
                     started_at=timezone.now())


def _live(run: AgentRun) -> QuerySet[AgentRun]:
    """The run's row unless someone cancelled it: a worker's last word never overwrites a cancel."""
    return AgentRun.objects.filter(pk=run.pk).exclude(status=AgentRun.Status.CANCELLED)


def _mark_failed(run: AgentRun, error: str) -> None:
    if _live(run).update(status=AgentRun.Status.FAILED, error=error[:5000], stage="failed",
                         finished_at=timezone.now()):
        run_event(run, "failed", error[:2000], level="error")


def run_stopped_check(run_id: int, *, every_s: float | None = None) -> Callable[[], str]:
    """For Budget(stopped=...): the reason the run (or its build) was cancelled, "" while it goes on;
    the database is read at most every `every_s` (BENCH_STOP_CHECK_S)."""
    every_s = settings.BENCH_STOP_CHECK_S if every_s is None else every_s
    state = {"at": -every_s, "reason": ""}

    def stopped() -> str:
        now = time.monotonic()
        if not state["reason"] and now - state["at"] >= every_s:
            state["at"] = now
            row = AgentRun.objects.filter(pk=run_id).values_list("status", "error", "parent__status").first()
            if row is None or AgentRun.Status.CANCELLED in (row[0], row[2]):
                state["reason"] = (row[1] if row and row[0] == AgentRun.Status.CANCELLED else "") or "the run was cancelled"
        return state["reason"]
    return stopped


def run_cancel(*, run: AgentRun, user) -> AgentRun:
    """Cancel a build run that has not finished (owners and editors): it and its unfinished cells
    end as cancelled at once; a worker running them stops before its next item or LLM call and
    keeps what it made (samples, calls, costs). A queued cell never starts."""
    if run.kind != AgentRun.Kind.BUILD:
        raise ValidationError({"run": "Only a build run is cancelled (its cells with it)."})
    if access_team_for_write(user=user, slug=run.team.slug) is None:
        raise PermissionDenied("Only owners and editors of the run's team cancel it.")
    reason = f"cancelled by {user.get_username()}"
    with transaction.atomic():
        locked = AgentRun.objects.select_for_update().get(pk=run.pk)
        if locked.is_finished:
            raise ValidationError({"run": f"The run has already finished ({locked.get_status_display().lower()})."})
        now = timezone.now()
        cells = list(locked.children.exclude(status__in=AgentRun.FINISHED).values_list("id", flat=True))
        AgentRun.objects.filter(pk__in=[locked.pk, *cells]).update(status=AgentRun.Status.CANCELLED, stage="done",
                                                                   error=reason, finished_at=now)
        made = Sample.objects.filter(version_id=locked.version_id,
                                     status__in=[Sample.Status.OK, Sample.Status.REPAIRED]).count()
        run_event(locked, "cancelled", f"{reason}; {len(cells)} unfinished cell(s) stopped with it, the {made} "
                  "samples made so far are kept", level="warning", data={"cells": cells, "samples": made})
    locked.refresh_from_db()
    return locked


@transaction.atomic
def _spec_persist(*, version: BenchmarkVersion, result: PlanResult) -> Spec:
    trace = [*result.trace, {"step": "end", "end_state": result.end_state, "reason": result.reason}]
    spec = Spec.objects.create(version=version, engine=result.engine, end_state=result.end_state,
                               scope=result.scope.model_dump(), trace=trace,
                               coverage=[c.model_dump() for c in result.coverage])
    BenchmarkRequest.objects.filter(pk=version.request_id).update(scope=result.scope.model_dump())
    for position, planned in enumerate(result.subtasks):
        subtask = Subtask.objects.create(
            spec=spec, key=planned.key, name=name_strip(planned.name)[:200] or planned.key,
            description=planned.description, answer_type=planned.answer_type, modalities=planned.modalities,
            keywords=planned.keywords, sample_schema=planned.sample_schema, importance=planned.importance,
            quota=planned.quota, position=position, rationale=planned.rationale)
        for grounding in planned.groundings:
            Grounding.objects.create(subtask=subtask, dataset_id=grounding.dataset_id,
                                     plan=grounding.plan.model_dump(), scores=grounding.scores,
                                     quota=grounding.quota, capacity=grounding.capacity,
                                     synthesis=grounding.synthesis, rationale=grounding.rationale)
    return spec


def _spec_mark_approved(spec: Spec, *, user=None, how: str) -> None:
    spec.status, spec.approved_at, spec.approved_by = Spec.Status.APPROVED, timezone.now(), user
    spec.trace = [*spec.trace, {"step": "review", "action": "approve", "how": how,
                                "by": user.get_username() if user else None,
                                "quotas": {s.key: s.quota for s in spec.subtasks.filter(dropped=False)}}]
    spec.save(update_fields=["status", "approved_at", "approved_by", "trace"])


def _auto_approve_held(spec: Spec) -> dict[str, str]:
    """Why a spec is not approved by itself although its request asked for that, in words, by cause:
    an ask read from weak evidence (uncertain), or an ask the plan does not serve in full (partial: a
    build would quietly test less than, or other than, what was asked). {} when none."""
    held: dict[str, str] = {}
    uncertain = selectors.spec_uncertain_asks(spec=spec)
    if uncertain:
        held["uncertain"] = "the request is unclear about " + "; ".join(uncertain)
    planned = sum(spec.subtasks.filter(dropped=False).values_list("quota", flat=True))
    # Fewer samples than asked, each planned one serving every ask, is a smaller benchmark of the same
    # thing: built (the run ends partial). An ask some planned samples do not serve is a gap.
    gaps = [c for c in spec.coverage or [] if c.get("status") != "served"
            and not (c.get("status") == "partly" and (c.get("samples") or 0) >= planned > 0)]
    if gaps:
        held["partial"] = "the plan serves only part of the request (" + "; ".join(
            f"{c.get('text', c.get('key'))}: {'not served' if c.get('status') == 'not_served' else 'partly served'}"
            + (f", {c['reason']}" if c.get("reason") else "") for c in gaps) + ")"
    return held


def cell_shares(quota: int, *, shard_size: int | None = None, max_shards: int | None = None) -> list[int]:
    """How a grounding's quota is split into cell runs: shares of about `shard_size` samples (at most
    `max_shards`), as even as whole numbers allow. [] for no quota."""
    shard_size = shard_size or settings.BENCH_CELL_SHARD_SIZE
    max_shards = max_shards or settings.BENCH_CELL_MAX_SHARDS
    if quota <= 0:
        return []
    n = max(1, min(max_shards, -(-quota // max(1, shard_size))))
    return [quota // n + (1 if k < quota % n else 0) for k in range(n)]


def _cells_create(*, run: AgentRun, spec: Spec, queue_cells: bool) -> list[int]:
    """The cell runs of each kept grounding with a quota (a large quota is split into shards that
    draw disjoint records, so several workers share it); the ids still to execute (queued when asked)."""
    with transaction.atomic():
        if AgentRun.objects.select_for_update().filter(pk=run.pk, status=AgentRun.Status.CANCELLED).exists():
            return []  # cancelled while it planned (or waited for approval): no cell is made
        groundings = (Grounding.objects.filter(subtask__spec=spec, subtask__dropped=False, quota__gt=0)
                      .select_related("subtask"))
        for grounding in groundings:
            shares = cell_shares(grounding.quota)
            for shard, share in enumerate(shares):
                AgentRun.objects.get_or_create(
                    parent=run, grounding=grounding, kind=AgentRun.Kind.CELL, shard=shard,
                    defaults={"team_id": run.team_id, "version_id": run.version_id, "engine": run.engine,
                              "shards": len(shares), "quota": share, "progress_total": share})
        _live(run).update(status=AgentRun.Status.RUNNING, stage="executing")
        pending = list(run.children.exclude(status__in=AgentRun.FINISHED).values_list("id", flat=True))
        if queue_cells:
            for cell_id in pending:
                enqueue("benchmarks.tasks.build_cell_task", cell_id, name=f"cell run {cell_id}")
    if not pending:
        build_finish(run_id=run.id)
    return pending


def build_plan(*, run_id: int, queue_cells: bool = True) -> list[int]:
    """Plan the version of a build run (once) and create one cell run per grounding.

    Returns the ids of cell runs still to execute; with queue_cells they are queued as tasks.
    """
    run = AgentRun.objects.select_related("version__request").get(pk=run_id, kind=AgentRun.Kind.BUILD)
    if not _mark_running(run_id, "planning"):
        return []
    with Heartbeat(AgentRun, run_id):
        return _build_plan_claimed(run, queue_cells=queue_cells)


def _build_plan_claimed(run: AgentRun, *, queue_cells: bool) -> list[int]:
    run_id, version = run.id, run.version
    try:
        spec = Spec.objects.filter(version=version).first()
        if spec is None:
            try:
                result = _plan_run(run)
            except RunStopped as exc:
                run_event(run, "stopped", f"planning stopped: {exc}; no spec was kept", level="warning")
                return []
            spec = _spec_persist(version=version, result=result)
            run_event(run, "planned", f"spec {result.end_state}: {len(result.subtasks)} subtask(s)"
                      + (f"; {result.reason}" if result.reason else ""),
                      level="info" if result.end_state == "ok" else "warning",
                      data={"end_state": result.end_state,
                            "quotas": {s.key: s.quota for s in result.subtasks}})
        if spec.end_state == "budget-exhausted":
            _live(run).update(status=AgentRun.Status.BUDGET_EXHAUSTED, stage="planning",
                                                      error=_plan_reason(spec), finished_at=timezone.now())
            run_event(run, "budget_exhausted", _plan_reason(spec), level="warning")
            return []
        if not spec.subtasks.exists():
            _mark_failed(run, f"Planning ended {spec.end_state}: {_plan_reason(spec)}")
            return []
        if spec.status == Spec.Status.DRAFT:
            held = _auto_approve_held(spec) if version.request.auto_approve else {}
            if not version.request.auto_approve or held:
                _live(run).update(status=AgentRun.Status.AWAITING_APPROVAL, stage="review")
                why = ("the spec waits for review: edit quotas, drop a subtask, re-plan or approve it to build"
                       if not held else
                       "the spec waits for review although the request asked to approve it: "
                       + "; ".join(held.values()) + ". Check the coverage, then approve or re-plan")
                run_event(run, "awaiting_approval", why, level="info" if not held else "warning",
                          data={"spec": spec.id, "uncertain": selectors.spec_uncertain_asks(spec=spec),
                                "held": sorted(held)})
                return []
            _spec_mark_approved(spec, how="auto-approve")
        pending = _cells_create(run=run, spec=spec, queue_cells=queue_cells)
        return pending
    except Exception as exc:  # the run records any failure; the task itself must not hide it
        logger.exception("planning failed for run %s", run_id)
        _mark_failed(run, f"Planning failed: {exc}\n{traceback.format_exc(limit=5)}")
        return []


def planner_config_from_settings() -> PlannerConfig:
    return PlannerConfig(design_rounds=settings.PLANNER_DESIGN_ROUNDS,
                         allocation_rounds=settings.PLANNER_ALLOCATION_ROUNDS,
                         grounding=GroundingConfig(threshold=settings.PLANNER_GROUNDING_THRESHOLD,
                                                   max_groundings=settings.PLANNER_MAX_GROUNDINGS,
                                                   relevance_floor=settings.PLANNER_RELEVANCE_FLOOR,
                                                   embedder=default_embedder()))


def _request_budget(request: BenchmarkRequest, *, run: AgentRun | None = None) -> Budget:
    """The request's budget, less what its earlier runs (a re-plan's predecessors) already spent;
    with `run`, it also stops when that run is cancelled."""
    budget = Budget(tokens=request.budget_tokens, money=request.budget_money,
                    stopped=run_stopped_check(run.pk) if run is not None else None)
    spent = LLMCall.objects.filter(run__version__request=request).aggregate(
        prompt=Sum("prompt_tokens"), completion=Sum("completion_tokens"), cost=Sum("cost"))
    budget.charge(tokens=(spent["prompt"] or 0) + (spent["completion"] or 0), money=spent["cost"] or Decimal(0))
    return budget


def _plan_run(run: AgentRun) -> PlanResult:
    """Plan the run's request with the run's engine, within the request's budget."""
    request = run.version.request
    budget = _request_budget(request, run=run)
    if run.engine == Engine.LLM:
        client = llm_client_for_run(run=run)
        client.ledger = BudgetLedger(client.ledger, budget)
        brain = LLMBrain(client, budget=budget, fallback=OfflineBrain(embedder=default_embedder())
                         if settings.LLM_FALLBACK == "offline" else None)
    else:
        brain = OfflineBrain(embedder=default_embedder())
    build_request = BuildRequest(text=request.text, target_size=request.target_size, modalities=request.modalities,
                                 seed=request.seed)  # type: ignore[arg-type]
    return plan(build_request, DjangoPool(team_id=run.team_id), brain, config=planner_config_from_settings(),
                budget=budget)


def _plan_reason(spec: Spec) -> str:
    end = next((step for step in reversed(spec.trace) if step.get("step") == "end"), {})
    reason = end.get("reason") or "no dataset could be grounded"
    steps = [step for step in spec.trace if step.get("step") == "grounding"]
    last_round = max((step.get("round", 0) for step in steps), default=0)
    rejected = [f"{c['dataset']}: {c['rejected']}" for step in steps if step.get("round", 0) == last_round
                for c in step.get("candidates", []) if c.get("rejected")][:3]
    return f"{reason} ({'; '.join(rejected)})" if rejected else reason


# --- Review of a spec ----------------------------------------------------------------------------

def _check_spec_writable(*, spec: Spec, user) -> None:
    """Only the team's owners and editors review, and only a draft spec."""
    team = spec.version.benchmark.team
    if access_team_for_write(user=user, slug=team.slug) is None:
        raise ValidationError({"team": f"Only owners and editors of team {team.slug} may review this spec."})
    if spec.status != Spec.Status.DRAFT:
        raise ValidationError({"spec": f"The spec is {spec.status}; only a draft spec can be changed."})


def _build_run_of(spec: Spec) -> AgentRun | None:
    return (AgentRun.objects.filter(version_id=spec.version_id, kind=AgentRun.Kind.BUILD)
            .order_by("-created_at", "-id").first())


def _spread_quota(groundings: list[Grounding], quota: int, *, subtask_key: str = "") -> list[str]:
    """A subtask's quota over its groundings as planning spreads it: in proportion to each one's fitness
    (its composite score), each within its measured capacity, a full one's share re-spread over the
    rest (agents.planner.allocation.allocate); never by list order. What it says of every grounding
    left at 0 while the subtask has a quota (why: no capacity, or a quota too small to share)."""
    shares = allocate(quota, [Claim(str(g.pk), float((g.scores or {}).get("composite", 1.0)), g.capacity)
                              for g in groundings]).quotas
    notes: list[str] = []
    for grounding in groundings:
        grounding.quota = shares[str(grounding.pk)]
    kept = [g for g in groundings if g.quota]
    for grounding in groundings:
        if grounding.quota or not quota:
            continue
        if grounding.capacity == 0:
            why = "it has no usable records"
        else:
            fitter = ", ".join(f"{g.dataset.slug} ({g.quota})" for g in kept)
            why = (f"a quota of {quota} is too small to share: the fitter "
                   f"{'dataset takes' if len(kept) == 1 else 'datasets take'} it ({fitter}); raise the quota to "
                   f"give it samples")
        notes.append(f"{subtask_key}: dataset {grounding.dataset.slug} gets 0 samples, {why}.")
    return notes


def _coverage_refresh(spec: Spec, subtasks, *, target: int) -> None:
    """The spec's coverage and end state for the quotas it now has (a quota edit changes what is
    served: a dropped subtask's skill is no longer). Only a spec that planned something ok or partial."""
    if spec.end_state not in ("ok", "partial") or not spec.coverage:
        return
    asks = [Ask.model_validate(a) for a in (spec.scope or {}).get("asks", [])]
    plans = [SubtaskPlan(key=s.key, name=s.name, description=s.description, answer_type=s.answer_type,
                         modalities=s.modalities, keywords=s.keywords, sample_schema=s.sample_schema,
                         importance=s.importance, quota=s.quota,
                         groundings=[GroundingPlan(dataset_id=g.dataset_id, dataset_slug=g.dataset.slug,
                                                   plan=TransformPlan.model_validate(g.plan), quota=g.quota,
                                                   capacity=g.capacity, synthesis=g.synthesis)
                                     for g in s.groundings.select_related("dataset")])
             for s in subtasks]
    coverage, spec.end_state, _ = coverage_requoted(asks, spec.coverage, plans, target=target)
    spec.coverage = [c.model_dump() for c in coverage]


@transaction.atomic
def spec_quotas_set(*, spec: Spec, user, quotas: dict[str, int], dropped: list[str] | None = None) -> Spec:
    """Set the quotas of a draft spec's subtasks and drop some of them.

    A subtask not named in `quotas` keeps its quota. The kept subtasks' quotas must sum exactly to
    the request's target size, each within the capacity of its dataset(s); at least one is kept.
    """
    spec = Spec.objects.select_for_update().select_related("version__request", "version__benchmark__team").get(
        pk=spec.pk)
    _check_spec_writable(spec=spec, user=user)
    subtasks = {s.key: s for s in spec.subtasks.prefetch_related("groundings").order_by("position", "id")}
    dropped = list(dict.fromkeys(dropped or []))
    errors: dict[str, list[str]] = {}
    unknown = sorted({*quotas, *dropped} - set(subtasks))
    if unknown:
        errors["subtasks"] = [f"Unknown subtask(s) {unknown}; this spec has {list(subtasks)}."]
    kept = [key for key in subtasks if key not in dropped]
    if not kept:
        errors.setdefault("dropped", []).append("Keep at least one subtask; every subtask was dropped.")
    new_quota: dict[str, int] = {}
    for key in kept:
        value = quotas.get(key, subtasks[key].quota)
        capacity = sum(g.capacity for g in subtasks[key].groundings.all())
        if isinstance(value, bool) or not isinstance(value, int):
            errors.setdefault("quotas", []).append(f"{key}: the quota must be a whole number; got {value!r}.")
        elif not 0 <= value <= capacity:
            errors.setdefault("quotas", []).append(
                f"{key}: quota {value} is outside 0..{capacity} (its dataset has {capacity} usable records).")
        else:
            new_quota[key] = value
    target = spec.version.request.target_size
    if kept and not errors:
        total = sum(new_quota.values())
        if total != target:
            parts = " + ".join(f"{key} {new_quota[key]}" for key in kept)
            errors["quotas"] = [f"The quotas of the kept subtasks sum to {total} ({parts}); they must sum to "
                                f"the target size {target}."]
    if errors:
        raise ValidationError(errors)
    notes: list[str] = []
    spread: dict[str, dict[str, int]] = {}
    for key, subtask in subtasks.items():
        subtask.dropped = key in dropped
        subtask.quota = 0 if subtask.dropped else new_quota[key]
        subtask.save(update_fields=["dropped", "quota"])
        groundings = list(subtask.groundings.select_related("dataset"))
        notes += _spread_quota(groundings, subtask.quota, subtask_key=key)
        Grounding.objects.bulk_update(groundings, ["quota"])
        spread[key] = {g.dataset.slug: g.quota for g in groundings}
    before = spec.end_state
    _coverage_refresh(spec, subtasks.values(), target=target)
    spec.trace = [*spec.trace, {"step": "review", "action": "quotas", "by": user.get_username(),
                                "quotas": {key: s.quota for key, s in subtasks.items()}, "dropped": dropped,
                                "datasets": spread, "notes": notes,
                                **({"end_state": spec.end_state} if spec.end_state != before else {})}]
    spec.save(update_fields=["trace", "coverage", "end_state"])
    spec.quota_notes = notes  # for the page and the API to show now (the trace keeps them)
    run = _build_run_of(spec)
    if run is not None:
        run_event(run, "quotas_set", f"{user.get_username()} set the quotas "
                  + ", ".join(f"{key} {s.quota}" for key, s in subtasks.items())
                  + (f"; dropped {', '.join(dropped)}" if dropped else "")
                  + (f". {' '.join(notes)}" if notes else ""),
                  level="warning" if notes else "info",
                  data={"quotas": {key: s.quota for key, s in subtasks.items()}, "dropped": dropped, "notes": notes})
    return spec


def spec_approve(*, spec: Spec, user) -> AgentRun | None:
    """Approve a draft spec and queue one cell run per kept grounding with a quota (after commit).

    Idempotent: approving an approved spec changes nothing and returns its build run.
    """
    with transaction.atomic():
        spec = Spec.objects.select_for_update().select_related("version__benchmark__team").get(pk=spec.pk)
        team = spec.version.benchmark.team
        if access_team_for_write(user=user, slug=team.slug) is None:
            raise ValidationError({"team": f"Only owners and editors of team {team.slug} may review this spec."})
        run = _build_run_of(spec)
        if spec.status == Spec.Status.APPROVED:
            return run
        if not spec.subtasks.filter(dropped=False, quota__gt=0).exists():
            raise ValidationError({"spec": "The spec has no subtask with a quota to build."})
        _spec_mark_approved(spec, user=user, how="review")
        if run is None:
            return None
        run_event(run, "approved", f"{user.get_username()} approved the spec; building")
        if run.status == AgentRun.Status.AWAITING_APPROVAL:
            _cells_create(run=run, spec=spec, queue_cells=True)
    return AgentRun.objects.get(pk=run.pk)


def spec_replan(*, spec: Spec, user) -> AgentRun:
    """Discard a draft spec (with its subtasks and groundings) and plan the same build run again.

    The request's seed is kept: the offline planner does not depend on it (it re-reads the pool, so
    new datasets and edited cards count), and the record draw stays reproducible from the request.
    """
    with transaction.atomic():
        spec = Spec.objects.select_for_update().select_related("version__benchmark__team").get(pk=spec.pk)
        _check_spec_writable(spec=spec, user=user)
        run = _build_run_of(spec)
        if run is None:
            raise ValidationError({"spec": "The spec has no build run to plan again."})
        discarded = {"end_state": spec.end_state, "quotas": {s.key: s.quota for s in spec.subtasks.all()}}
        spec.delete()
        AgentRun.objects.filter(pk=run.pk).update(status=AgentRun.Status.QUEUED, stage="queued", error="",
                                                  finished_at=None, heartbeat_at=timezone.now())
        run_event(run, "replan", f"{user.get_username()} discarded the draft spec; planning again",
                  data={"discarded": discarded})
        enqueue("benchmarks.tasks.build_plan_task", run.id, name=f"re-plan run {run.id}")
    return run


def build_cell(*, run_id: int, on_progress: Callable[[int, int], None] | None = None,
               queue_cells: bool = True) -> None:
    """Execute one cell run: realise its grounding's quota into samples, then try to finish the build."""
    run = AgentRun.objects.select_related("grounding__subtask", "grounding__dataset", "version__request").get(
        pk=run_id, kind=AgentRun.Kind.CELL)
    if not _mark_running(run_id, "executing"):
        return
    with Heartbeat(AgentRun, run_id):
        _build_cell_claimed(run, on_progress=on_progress, queue_cells=queue_cells)


def _build_cell_claimed(run: AgentRun, *, on_progress: Callable[[int, int], None] | None, queue_cells: bool) -> None:
    run_id, grounding = run.id, run.grounding
    spent = _request_budget(run.version.request).exhausted_reason()
    if spent:
        # Nothing more may be spent on this request: the cell stops before its first item.
        _live(run).update(status=AgentRun.Status.BUDGET_EXHAUSTED, stage="done",
                                                  error=spent, finished_at=timezone.now())
        run_event(run, "budget_exhausted", spent, level="warning")
        if run.parent_id:
            build_finish(run_id=run.parent_id, queue_cells=queue_cells)
        return
    try:
        cell = Cell(subtask_key=grounding.subtask.key, grounding_id=grounding.id, dataset_id=grounding.dataset_id,
                    dataset_slug=grounding.dataset.slug, plan=TransformPlan.model_validate(grounding.plan),
                    quota=run.quota, seed=run.version.request.seed, shard=run.shard, shards=run.shards,
                    intent=f"Request: {run.version.request.text}\nSubtask: {grounding.subtask.name}: "
                           f"{grounding.subtask.description}")
        budget, llm = _request_budget(run.version.request, run=run), None
        if run.engine == Engine.LLM:  # the item author, and the blind and ambiguity checks
            llm = llm_client_for_run(run=run)
            llm.ledger = BudgetLedger(llm.ledger, budget)
        try:
            report = run_cell(cell, modalities=grounding.subtask.modalities, pool=DjangoPool(team_id=run.team_id),
                              tools=DjangoTools(), ledger=DjangoLedger(run=run),
                              sink=DjangoSink(run=run, on_progress=on_progress), engine=OFFLINE_ENGINE,
                              embedder=default_embedder(), llm=llm, budget=budget,
                              min_acceptance=(settings.LLM_CELL_MIN_ACCEPTANCE, settings.LLM_CELL_ACCEPTANCE_AFTER))
            if llm is not None:
                llm.close()
        except RunStopped as exc:
            if llm is not None:
                llm.close()
            run_event(run, "stopped", f"the cell stopped: {exc}; the samples it made are kept", level="warning")
            return  # its build was cancelled with it: nothing to finish
        except BudgetExhausted as exc:
            if llm is not None:
                llm.close()
            _live(run).update(status=AgentRun.Status.BUDGET_EXHAUSTED, stage="done",
                                                      error=str(exc), finished_at=timezone.now())
            run_event(run, "budget_exhausted", f"{exc}; the samples made so far are kept", level="warning")
            if run.parent_id:
                build_finish(run_id=run.parent_id, queue_cells=queue_cells)
            return
        except LLMServiceDown as exc:
            # The service, not the items: nothing was rejected for it, and a rerun goes on where this stopped.
            if llm is not None:
                llm.close()
            _mark_failed(run, str(exc))
            if run.parent_id:
                build_finish(run_id=run.parent_id, queue_cells=queue_cells)
            return
        # A cell its acceptance floor stopped did not do its job: partial, with the reason.
        short_stop = bool(report.stopped) and report.accepted < report.quota
        _live(run).update(
            status=AgentRun.Status.PARTIAL if short_stop else AgentRun.Status.SUCCEEDED, stage="done",
            error=f"stopped early: {report.stopped}" if short_stop else "", finished_at=timezone.now(),
            progress_done=report.accepted, progress_total=report.quota)
        run_event(run, "cell_done", f"{report.accepted} of {report.quota} samples made "
                  f"({report.rejected} rejected by verification, {report.skipped_existing} already there)"
                  + (f"; stopped early: {report.stopped}" if report.stopped else ""),
                  level="warning" if report.exhausted or report.stopped else "info", data=report.model_dump())
    except Exception as exc:
        logger.exception("cell run %s failed", run_id)
        _mark_failed(run, f"Cell failed: {exc}\n{traceback.format_exc(limit=5)}")
    if run.parent_id:
        build_finish(run_id=run.parent_id, queue_cells=queue_cells)


def _accepted_by(version: BenchmarkVersion, field: str) -> dict[int, int]:
    rows = (Sample.objects.filter(version=version, status__in=[Sample.Status.OK, Sample.Status.REPAIRED])
            .values_list(field).annotate(n=Count("id")))
    return dict(rows)


def _replenish(run: AgentRun) -> list[int]:
    """Quotas a subtask's cells missed (their records ran out) move to the subtask's other cells
    that met their quota, so may hold more: shards of the same dataset (they draw other records)
    or cells of its other datasets; those cells run again. The ids of the cells to run; empty when
    no subtask is short or no cell is left to draw from."""
    spec = Spec.objects.filter(version_id=run.version_id).first()
    if spec is None:
        return []
    by_grounding = _accepted_by(run.version, "grounding_id")
    cells = list(run.children.select_related("grounding__dataset").filter(kind=AgentRun.Kind.CELL))
    made = dict(Sample.objects.filter(version=run.version, status__in=[Sample.Status.OK, Sample.Status.REPAIRED],
                                      provenance__run_id__in=[c.id for c in cells])
                .values_list("provenance__run_id").annotate(n=Count("id")))
    again: list[int] = []
    for subtask in spec.subtasks.filter(dropped=False).prefetch_related("groundings"):
        ids = {g.id for g in subtask.groundings.all()}
        short = subtask.quota - sum(by_grounding.get(g, 0) for g in ids)
        open_ = [c for c in cells if c.grounding_id in ids and c.status == AgentRun.Status.SUCCEEDED
                 and made.get(c.id, 0) >= c.quota]
        if short <= 0 or not open_:
            continue
        shares = allocate(short, [Claim(str(c.id), c.grounding.scores.get("composite", 1.0), short)
                                  for c in open_]).quotas
        for cell in open_:
            extra = shares[str(cell.id)]
            if not extra:
                continue
            Grounding.objects.filter(pk=cell.grounding_id).update(quota=F("quota") + extra)
            AgentRun.objects.filter(pk=cell.pk).update(status=AgentRun.Status.QUEUED, stage="replenish",
                                                       quota=cell.quota + extra, progress_total=cell.quota + extra,
                                                       finished_at=None, heartbeat_at=timezone.now())
            run_event(cell, "replenish", f"{extra} more from {cell.grounding.dataset.slug}: subtask {subtask.key} is "
                      f"{short} short because another cell ran out of records",
                      data={"extra": extra, "subtask": subtask.key})
            again.append(cell.pk)
    return again


def samples_replace(*, version: BenchmarkVersion, reasons: dict[int, str], queue_cells: bool = True) -> list[int]:
    """Take samples out of the version (rejected, each with its reason as a failed `human_review` check)
    and make others in their place: the cells that made them run again and draw new records (a
    record already used is never drawn again; a cell whose records run out passes its quota on to
    its siblings when the build finishes). The build run is running again until they are done.
    The ids of the cells queued; a frozen version is never changed."""
    if version.frozen or BenchmarkVersion.objects.filter(pk=version.pk, frozen=True).exists():
        raise FrozenVersionError(f"{version} is frozen: its samples are not replaced.")
    cells: dict[int, int] = {}
    with transaction.atomic():
        samples = list(Sample.objects.select_for_update().filter(
            version=version, pk__in=list(reasons), status__in=[Sample.Status.OK, Sample.Status.REPAIRED]))
        for sample in samples:
            verification = sample.verification if isinstance(sample.verification, dict) else {}
            reason = reasons[sample.pk]
            verification = {**verification,
                            "checks": [*verification.get("checks", []),
                                       {"name": "human_review", "ok": False, "detail": reason}],
                            "reasons": [*verification.get("reasons", []), reason]}
            Sample.objects.filter(pk=sample.pk).update(status=Sample.Status.REJECTED, verification=verification)
            run_id = (sample.provenance or {}).get("run_id")
            if run_id:
                cells[run_id] = cells.get(run_id, 0) + 1
        queued: list[int] = []
        for cell in AgentRun.objects.filter(pk__in=cells, kind=AgentRun.Kind.CELL, version=version):
            if cell.status not in AgentRun.FINISHED:
                continue  # still running: it makes up the quota itself
            AgentRun.objects.filter(pk=cell.pk).update(status=AgentRun.Status.QUEUED, stage="replace", finished_at=None,
                                                       heartbeat_at=timezone.now())
            run_event(cell, "replace", f"{cells[cell.pk]} of its samples rejected in human review; making others",
                      level="warning", data={"rejected": cells[cell.pk]})
            queued.append(cell.pk)
            if cell.parent_id:
                AgentRun.objects.filter(pk=cell.parent_id).exclude(status=AgentRun.Status.RUNNING).update(
                    status=AgentRun.Status.RUNNING, stage="replacing", finished_at=None, error="")
        if queue_cells:
            for cell_id in queued:
                enqueue("benchmarks.tasks.build_cell_task", cell_id, name=f"cell run {cell_id} (replace)")
    return queued


def _subtask_report(version: BenchmarkVersion) -> dict[str, dict[str, int]]:
    made = _accepted_by(version, "subtask_id")
    return {s.key: {"quota": s.quota, "made": made.get(s.id, 0)}
            for s in Subtask.objects.filter(spec__version=version, dropped=False).order_by("position")}


def version_baselines(version: BenchmarkVersion) -> dict:
    """The baselines a sound benchmark keeps at chance, on the version's kept samples."""
    items = [(options, index) for options, index in Sample.objects.filter(
        version=version, status__in=[Sample.Status.OK, Sample.Status.REPAIRED], answer_index__isnull=False)
        .order_by("id").values_list("options", "answer_index")]
    return {"odd_one_out": odd_one_out(items, default_embedder(), seed=str(version.pk)).as_dict()}


def build_finish(*, run_id: int, queue_cells: bool = True) -> None:
    """Close a build run once every cell has finished (whichever cell finishes last does it), after
    replenishing subtasks whose datasets ran out from their other datasets."""
    with transaction.atomic():
        run = AgentRun.objects.select_for_update().select_related("version").get(pk=run_id)
        if run.is_finished:
            return
        children = list(run.children.values_list("status", flat=True))
        if any(status not in AgentRun.FINISHED for status in children):
            return
        if AgentRun.Status.FAILED not in children and AgentRun.Status.BUDGET_EXHAUSTED not in children:
            again = _replenish(run)
            if again:
                if queue_cells:
                    for cell_id in again:
                        enqueue("benchmarks.tasks.build_cell_task", cell_id, name=f"cell run {cell_id} (replenish)")
                return
        version = run.version
        accepted = Sample.objects.filter(version=version, status__in=[Sample.Status.OK, Sample.Status.REPAIRED]).count()
        failed = children.count(AgentRun.Status.FAILED)
        target = version.request.target_size
        # A frozen version keeps the checksum it was frozen with (the models refuse changing it).
        BenchmarkVersion.objects.filter(pk=version.pk, frozen=False).update(
            checksum=version_checksum(version), checksum_scheme=LATEST_SCHEME)
        stopped = children.count(AgentRun.Status.BUDGET_EXHAUSTED)
        spec = Spec.objects.filter(version=version).only("coverage").first()
        unserved = [f"{c.get('text', c.get('key'))} ({c.get('reason', '')})" for c in (spec.coverage if spec else [])
                    if c.get("status") != "served"]
        if failed:
            status, error = AgentRun.Status.FAILED, f"{failed} of {len(children)} cells failed; see their events"
        elif stopped:
            status, error = (AgentRun.Status.BUDGET_EXHAUSTED,
                             f"the budget is spent: {stopped} of {len(children)} cells stopped; what was made is kept")
        elif accepted < target or unserved:
            # Fewer samples than asked, or a request only partly served, is not a success: the run says so.
            status = AgentRun.Status.PARTIAL
            error = "; ".join(part for part in (
                f"{accepted} of the {target} samples were made" if accepted < target else "",
                ("not served as asked: " + "; ".join(unserved)) if unserved else "") if part)
        else:
            status, error = AgentRun.Status.SUCCEEDED, ""
        _live(run).update(status=status, error=error, stage="done",
                                                  finished_at=timezone.now(), progress_done=accepted)
    # Embedding every option takes seconds: measured after the run's row lock is released.
    BenchmarkVersion.objects.filter(pk=version.pk, frozen=False).update(baselines=version_baselines(version))
    short = target - accepted
    subtasks = _subtask_report(version)
    shortfalls = "; ".join(f"{key}: {r['made']} of {r['quota']} (its datasets ran out)"
                           for key, r in subtasks.items() if r["made"] < r["quota"])
    run_event(run, "finished", f"{accepted} of {target} samples made" + (f"; {short} short" if short > 0 else "")
              + (f" — {shortfalls}" if shortfalls else ""),
              level="info" if status == AgentRun.Status.SUCCEEDED and short <= 0 else "warning",
              data={"accepted": accepted, "target": target, "subtasks": subtasks})


def build_run_foreground(*, run_id: int, on_progress: Callable[[int, int], None] | None = None,
                         accept_partial: bool = False) -> AgentRun:
    """The same path as the queue, in this process: plan, then each cell in turn. With accept_partial
    (the build command's --accept-partial), an auto-approved request whose plan serves only part of
    it is built anyway (what it serves), the approval saying so; an unclear request still waits."""
    pending = build_plan(run_id=run_id, queue_cells=False)
    if accept_partial and not pending:
        pending = _approve_partial(run_id)
    while pending:
        for cell_id in sorted(pending):
            def report(done: int, total: int) -> None:
                if on_progress:  # the build's accepted count, which the sink keeps on the build run
                    on_progress(AgentRun.objects.values_list("progress_done", flat=True).get(pk=run_id), 0)

            build_cell(run_id=cell_id, on_progress=report, queue_cells=False)
        # Cells queued again to replenish a subtask whose other dataset ran out.
        pending = list(AgentRun.objects.filter(parent_id=run_id, kind=AgentRun.Kind.CELL,
                                               status=AgentRun.Status.QUEUED).values_list("id", flat=True))
    return AgentRun.objects.get(pk=run_id)


def _approve_partial(run_id: int) -> list[int]:
    run = AgentRun.objects.select_related("version__request").get(pk=run_id)
    spec = Spec.objects.filter(version=run.version, status=Spec.Status.DRAFT).first()
    if (run.status != AgentRun.Status.AWAITING_APPROVAL or spec is None or not run.version.request.auto_approve
            or set(_auto_approve_held(spec)) != {"partial"}):
        return []
    _spec_mark_approved(spec, how="auto-approve, partial plan accepted")
    run_event(run, "approved", "the partial plan was accepted as it is (build --accept-partial); building what it "
              "serves", level="warning")
    return _cells_create(run=run, spec=spec, queue_cells=False)


# --- Refresh -------------------------------------------------------------------------------------

class BuildInProgress(ValidationError):
    """The benchmark's latest version is still being built, so the request conflicts with that build
    (the API answers 409 Conflict)."""


def _benchmark_lock(benchmark: Benchmark) -> None:
    """Serialise writers of one benchmark's versions until the transaction ends: a row lock on
    PostgreSQL; on SQLite the IMMEDIATE transaction already holds the database's write lock."""
    list(Benchmark.objects.select_for_update().filter(pk=benchmark.pk).values_list("pk", flat=True))


def version_refresh(*, benchmark: Benchmark, user, run_in_background: bool = True) -> BuildStarted:
    """A new version of the benchmark from its latest version's spec (same subtasks, datasets, plans
    and quotas, already approved), built from source records no earlier version used. The build runs
    like any other (queued, or by the caller with build_run_foreground).

    One refresh at a time: while the latest version is being built, a refresh raises BuildInProgress
    (the next version could not know which records the running build will use). Concurrent refreshes
    are serialised on the benchmark, so exactly one makes the next version and the others get that
    refusal, never a duplicate version number."""
    if user is not None and access_team_for_write(user=user, slug=benchmark.team.slug) is None:
        raise PermissionDenied("Only owners and editors of the team refresh a benchmark.")
    try:
        with transaction.atomic():
            _benchmark_lock(benchmark)
            started = _version_refresh_locked(benchmark=benchmark, user=user, run_in_background=run_in_background)
    except IntegrityError as exc:  # a version made beside the lock (another path): the same conflict
        raise BuildInProgress({"benchmark": "Another build of this benchmark has just started; refresh again once it "
                                            "has finished."}) from exc
    return started


def _version_refresh_locked(*, benchmark: Benchmark, user, run_in_background: bool) -> BuildStarted:
    previous = benchmark.versions.select_related("request").order_by("-number").first()
    spec = Spec.objects.filter(version=previous, status=Spec.Status.APPROVED).first() if previous else None
    if spec is None or not spec.subtasks.filter(dropped=False).exists():
        raise ValidationError({"benchmark": "Only a benchmark whose latest spec was approved and built can be refreshed."})
    if AgentRun.objects.filter(version=previous, kind=AgentRun.Kind.BUILD).exclude(status__in=AgentRun.FINISHED).exists():
        raise BuildInProgress({"benchmark": f"A refresh is already running: v{previous.number} is still being built; "
                                            "refresh again once it has finished."})
    version = BenchmarkVersion.objects.create(benchmark=benchmark, number=previous.number + 1,
                                              request=previous.request, refreshed_from=previous)
    copy = Spec.objects.create(version=version, status=Spec.Status.APPROVED, engine=spec.engine,
                               end_state=spec.end_state, scope=spec.scope, approved_at=timezone.now(),
                               approved_by=user if user is not None and user.is_authenticated else None,
                               trace=[{"step": "refresh", "from_version": previous.number,
                                       "by": user.get_username() if user else None}])
    for subtask in spec.subtasks.prefetch_related("groundings"):
        groundings = list(subtask.groundings.all())
        subtask.pk, subtask.spec = None, copy
        subtask.save()
        for grounding in groundings:
            grounding.pk, grounding.subtask = None, subtask
            grounding.save()
    run = AgentRun.objects.create(team=benchmark.team, kind=AgentRun.Kind.BUILD, version=version,
                                  engine=spec.engine, progress_total=previous.request.target_size)
    run_event(run, "refresh", f"refresh of v{previous.number}: the same spec, from records no earlier version used",
              data={"from_version": previous.number})
    if run_in_background:
        enqueue("benchmarks.tasks.build_plan_task", run.pk, name=f"build run {run.pk} (refresh)")
    return BuildStarted(request=previous.request, version=version, run=run)
