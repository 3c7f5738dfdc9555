"""Writes of evaluation: judge a benchmark version's samples (a judge run: the rules judge always,
the LLM judge when asked), storing each sample's seven scores with their rationales.

A judge run is an AgentRun of kind "judge": its LLM calls go to the ledger (role "judge") under it,
its progress and events show like a build's, and it is safe to run again: the LLM judge skips the
samples this model has already scored."""
from __future__ import annotations

import logging
import traceback
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from agents.judge import ALL_DIMENSIONS, JudgeItem, Judgement
from agents.judge.llm_judge import judge_with_llm
from agents.judge.rules import judge_by_rules
from agents.types import MediaRef
from benchmarks.adapters import llm_client_for_run, llm_config_from_settings, run_event
from benchmarks.models import AgentRun, BenchmarkVersion, Engine, Sample
from common.queue import enqueue
from evaluation.models import JudgeScore
from teams.selectors import access_team_for_write

logger = logging.getLogger(__name__)

ACCEPTED = (Sample.Status.OK, Sample.Status.REPAIRED)
JUDGE_ENGINES = ("rules", "llm")


def judge_start(*, version: BenchmarkVersion, user, engine: str = "rules") -> AgentRun:
    """Queue a judge run of the version's kept samples: `rules` (offline) or `llm` (needs an LLM service)."""
    team = version.benchmark.team
    if user is not None and access_team_for_write(user=user, slug=team.slug) is None:
        raise PermissionDenied("Only owners and editors of the benchmark's team start a judge run.")
    if engine not in JUDGE_ENGINES:
        raise ValidationError({"engine": f"Choose one of {', '.join(JUDGE_ENGINES)}."})
    if engine == "llm" and not settings.OPENAI_BASE_URL:
        raise ValidationError({"engine": "No LLM service is configured (OPENAI_BASE_URL); the rules judge runs offline."})
    total = Sample.objects.filter(version=version, status__in=ACCEPTED).count()
    if not total:
        raise ValidationError({"version": f"{version} has no samples to judge."})
    run = AgentRun.objects.create(team=team, kind=AgentRun.Kind.JUDGE, version=version, progress_total=total,
                                  engine=Engine.LLM if engine == "llm" else Engine.OFFLINE, stage="queued")
    enqueue("evaluation.tasks.judge_run_task", run.pk, name=f"judge run {run.pk}")
    return run


def _items(version: BenchmarkVersion) -> list[tuple[Sample, JudgeItem]]:
    root = Path(settings.MEDIA_ROOT)
    request = version.request
    out = []
    for sample in (Sample.objects.filter(version=version, status__in=ACCEPTED).select_related("subtask")
                   .prefetch_related("media").order_by("pk")):
        media = [MediaRef(path="", file=a.file, abs_path=str(root / a.file), kind=a.kind, sha256=a.sha256)
                 for a in sample.media.all()]
        out.append((sample, JudgeItem(
            item_key=sample.item_key, question=sample.question, context=sample.context, options=sample.options or [],
            answer=sample.answer, answer_index=sample.answer_index, answer_type=sample.answer_type, media=media,
            intent=f"Request: {request.text}\nSubtask: {sample.subtask.name}: {sample.subtask.description}")))
    return out


def _store(run: AgentRun, sample: Sample, judgement: Judgement) -> None:
    with transaction.atomic():
        JudgeScore.objects.filter(sample=sample, model=judgement.judge).delete()
        JudgeScore.objects.bulk_create([
            JudgeScore(team_id=run.team_id, sample=sample, run=run, dimension=dimension, model=judgement.judge[:200],
                       score=judgement.scores[dimension].score, rationale=judgement.scores[dimension].rationale)
            for dimension in ALL_DIMENSIONS])


def judge_run(*, run_id: int) -> None:
    """Run a queued judge run to the end (a task; also in the foreground from scripts and tests)."""
    run = AgentRun.objects.select_related("version__request").get(pk=run_id, kind=AgentRun.Kind.JUDGE)
    now = timezone.now()
    if not AgentRun.objects.filter(pk=run_id, status__in=[AgentRun.Status.QUEUED, AgentRun.Status.RUNNING]).update(
            status=AgentRun.Status.RUNNING, stage="judging", started_at=now, heartbeat_at=now):
        return
    try:
        items = _items(run.version)
        for sample, item in items:
            _store(run, sample, judge_by_rules(item))
        done, failed = 0, 0
        if run.engine == Engine.LLM:
            model = llm_config_from_settings().for_role("judge").model
            scored = set(JudgeScore.objects.filter(sample__version=run.version, model=model, dimension="Overall",
                                                   score__isnull=False).values_list("sample_id", flat=True))
            todo = [(s, i) for s, i in items if s.pk not in scored]
            by_key = {i.item_key: s for s, i in todo}
            client = llm_client_for_run(run=run)

            def store(judgement: Judgement) -> None:
                nonlocal done, failed
                _store(run, by_key[judgement.item_key], judgement)
                done += 1
                failed += bool(judgement.error)
                if done % 10 == 0 or done == len(todo):
                    AgentRun.objects.filter(pk=run.pk).update(progress_done=len(items) - len(todo) + done,
                                                              heartbeat_at=timezone.now())

            try:
                judge_with_llm([i for _, i in todo], llm=client, model=model, on_judgement=store,
                               batch_size=settings.JUDGE_BATCH_SIZE, window=4 * max(1, client.config.concurrency))
            finally:
                client.close()
        AgentRun.objects.filter(pk=run.pk).update(status=AgentRun.Status.SUCCEEDED, stage="done",
                                                  progress_done=len(items), finished_at=timezone.now())
        message = f"{len(items)} samples scored by the rules judge"
        if run.engine == Engine.LLM:
            message += f"; {done} judged by the LLM" + (f", {failed} of them not scored (see their rationale)"
                                                         if failed else "")
        run_event(run, "judged", message, level="warning" if failed else "info",
                  data={"samples": len(items), "llm_judged": done, "llm_not_scored": failed})
    except Exception as exc:
        logger.exception("judge run %s failed", run_id)
        AgentRun.objects.filter(pk=run.pk).update(status=AgentRun.Status.FAILED, stage="done",
                                                  finished_at=timezone.now(),
                                                  error=f"{exc}\n{traceback.format_exc(limit=5)}")
        run_event(run, "failed", f"The judge run failed: {exc}", level="error")

