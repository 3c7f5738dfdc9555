"""Writes of evaluation: judge a benchmark version's samples (a judge run: the rules judge always,
the LLM judge when asked), storing each sample's seven scores with their rationales; register
target models and evaluate them on a version (concurrent, retried, costed, resumable).

A judge run is an AgentRun of kind "judge": its LLM calls go to the ledger (role "judge") under it,
its progress and events show like a build's, and it is safe to run again: the LLM judge skips the
samples this model has already scored."""
from __future__ import annotations

import logging
import re
import time
import traceback
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from pydantic import BaseModel, Field

from agents.baseline import direct_requests
from agents.evaluate import EvalAnswer, EvalItem
from agents.evaluate.runner import run_eval
from agents.evaluate.scoring import chance
from agents.evaluate.stats import bootstrap_ci
from agents.judge import ALL_DIMENSIONS, JudgeItem, Judgement
from agents.judge.llm_judge import judge_with_llm
from agents.judge.rules import judge_by_rules
from agents.llm import LLMConfig, LLMError, LLMRequest, RoleConfig, fence_data
from agents.llm.openai_backend import OpenAIChatBackend
from agents.types import MediaRef
from benchmarks.adapters import llm_client_for_run, llm_config_from_settings, run_event
from benchmarks.models import AgentRun, BenchmarkVersion, Engine, Sample
from common import outbound
from common.encryption import SecretUnreadable, secret_decrypt, secret_encrypt
from common.leases import Heartbeat, job_claim
from common.names import name_strip
from common.queue import enqueue
from evaluation.models import BaselineItem, EvalRun, JudgeScore, ModelAnswer, ModelEndpoint
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


def _media_refs(sample: Sample) -> list[MediaRef]:
    """The sample's media files as the agent core names them (media prefetched by the caller)."""
    root = Path(settings.MEDIA_ROOT)
    return [MediaRef(path="", file=a.file, abs_path=str(root / a.file), kind=a.kind, sha256=a.sha256)
            for a in sample.media.all()]


def _items(version: BenchmarkVersion) -> list[tuple[Sample, JudgeItem]]:
    request = version.request
    out = []
    for sample in (Sample.objects.filter(version=version, status__in=ACCEPTED).select_related("subtask")
                   .prefetch_related("media").order_by("pk")):
        media = _media_refs(sample)
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


def judged_status(given: int, failed: int) -> str:
    """A judge run that was to score `given` items with the LLM: failed when it scored none (whatever
    the rules did), partial when it left some unscored."""
    if failed and failed >= given:
        return AgentRun.Status.FAILED
    return AgentRun.Status.PARTIAL if failed else AgentRun.Status.SUCCEEDED


def judge_run(*, run_id: int) -> None:
    """Run a queued judge run to the end (a task; also in the foreground from scripts and tests).
    An LLM judge that scored none of the samples it was given fails the run; one that left some
    unscored finishes it as partial (the rules' scores are stored either way)."""
    run = AgentRun.objects.select_related("version__request").get(pk=run_id, kind=AgentRun.Kind.JUDGE)
    now = timezone.now()
    if not AgentRun.objects.filter(pk=run_id, status__in=[AgentRun.Status.QUEUED, AgentRun.Status.RUNNING]).update(
            status=AgentRun.Status.RUNNING, stage="judging", started_at=now, heartbeat_at=now):
        return
    with Heartbeat(AgentRun, run_id):
        _judge_run_claimed(run)


def _judge_run_claimed(run: AgentRun) -> None:
    run_id = run.pk
    try:
        items = _items(run.version)
        for sample, item in items:
            _store(run, sample, judge_by_rules(item))
        done, failed, first_failure = 0, 0, ""
        if run.engine == Engine.LLM:
            model = llm_config_from_settings().for_role("judge").model
            scored = set(JudgeScore.objects.filter(sample__version=run.version, model=model, dimension="Overall",
                                                   score__isnull=False).values_list("sample_id", flat=True))
            unscored = [(s, i) for s, i in items if s.pk not in scored]
            by_key = {i.item_key: s for s, i in unscored}
            client = llm_client_for_run(run=run)

            def store(judgement: Judgement) -> None:
                nonlocal done, failed, first_failure
                _store(run, by_key[judgement.item_key], judgement)
                done += 1
                failed += bool(judgement.error)
                first_failure = first_failure or judgement.error
                if done % 10 == 0 or done == len(unscored):
                    AgentRun.objects.filter(pk=run.pk).update(progress_done=len(items) - len(unscored) + done,
                                                              heartbeat_at=timezone.now())

            try:
                judge_with_llm([i for _, i in unscored], llm=client, model=model, on_judgement=store,
                               batch_size=settings.JUDGE_BATCH_SIZE, window=4 * client.concurrency)
            finally:
                client.close()
        message = f"{len(items)} samples scored by the rules judge"
        if run.engine == Engine.LLM:
            message += f"; {done} judged by the LLM" + (f", {failed} of them not scored (first: {first_failure})"
                                                         if failed else "")
        status = judged_status(done, failed)
        AgentRun.objects.filter(pk=run.pk).update(
            status=status, stage="done", progress_done=len(items) - failed, finished_at=timezone.now(),
            error=f"The LLM judge scored none of the {done} samples it was given: {first_failure}"
            if status == AgentRun.Status.FAILED else "")
        run_event(run, "judged", message, level={AgentRun.Status.FAILED: "error", AgentRun.Status.PARTIAL: "warning"}
                  .get(status, "info"), data={"samples": len(items), "llm_judged": done, "llm_not_scored": failed})
    except Exception as exc:
        logger.exception("judge run %s failed", run_id)
        AgentRun.objects.filter(pk=run.pk).update(status=AgentRun.Status.FAILED, stage="done",
                                                  finished_at=timezone.now(),
                                                  error=f"{exc}\n{traceback.format_exc(limit=5)}")
        run_event(run, "failed", f"The judge run failed: {exc}", level="error")



# --- Model evaluation --------------------------------------------------------------------------

API_KEY_MAX_LENGTH = 4096


def api_key_error(api_key: str) -> str:
    if len(api_key) > API_KEY_MAX_LENGTH:
        return f"The API key is longer than {API_KEY_MAX_LENGTH} characters."
    # It goes into an HTTP header: printable ASCII without spaces, as every provider's keys are.
    if any(not 0x21 <= ord(c) <= 0x7E for c in api_key):
        return "The API key may hold printable ASCII characters only (no spaces or line breaks)."
    return ""


def endpoint_key_apply(*, endpoint: ModelEndpoint, api_key: str | None = None, remove: bool = False) -> None:
    """Set the endpoint's key fields (unsaved) for its current base URL: a new key is encrypted and
    bound to that URL's origin; `remove` drops the key; otherwise the stored key stays only if it
    was given for this same origin (a key is never sent to an origin it was not given for)."""
    origin = str(outbound.url_origin(endpoint.base_url))
    if api_key:
        endpoint.api_key_encrypted, endpoint.api_key_origin = secret_encrypt(api_key), origin
    elif remove or endpoint.api_key_origin != origin:
        endpoint.api_key_encrypted, endpoint.api_key_origin = "", ""


def endpoint_create(*, team, user, name: str, base_url: str, model: str, api_key: str | None = None,
                    price_input: float = 0, price_output: float = 0, family: str = "", scale: float | None = None,
                    concurrency: int = 8) -> ModelEndpoint:
    """Register a target model of the team, or update the one of that name (owners and editors).
    `api_key`: the model's key, stored encrypted and never shown; None keeps the stored one (unless
    the base URL moves to another origin: then it is dropped), "" removes it. The base URL must
    reach a public address, or one the operator allows (common.outbound)."""
    if access_team_for_write(user=user, slug=team.slug) is None:
        raise PermissionDenied("Only owners and editors of the team register models.")
    errors = {}
    # Names without control or invisible characters (common.names): what is listed is what is stored.
    name, model, family = name_strip(name)[:200], name_strip(model)[:200], name_strip(family)[:100]
    if not name:
        errors["name"] = "Give the model a name (with visible characters)."
    if not re.match(r"^https?://", base_url or ""):
        errors["base_url"] = "The base URL must start with http:// or https://."
    else:
        try:
            outbound.url_check(base_url)
        except outbound.OutboundRefused as exc:
            errors["base_url"] = str(exc)
    if not model:
        errors["model"] = "Name the model the endpoint serves."
    if api_key and api_key_error(api_key):
        errors["api_key"] = api_key_error(api_key)
    if not 1 <= int(concurrency) <= 256:
        errors["concurrency"] = "Concurrency must be between 1 and 256."
    if errors:
        raise ValidationError(errors)
    fields = {"base_url": base_url, "model": model, "price_input": price_input, "price_output": price_output,
              "family": family, "scale": scale, "concurrency": concurrency}
    with transaction.atomic():
        # Locked: two concurrent updates of one model never keep a key for the other's base URL.
        endpoint = ModelEndpoint.objects.select_for_update().filter(team=team, name=name).first()
        if endpoint is None:
            endpoint = ModelEndpoint(team=team, name=name)
        for field, value in fields.items():
            setattr(endpoint, field, value)
        endpoint_key_apply(endpoint=endpoint, api_key=api_key or None, remove=api_key == "")
        endpoint.save()
    return endpoint


def eval_start(*, version: BenchmarkVersion, endpoint: ModelEndpoint, user) -> EvalRun:
    team = version.benchmark.team
    if user is not None and access_team_for_write(user=user, slug=team.slug) is None:
        raise PermissionDenied("Only owners and editors of the benchmark's team start evaluations.")
    if endpoint.team_id != team.pk:
        raise ValidationError({"endpoint": "The model is registered in another team."})
    try:  # checked again at each connection; here, so a refused address is a clear error, not a failed run
        outbound.url_check(endpoint.base_url)
    except outbound.OutboundRefused as exc:
        raise ValidationError({"endpoint": f"{endpoint.name}: {exc}"}) from exc
    total = Sample.objects.filter(version=version, status__in=ACCEPTED).count()
    if not total:
        raise ValidationError({"version": f"{version} has no samples to evaluate on."})
    run = EvalRun.objects.create(team=team, version=version, endpoint=endpoint, progress_total=total)
    enqueue("evaluation.tasks.eval_run_task", run.pk, name=f"eval run {run.pk}")
    return run


def _eval_items(version: BenchmarkVersion, *, exclude: set[int], limit: int | None = None,
                ) -> dict[str, tuple[Sample, EvalItem]]:
    """The version's kept samples not in `exclude` as items to ask, in a stable order (the first `limit`)."""
    out = {}
    samples = (Sample.objects.filter(version=version, status__in=ACCEPTED).exclude(pk__in=exclude)
               .select_related("subtask").prefetch_related("media").order_by("pk"))
    for sample in samples[:limit] if limit is not None else samples:
        media = _media_refs(sample)
        out[sample.item_key] = (sample, EvalItem(
            item_key=sample.item_key, subtask=sample.subtask.key, question=sample.question, context=sample.context,
            options=sample.options or [], answer=sample.answer, answer_index=sample.answer_index,
            accepted_answers=sample.accepted_answers or [], answer_type=sample.answer_type, media=media))
    return out


def _endpoint_backend(endpoint: ModelEndpoint) -> OpenAIChatBackend:
    """A backend for the team's endpoint, through the guarded client: checked and pinned addresses,
    no redirects, and the team's own key as the only credential, for the origin it was given for."""
    key = ""
    if endpoint.api_key_encrypted and endpoint.api_key_origin == str(outbound.url_origin(endpoint.base_url)):
        key = secret_decrypt(endpoint.api_key_encrypted)
    http_client = outbound.guarded_http_client(base_url=endpoint.base_url, api_key=key,
                                               max_connections=endpoint.concurrency)
    # The key travels in the guarded client only (it sets the Authorization header itself).
    config = LLMConfig(base_url=endpoint.base_url, api_key="", default=RoleConfig(model=endpoint.model),
                       timeout_s=settings.LLM_TIMEOUT_S, max_retries=settings.LLM_MAX_RETRIES,
                       retry_after_max_s=settings.LLM_RETRY_AFTER_MAX_S, concurrency=endpoint.concurrency,
                       prices={endpoint.model: (float(endpoint.price_input), float(endpoint.price_output))})
    return OpenAIChatBackend(config, http_client=http_client)


def _run_error(exc: Exception) -> str:
    """What a failed evaluation run shows its team: a short reason, never a reply from the endpoint
    (the traceback goes to the server log)."""
    if isinstance(exc, (outbound.OutboundRefused, SecretUnreadable)):
        text = str(exc)
        return text if len(text) <= 200 else text[:199] + "…"
    return f"The run failed unexpectedly ({type(exc).__name__}); the server log has the details."


def eval_run(*, run_id: int, continued: bool = False) -> None:
    """Ask the target model the samples it has not answered yet, storing each answer as it comes; a
    slice at a time (BENCH_EVAL_SLICE_ITEMS items or BENCH_EVAL_SLICE_S seconds), then the run goes
    back to the queue behind the work waiting there, so other teams' builds and runs interleave with
    a long evaluation. The last slice summarises the run. After BENCH_EVAL_CIRCUIT_FAILURES items in
    a row failed, the run stops: failed, with the rest not asked.

    Safe to run again after a crash: answers are unique per sample; a fresh start (not a
    `continued` slice) also asks again what failed."""
    if not job_claim(EvalRun.objects.filter(pk=run_id), started_at=Coalesce(F("started_at"), Value(timezone.now()))):
        return  # finished, or another worker runs it
    run = EvalRun.objects.select_related("endpoint", "version").get(pk=run_id)
    with Heartbeat(EvalRun, run_id):
        try:
            _eval_slice(run, continued=continued)
        except Exception as exc:
            logger.exception("eval run %s failed", run_id)
            EvalRun.objects.filter(pk=run.pk).update(status=EvalRun.Status.FAILED, finished_at=timezone.now(),
                                                     error=_run_error(exc))


def _trailing_failures(run: EvalRun, limit: int) -> int:
    """How many of the run's latest answers (up to `limit`) failed in a row: the circuit breaker's
    count carried from one slice to the next."""
    errors = ModelAnswer.objects.filter(run=run).order_by("-id").values_list("error", flat=True)[:limit]
    count = 0
    for error in errors:
        if not error:
            break
        count += 1
    return count


def _eval_slice(run: EvalRun, *, continued: bool) -> None:
    if not continued:  # a fresh start or a resumed run keeps what was answered and asks again what failed
        ModelAnswer.objects.filter(run=run).exclude(error="").delete()
    answered = set(ModelAnswer.objects.filter(run=run).values_list("sample_id", flat=True))
    items = _eval_items(run.version, exclude=answered, limit=settings.BENCH_EVAL_SLICE_ITEMS)  # this slice's
    batch: list[ModelAnswer] = []

    def flush() -> None:
        ModelAnswer.objects.bulk_create(batch, ignore_conflicts=True)
        batch.clear()
        EvalRun.objects.filter(pk=run.pk).update(progress_done=ModelAnswer.objects.filter(run=run).count(),
                                                 heartbeat_at=timezone.now())

    def store(answer: EvalAnswer) -> None:
        sample = items[answer.item_key][0]
        batch.append(ModelAnswer(
            run=run, sample=sample, raw=answer.raw, parsed=answer.parsed, correct=answer.correct,
            method=answer.method, prompt_tokens=answer.prompt_tokens, completion_tokens=answer.completion_tokens,
            cost=backend.config.cost(run.endpoint.model, answer.prompt_tokens, answer.completion_tokens),
            latency_ms=answer.latency_ms, error=answer.error))
        if len(batch) >= 50:
            flush()

    breaker = settings.BENCH_EVAL_CIRCUIT_FAILURES
    backend = _endpoint_backend(run.endpoint)
    try:
        progress = run_eval([item for _, item in items.values()], backend=backend, model=run.endpoint.model,
                            concurrency=run.endpoint.concurrency, on_answer=store,
                            max_items=settings.BENCH_EVAL_SLICE_ITEMS,
                            deadline=time.monotonic() + settings.BENCH_EVAL_SLICE_S,
                            max_consecutive_failures=breaker or None,
                            consecutive_failures=_trailing_failures(run, breaker) if continued and breaker else 0)
    finally:
        # The answers that came before a failure are kept: a re-run does not ask them again.
        if batch:
            flush()
        backend.close()
    not_asked = (Sample.objects.filter(version=run.version, status__in=ACCEPTED)
                 .exclude(pk__in=ModelAnswer.objects.filter(run=run).values("sample_id")).count())
    if progress.circuit_open:
        summary = {**eval_summary(run=run), "not_asked": not_asked}
        reason = (f"Stopped: {progress.consecutive_failures} items in a row failed after their retries, so the "
                  f"endpoint looks down; {not_asked} items were not asked. Last error: {progress.last_error[:300]}")
        EvalRun.objects.filter(pk=run.pk).update(status=EvalRun.Status.FAILED, finished_at=timezone.now(),
                                                 error=reason, summary=summary)
        return
    if not_asked:
        # The next slice waits its turn behind what other teams queued meanwhile.
        with transaction.atomic():
            if EvalRun.objects.filter(pk=run.pk, status=EvalRun.Status.RUNNING).update(
                    status=EvalRun.Status.QUEUED, heartbeat_at=timezone.now()):
                enqueue("evaluation.tasks.eval_run_task", run.pk, 1, name=f"eval run {run.pk} (continued)")
        return
    _judge_free_text(run)
    summary = eval_summary(run=run)
    EvalRun.objects.filter(pk=run.pk).update(status=EvalRun.Status.SUCCEEDED, finished_at=timezone.now(),
                                             accuracy=summary["accuracy"], summary=summary)


class Equivalence(BaseModel):
    correct: bool = Field(description="Does the answer mean the same as the reference answer?")
    reason: str = Field(default="", max_length=500)


def _judge_free_text(run: EvalRun) -> None:
    """Free-text answers matching no accepted answer go to the LLM judge (role judge), when one is
    configured; otherwise they stay undecided and out of the accuracy."""
    undecided = list(ModelAnswer.objects.filter(run=run, method="judge", correct__isnull=True)
                     .select_related("sample"))
    if not undecided or not settings.OPENAI_BASE_URL:
        return
    judge_run_row = AgentRun.objects.create(team_id=run.team_id, kind=AgentRun.Kind.JUDGE, version_id=run.version_id,
                                            engine=Engine.LLM, status=AgentRun.Status.RUNNING, stage="free-text",
                                            progress_total=len(undecided))
    client = llm_client_for_run(run=judge_run_row)
    decided, first_failure = 0, ""
    try:
        requests = [LLMRequest([{"role": "system", "content": "You decide whether a model's answer means the same as "
                                                               "the reference answer to a question."},
                                {"role": "user", "content": fence_data("question", a.sample.question) + "\n"
                                 + fence_data("reference answer", a.sample.answer) + "\n"
                                 + fence_data("model answer", a.raw)}], Equivalence, "judge", a.sample.item_key)
                    for a in undecided]
        for answer, result in zip(undecided, client.complete_many(requests, return_exceptions=True)):
            if isinstance(result, LLMError):
                first_failure = first_failure or str(result)
                continue
            ModelAnswer.objects.filter(pk=answer.pk).update(correct=result.value.correct)
            decided += 1
    finally:
        client.close()
        status = judged_status(len(undecided), len(undecided) - decided)
        AgentRun.objects.filter(pk=judge_run_row.pk).update(
            status=status, stage="done", progress_done=decided, finished_at=timezone.now(),
            error=f"The LLM judge decided none of the {len(undecided)} free-text answers: {first_failure}"
            if status == AgentRun.Status.FAILED else "")


def eval_summary(*, run: EvalRun) -> dict[str, Any]:
    """Accuracy over decided answers with a 95% bootstrap interval, per subtask too; the chance
    level; tokens and money; failed calls."""
    rows = list(ModelAnswer.objects.filter(run=run).order_by("sample_id")  # a stable order: the same interval
                .values_list("sample__subtask__key", "correct", "sample__options", "sample__answer_type",
                             "prompt_tokens", "completion_tokens", "cost", "error"))
    by_subtask: dict[str, list[bool]] = {}
    chances: dict[str, list[float]] = {}
    for subtask, correct, options, answer_type, *_ in rows:
        item = EvalItem(item_key="", subtask=subtask, question="", options=options or [], answer_type=answer_type)
        chances.setdefault(subtask, []).append(chance(item))
        if correct is not None:
            by_subtask.setdefault(subtask, []).append(correct)
    everything = [c for values in by_subtask.values() for c in values]
    all_chances = [c for values in chances.values() for c in values]
    return {
        "answered": len(rows), "decided": len(everything), "failed": sum(1 for r in rows if r[7]),
        "accuracy": round(sum(everything) / len(everything), 4) if everything else None,
        "ci95": bootstrap_ci(everything),
        "chance": round(sum(all_chances) / len(all_chances), 4) if all_chances else None,
        "subtasks": {key: {"n": len(values), "accuracy": round(sum(values) / len(values), 4),
                           "ci95": bootstrap_ci(values),
                           "chance": round(sum(chances[key]) / len(chances[key]), 4)}
                     for key, values in sorted(by_subtask.items())},
        "prompt_tokens": sum(r[4] for r in rows), "completion_tokens": sum(r[5] for r in rows),
        "money_usd": str(sum((r[6] for r in rows), Decimal(0))),
    }


# --- Direct-prompting baseline -------------------------------------------------------------------

def baseline_start(*, version: BenchmarkVersion, user) -> AgentRun:
    """Queue the paper's comparison: the LLM writes a benchmark of the same size for the same request
    directly, and the LLM judge scores it as it scores the agent's."""
    team = version.benchmark.team
    if user is not None and access_team_for_write(user=user, slug=team.slug) is None:
        raise PermissionDenied("Only owners and editors of the benchmark's team start a baseline.")
    if not settings.OPENAI_BASE_URL:
        raise ValidationError({"engine": "The direct-prompting baseline needs an LLM service (OPENAI_BASE_URL)."})
    size = Sample.objects.filter(version=version, status__in=ACCEPTED).count() or version.request.target_size
    run = AgentRun.objects.create(team=team, kind=AgentRun.Kind.BASELINE, version=version, engine=Engine.LLM,
                                  progress_total=size, stage="queued")
    enqueue("evaluation.tasks.baseline_run_task", run.pk, name=f"baseline run {run.pk}")
    return run


class _NothingWritten(Exception):
    """The baseline's calls gave no item at all."""


def baseline_run(*, run_id: int) -> None:
    """Write and judge the direct-prompting items. No item written fails the run; calls that failed,
    or items the judge left unscored, finish it as partial."""
    run = AgentRun.objects.select_related("version__request").get(pk=run_id, kind=AgentRun.Kind.BASELINE)
    now = timezone.now()
    if not AgentRun.objects.filter(pk=run_id, status__in=[AgentRun.Status.QUEUED, AgentRun.Status.RUNNING]).update(
            status=AgentRun.Status.RUNNING, stage="generating", started_at=now, heartbeat_at=now):
        return
    with Heartbeat(AgentRun, run_id):
        _baseline_run_claimed(run)


def _baseline_run_claimed(run: AgentRun) -> None:
    run_id = run.pk
    client = llm_client_for_run(run=run)
    try:
        BaselineItem.objects.filter(run=run).delete()
        results = client.complete_many(direct_requests(run.version.request.text, run.progress_total),
                                       return_exceptions=True)
        written = [item for result in results if not isinstance(result, LLMError) for item in result.value.items]
        failed = sum(isinstance(result, LLMError) for result in results)
        if not written:
            first = next((str(r) for r in results if isinstance(r, LLMError)), "the model wrote no item")
            raise _NothingWritten(f"The LLM wrote no baseline item ({failed} of {len(results)} calls failed): {first}")
        rows = BaselineItem.objects.bulk_create([BaselineItem(
            team_id=run.team_id, run=run, version_id=run.version_id, position=n, question=item.question,
            context=item.context, options=item.options, answer_index=item.answer_index,
            answer=item.options[item.answer_index] if item.answer_index < len(item.options) else "")
            for n, item in enumerate(written[:run.progress_total])])
        AgentRun.objects.filter(pk=run.pk).update(stage="judging", progress_done=len(rows))
        model = llm_config_from_settings().for_role("judge").model
        by_key = {f"baseline/{row.position}": row for row in rows}
        intent = f"Request: {run.version.request.text}"

        unscored = 0

        def store(judgement: Judgement) -> None:
            nonlocal unscored
            unscored += bool(judgement.error)
            row = by_key[judgement.item_key]
            BaselineItem.objects.filter(pk=row.pk).update(judge=judgement.judge, scores={
                d: s.model_dump() for d, s in judgement.scores.items()})

        judge_with_llm([JudgeItem(item_key=key, question=row.question, context=row.context, options=row.options,
                                  answer=row.answer, answer_index=row.answer_index, intent=intent)
                        for key, row in by_key.items()], llm=client, model=model, on_judgement=store,
                       batch_size=settings.JUDGE_BATCH_SIZE, window=4 * client.concurrency)
        short = failed or unscored
        AgentRun.objects.filter(pk=run.pk).update(status=AgentRun.Status.PARTIAL if short else AgentRun.Status.SUCCEEDED,
                                                  stage="done", finished_at=timezone.now())
        run_event(run, "baseline", f"{len(rows)} items written directly by the LLM and judged"
                  + (f"; {failed} generation calls failed" if failed else "")
                  + (f"; {unscored} items not scored by the judge" if unscored else ""),
                  level="warning" if short else "info",
                  data={"items": len(rows), "failed_calls": failed, "not_scored": unscored})
    except _NothingWritten as exc:
        AgentRun.objects.filter(pk=run.pk).update(status=AgentRun.Status.FAILED, stage="done",
                                                  finished_at=timezone.now(), error=str(exc))
        run_event(run, "failed", str(exc), level="error")
    except Exception as exc:
        logger.exception("baseline run %s failed", run_id)
        AgentRun.objects.filter(pk=run.pk).update(status=AgentRun.Status.FAILED, stage="done",
                                                  finished_at=timezone.now(),
                                                  error=f"{exc}\n{traceback.format_exc(limit=5)}")
    finally:
        client.close()
