"""Benchmarks and everything a build makes: requests, specs, subtasks, groundings, samples,
media, agent runs with their event logs, and the ledger of LLM and tool calls."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from datapool.models import Dataset, DatasetRecord
from teams.models import Team


class Engine(models.TextChoices):
    OFFLINE = "offline", "Offline engine (deterministic, no LLM)"
    LLM = "llm", "LLM"


class Benchmark(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="benchmarks")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["team", "slug"], name="benchmark_unique_team_slug")]

    def __str__(self) -> str:
        return self.name


class BenchmarkRequest(models.Model):
    """What a team asked for, in its own words."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="requests")
    benchmark = models.ForeignKey(Benchmark, on_delete=models.CASCADE, related_name="requests")
    text = models.TextField()
    target_size = models.PositiveIntegerField()
    modalities = models.JSONField(default=list, blank=True, help_text="Requested; empty means inferred.")
    budget_tokens = models.PositiveBigIntegerField(null=True, blank=True)
    budget_money = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    seed = models.PositiveIntegerField(default=0)
    source_ref = models.CharField(max_length=200, blank=True, help_text="e.g. the example request id it came from.")
    auto_approve = models.BooleanField(
        default=False, help_text="Build straight after planning; otherwise the spec waits for an owner's approval.")
    scope = models.JSONField(default=dict, blank=True, help_text="The parsed request (topic, keywords, ...).")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.text[:60]


class BenchmarkVersion(models.Model):
    benchmark = models.ForeignKey(Benchmark, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    request = models.ForeignKey(BenchmarkRequest, on_delete=models.PROTECT, related_name="versions")
    frozen = models.BooleanField(default=False)
    checksum = models.CharField(max_length=64, blank=True)
    refreshed_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="refreshes",
                                       help_text="A refresh: the same spec, from source records no earlier version used.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["benchmark_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["benchmark", "number"], name="version_unique_benchmark_number"),
        ]

    def __str__(self) -> str:
        return f"{self.benchmark} v{self.number}"


class Spec(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"

    version = models.OneToOneField(BenchmarkVersion, on_delete=models.CASCADE, related_name="spec")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    engine = models.CharField(max_length=16, choices=Engine.choices)
    # ok / design-not-stable / ungroundable / allocation-gap
    end_state = models.CharField(max_length=32, blank=True)
    scope = models.JSONField(default=dict, blank=True)
    trace = models.JSONField(default=list, blank=True, help_text="Every planning step, for audit.")
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"spec of {self.version}"


class Subtask(models.Model):
    class AnswerType(models.TextChoices):
        BINARY = "binary", "Binary"
        CHOICE = "choice", "Multiple choice"
        LABEL = "label", "Label"
        SPAN = "span", "Span"
        FREE_TEXT = "free_text", "Free text"

    spec = models.ForeignKey(Spec, on_delete=models.CASCADE, related_name="subtasks")
    key = models.SlugField(max_length=80)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    answer_type = models.CharField(max_length=16, choices=AnswerType.choices, default=AnswerType.CHOICE)
    modalities = models.JSONField(default=list)
    keywords = models.JSONField(default=list, blank=True)
    sample_schema = models.JSONField(default=dict, blank=True)
    importance = models.FloatField(default=1.0)
    quota = models.PositiveIntegerField(default=0)
    dropped = models.BooleanField(default=False, help_text="Dropped in review: quota 0, never executed.")
    position = models.PositiveIntegerField(default=0)
    rationale = models.TextField(blank=True, help_text="Why Design proposed it.")

    class Meta:
        ordering = ["spec_id", "position"]
        constraints = [models.UniqueConstraint(fields=["spec", "key"], name="subtask_unique_spec_key")]

    def __str__(self) -> str:
        return self.name


class Grounding(models.Model):
    """One (subtask, dataset, transformation plan, quota) cell of a spec."""

    subtask = models.ForeignKey(Subtask, on_delete=models.CASCADE, related_name="groundings")
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="groundings")
    plan = models.JSONField(default=dict, help_text="Ordered operators, each naming what it reads and writes.")
    scores = models.JSONField(default=dict, blank=True)
    quota = models.PositiveIntegerField(default=0)
    capacity = models.PositiveIntegerField(default=0, help_text="Usable records, measured.")
    synthesis = models.CharField(max_length=16, blank=True, help_text='How media are made from text: "speech" (a dialogue spoken), "render" (a passage '
                                           'as a page image), "spoken_question" (the question spoken).')
    rationale = models.TextField(blank=True, help_text="The grounding judge's reason.")

    class Meta:
        ordering = ["subtask_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["subtask", "dataset"], name="grounding_unique_subtask_dataset"),
        ]

    def __str__(self) -> str:
        return f"{self.subtask.key} <- {self.dataset.slug}"


class MediaAsset(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", "Image"
        AUDIO = "audio", "Audio"

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="media_assets")
    file = models.CharField(max_length=500, help_text="Path under MEDIA_ROOT.")
    sha256 = models.CharField(max_length=64)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    mime = models.CharField(max_length=100, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    derived_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "sha256"], name="media_unique_team_sha256")]

    def __str__(self) -> str:
        return f"{self.kind} {self.sha256[:12]}"


class Sample(models.Model):
    class Status(models.TextChoices):
        OK = "ok", "OK"
        REPAIRED = "repaired", "Repaired"
        REJECTED = "rejected", "Rejected"

    version = models.ForeignKey(BenchmarkVersion, on_delete=models.CASCADE, related_name="samples")
    subtask = models.ForeignKey(Subtask, on_delete=models.CASCADE, related_name="samples")
    grounding = models.ForeignKey(Grounding, on_delete=models.CASCADE, related_name="samples")
    source_record = models.ForeignKey(DatasetRecord, on_delete=models.PROTECT, related_name="samples")
    # Deterministic key of (subtask, dataset, record): a re-run of a cell never makes a second sample.
    item_key = models.CharField(max_length=255)
    question = models.TextField()
    context = models.TextField(blank=True)
    options = models.JSONField(default=list, blank=True)
    answer = models.TextField()
    answer_index = models.IntegerField(null=True, blank=True)
    accepted_answers = models.JSONField(default=list, blank=True)
    answer_type = models.CharField(max_length=16, choices=Subtask.AnswerType.choices)
    media = models.ManyToManyField(MediaAsset, blank=True, related_name="samples")
    engine = models.CharField(max_length=16, choices=Engine.choices)
    provenance = models.JSONField(default=dict, help_text="Source record, operator chain, tool versions.")
    verification = models.JSONField(default=dict, help_text="Checks run and their outcome.")
    status = models.CharField(max_length=16, choices=Status.choices)
    fingerprint = models.BinaryField(blank=True, default=b"", editable=False,
                                     help_text="Text embedding (float32), for near-duplicate checks.")
    dedup_key = models.CharField(max_length=64, blank=True, help_text="Question + media identity hash.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["version_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "item_key"], name="sample_unique_version_item_key"),
        ]
        indexes = [models.Index(fields=["version", "status"]), models.Index(fields=["subtask", "status"])]

    def __str__(self) -> str:
        return self.item_key


class AgentRun(models.Model):
    """A job's state lives here, not in the queue's tables."""

    class Kind(models.TextChoices):
        BUILD = "build", "Build (plan, then cells)"
        CELL = "cell", "Execution cell"
        JUDGE = "judge", "Judge (scores a version's samples)"
        BASELINE = "baseline", "Direct-prompting baseline"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        BUDGET_EXHAUSTED = "budget_exhausted", "Stopped: budget spent"

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.BUDGET_EXHAUSTED)

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="runs")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    version = models.ForeignKey(BenchmarkVersion, on_delete=models.CASCADE, related_name="runs")
    grounding = models.ForeignKey(Grounding, null=True, blank=True, on_delete=models.CASCADE, related_name="runs")
    engine = models.CharField(max_length=16, choices=Engine.choices)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=32, blank=True, help_text="e.g. planning, executing, done.")
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    # A cell run realises one share of a grounding: records at draw positions shard, shard + shards, ...
    shard = models.PositiveSmallIntegerField(default=0)
    shards = models.PositiveSmallIntegerField(default=1, help_text="How many cell runs share the grounding.")
    quota = models.PositiveIntegerField(default=0, help_text="Samples this cell run is to make.")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True,
                                        help_text="Last sign of life of the worker running it (start, each sample).")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"{self.kind} run {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


class AgentRunEvent(models.Model):
    class Level(models.TextChoices):
        INFO = "info", "Info"
        WARNING = "warning", "Warning"
        ERROR = "error", "Error"

    run = models.ForeignKey(AgentRun, on_delete=models.CASCADE, related_name="events")
    level = models.CharField(max_length=16, choices=Level.choices, default=Level.INFO)
    kind = models.CharField(max_length=64)
    message = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run_id", "id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.message[:60]}"


class LLMCall(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="llm_calls")
    run = models.ForeignKey(AgentRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="llm_calls")
    sample = models.ForeignKey(Sample, null=True, blank=True, on_delete=models.SET_NULL, related_name="llm_calls")
    # The sample the call was made for, linked to `sample` once that sample is saved (as for tool calls).
    item_key = models.CharField(max_length=255, blank=True)
    role = models.CharField(max_length=64)
    model = models.CharField(max_length=200)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    cached = models.BooleanField(default=False)
    request = models.JSONField(default=dict, blank=True)
    response = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]


class LLMCacheEntry(models.Model):
    """One cached LLM answer, addressed by the sha256 of model, messages, schema and temperature
    (agents.llm.cache.cache_key): a re-run of the same call is answered from here at no cost.
    Entries belong to a team: one team's answers never serve another's calls."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="llm_cache_entries")
    key = models.CharField(max_length=64)
    model = models.CharField(max_length=200, blank=True)
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "key"], name="llm_cache_unique_team_key")]

    def __str__(self) -> str:
        return f"{self.model} {self.key[:12]}"


class ToolCall(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="tool_calls")
    run = models.ForeignKey(AgentRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="tool_calls")
    sample = models.ForeignKey(Sample, null=True, blank=True, on_delete=models.SET_NULL, related_name="tool_calls")
    item_key = models.CharField(max_length=255, blank=True)
    tool = models.CharField(max_length=64)
    tool_version = models.CharField(max_length=64, blank=True)
    ok = models.BooleanField(default=True)
    latency_ms = models.PositiveIntegerField(default=0)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]


class VersionExport(models.Model):
    """A frozen version written in one export format: a zip under MEDIA_ROOT/exports, served only to
    the team (never from a public URL)."""

    class Format(models.TextChoices):
        JSONL = "jsonl", "JSONL (items, media files)"
        HF = "hf", "Hugging Face dataset (Parquet + dataset card)"
        INSPECT = "inspect", "Inspect AI dataset + task file"
        LM_EVAL = "lm_eval", "lm-evaluation-harness task (YAML + local JSONL)"
        LMMS_EVAL = "lmms_eval", "lmms-eval task (YAML + utils + Parquet)"
        VLMEVALKIT = "vlmevalkit", "VLMEvalKit TSV (base64 images)"

    version = models.ForeignKey(BenchmarkVersion, on_delete=models.CASCADE, related_name="exports")
    format = models.CharField(max_length=16, choices=Format.choices)
    file = models.CharField(max_length=500, help_text="Path under MEDIA_ROOT.")
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveBigIntegerField(default=0)
    items = models.PositiveIntegerField(default=0)
    version_checksum = models.CharField(max_length=64, help_text="The version's checksum when it was written.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "format"], name="export_unique_version_format")]

    def __str__(self) -> str:
        return f"{self.version} as {self.format}"
