"""Benchmarks and everything a build makes: requests, specs, subtasks, groundings, samples,
media, agent runs with their event logs, and the ledger of LLM and tool calls.

A frozen version is immutable here, at the model layer, whatever path a write takes (a service, the
admin, a shell): its samples, their media links and the version's own content refuse save(),
delete(), queryset update()/delete(), bulk_create() and bulk_update() with FrozenVersionError. Its
samples go away only with the version itself (or its benchmark, or its team): Django's cascade from
those is the one path that deletes them, and Sample's other parents (subtask, grounding) RESTRICT a
delete that would take samples without their version. What a raw SQL write changes anyway, the
checksum (benchmarks.freezing) detects.
"""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from benchmarks.errors import FrozenVersionError
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


def _frozen_names(versions) -> str:
    return ", ".join(str(v) for v in versions.select_related("benchmark").order_by("pk")[:3])


# The content of a version: once frozen, none of these changes (freezing itself sets the last three).
VERSION_CONTENT_FIELDS = ("benchmark_id", "number", "request_id", "frozen", "checksum", "checksum_scheme")


def _attnames(model, names) -> set[str]:
    return {model._meta.get_field(name).attname for name in names}


class BenchmarkVersionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if _attnames(self.model, kwargs) & set(VERSION_CONTENT_FIELDS):
            frozen = self.filter(frozen=True)
            if frozen.exists():
                raise FrozenVersionError(f"{_frozen_names(frozen)} is frozen: its number, request and checksum "
                                         "do not change.")
            # Filtered again in the UPDATE itself: a version frozen since the check is left alone.
            return super(BenchmarkVersionQuerySet, self.filter(frozen=False)).update(**kwargs)
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, batch_size=None):
        objs = list(objs)
        if _attnames(self.model, fields) & set(VERSION_CONTENT_FIELDS):
            frozen = self.model.objects.filter(pk__in=[o.pk for o in objs], frozen=True)
            if frozen.exists():
                raise FrozenVersionError(f"{_frozen_names(frozen)} is frozen: its number, request and checksum "
                                         "do not change.")
        return super().bulk_update(objs, fields, batch_size=batch_size)


class BenchmarkVersion(models.Model):
    class ChecksumScheme(models.IntegerChoices):
        # Kept so that versions frozen under it still verify; it hashes fewer fields than v2.
        V1 = 1, "v1: item key, question, options, answer"
        V2 = 2, "v2: every exported field of each item and its media's sha256"

    benchmark = models.ForeignKey(Benchmark, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    # RESTRICT, not PROTECT: a request goes with its benchmark, and with the versions built from it.
    request = models.ForeignKey(BenchmarkRequest, on_delete=models.RESTRICT, related_name="versions")
    frozen = models.BooleanField(default=False)
    checksum = models.CharField(max_length=64, blank=True)
    checksum_scheme = models.PositiveSmallIntegerField(
        choices=ChecksumScheme.choices, default=ChecksumScheme.V2,
        help_text="What the checksum hashes; a frozen version is verified with the scheme it was frozen with.")
    refreshed_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="refreshes",
                                       help_text="A refresh: the same spec, from source records no earlier version used.")
    baselines = models.JSONField(default=dict, blank=True, help_text=(
        "Baselines that must score at chance, measured when the build finished: odd_one_out (the option least "
        "like the others, without the question)."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["benchmark_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["benchmark", "number"], name="version_unique_benchmark_number"),
        ]

    objects = BenchmarkVersionQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.benchmark} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            fields = VERSION_CONTENT_FIELDS
            if kwargs.get("update_fields") is not None:
                fields = tuple(_attnames(type(self), kwargs["update_fields"]) & set(fields))
            stored = type(self)._base_manager.filter(pk=self.pk, frozen=True).values(*fields).first() if fields else None
            if stored is not None and any(stored[name] != getattr(self, name) for name in fields):
                raise FrozenVersionError(f"{self} is frozen: its number, request and checksum do not change.")
        super().save(*args, **kwargs)


class Spec(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"

    version = models.OneToOneField(BenchmarkVersion, on_delete=models.CASCADE, related_name="spec")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    engine = models.CharField(max_length=16, choices=Engine.choices)
    # ok (every ask served in full) / partial / ungroundable / unclear-request / design-not-stable /
    # allocation-gap / budget-exhausted
    end_state = models.CharField(max_length=32, blank=True)
    scope = models.JSONField(default=dict, blank=True, help_text="The request's analysis, asks included.")
    coverage = models.JSONField(default=list, blank=True,
                                help_text="Each ask: served by which subtasks, datasets, operators and samples, or why not.")
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
    # RESTRICT: a dataset that grounded a spec stays, unless the spec goes in the same delete (its team).
    dataset = models.ForeignKey(Dataset, on_delete=models.RESTRICT, related_name="groundings")
    plan = models.JSONField(default=dict, help_text="Ordered operators, each naming what it reads and writes.")
    scores = models.JSONField(default=dict, blank=True)
    quota = models.PositiveIntegerField(default=0)
    capacity = models.PositiveIntegerField(default=0, help_text="Usable records, measured.")
    synthesis = models.CharField(max_length=16, blank=True, help_text='How media are made from text: "speech" (a dialogue spoken), "render" (a passage '
                                           'as a page image), "spoken_question" (the question spoken), "spoken_passage" '
                                           '(a passage read aloud).')
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


def frozen_versions_of(*, version_ids=(), sample_ids=()) -> models.QuerySet:
    """The frozen versions among these versions and the (stored) versions of these samples."""
    condition = Q(pk__in=[pk for pk in version_ids if pk is not None])
    sample_ids = [pk for pk in sample_ids if pk is not None]
    if sample_ids:
        condition |= Q(samples__pk__in=sample_ids)
    return BenchmarkVersion._base_manager.filter(condition, frozen=True).distinct()


def _refuse_frozen(versions: models.QuerySet, what: str) -> None:
    if versions.exists():
        raise FrozenVersionError(f"{_frozen_names(versions)} is frozen: {what}. A frozen version's samples go "
                                 "only with the version itself.")


class SampleQuerySet(models.QuerySet):
    """Writes in bulk to samples of frozen versions raise FrozenVersionError; the rows of other
    versions are written as usual."""

    def _frozen(self) -> models.QuerySet:
        return BenchmarkVersion._base_manager.filter(pk__in=self.order_by().values("version_id"), frozen=True)

    def update(self, **kwargs):
        _refuse_frozen(self._frozen(), "its samples do not change")
        # Filtered again in the UPDATE itself: a version frozen since the check is left alone.
        return super(SampleQuerySet, self.filter(version__frozen=False)).update(**kwargs)

    def delete(self):
        _refuse_frozen(self._frozen(), "its samples are not deleted")
        return super(SampleQuerySet, self.filter(version__frozen=False)).delete()

    def bulk_update(self, objs, fields, batch_size=None):
        objs = list(objs)
        _refuse_frozen(frozen_versions_of(version_ids={o.version_id for o in objs}, sample_ids=[o.pk for o in objs]),
                       "its samples do not change")
        return super().bulk_update(objs, fields, batch_size=batch_size)

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        _refuse_frozen(frozen_versions_of(version_ids={o.version_id for o in objs}), "no sample is added to it")
        return super().bulk_create(objs, *args, **kwargs)


class Sample(models.Model):
    class Status(models.TextChoices):
        OK = "ok", "OK"
        REPAIRED = "repaired", "Repaired"
        REJECTED = "rejected", "Rejected"

    version = models.ForeignKey(BenchmarkVersion, on_delete=models.CASCADE, related_name="samples")
    # RESTRICT: deleting a subtask or grounding does not take samples with it unless their version
    # goes in the same delete; a frozen version's samples cannot be removed through a parent.
    subtask = models.ForeignKey(Subtask, on_delete=models.RESTRICT, related_name="samples")
    grounding = models.ForeignKey(Grounding, on_delete=models.RESTRICT, related_name="samples")
    # RESTRICT: a record that made a sample stays while the sample does (a team's delete takes both).
    source_record = models.ForeignKey(DatasetRecord, on_delete=models.RESTRICT, related_name="samples")
    # Deterministic key of (subtask, dataset, record): a re-run of a cell never makes a second sample.
    item_key = models.CharField(max_length=255)
    question = models.TextField()
    context = models.TextField(blank=True)
    options = models.JSONField(default=list, blank=True)
    answer = models.TextField()
    answer_index = models.IntegerField(null=True, blank=True)
    accepted_answers = models.JSONField(default=list, blank=True)
    answer_type = models.CharField(max_length=16, choices=Subtask.AnswerType.choices)
    media = models.ManyToManyField(MediaAsset, blank=True, related_name="samples", through="SampleMedia")
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

    objects = SampleQuerySet.as_manager()

    def __str__(self) -> str:
        return self.item_key

    def save(self, *args, **kwargs):
        # Both the version it is saved into and the one it is stored in (a sample moved out of a
        # frozen version changes that version too).
        _refuse_frozen(frozen_versions_of(version_ids=[self.version_id], sample_ids=[self.pk]),
                       "its samples do not change" if self.pk else "no sample is added to it")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse_frozen(frozen_versions_of(version_ids=[self.version_id], sample_ids=[self.pk]),
                       "its samples are not deleted")
        return super().delete(*args, **kwargs)


class SampleMediaQuerySet(models.QuerySet):
    """sample.media.add()/remove()/set()/clear() write through this queryset (bulk_create, delete):
    the media links of a frozen version's samples do not change."""

    def _frozen(self) -> models.QuerySet:
        return BenchmarkVersion._base_manager.filter(
            pk__in=Sample._base_manager.filter(pk__in=self.order_by().values("sample_id")).values("version_id"),
            frozen=True)

    def update(self, **kwargs):
        _refuse_frozen(self._frozen(), "the media of its samples do not change")
        return super(SampleMediaQuerySet, self.filter(sample__version__frozen=False)).update(**kwargs)

    def delete(self):
        _refuse_frozen(self._frozen(), "the media of its samples do not change")
        return super(SampleMediaQuerySet, self.filter(sample__version__frozen=False)).delete()

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        _refuse_frozen(frozen_versions_of(sample_ids=[o.sample_id for o in objs]),
                       "the media of its samples do not change")
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, batch_size=None):
        objs = list(objs)
        _refuse_frozen(frozen_versions_of(sample_ids=[o.sample_id for o in objs]),
                       "the media of its samples do not change")
        return super().bulk_update(objs, fields, batch_size=batch_size)


class SampleMedia(models.Model):
    """A sample's media file: the table Django made for Sample.media, declared so that its writes go
    through SampleMediaQuerySet (migration 0014 changed no table)."""

    sample = models.ForeignKey(Sample, on_delete=models.CASCADE)
    # RESTRICT: a media file shown by a sample stays while the sample does (a team's delete takes both).
    mediaasset = models.ForeignKey(MediaAsset, on_delete=models.RESTRICT)

    objects = SampleMediaQuerySet.as_manager()

    class Meta:
        db_table = "benchmarks_sample_media"
        unique_together = [("sample", "mediaasset")]

    def __str__(self) -> str:
        return f"{self.sample_id} -> {self.mediaasset_id}"

    def save(self, *args, **kwargs):
        _refuse_frozen(frozen_versions_of(sample_ids=[self.sample_id]), "the media of its samples do not change")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse_frozen(frozen_versions_of(sample_ids=[self.sample_id]), "the media of its samples do not change")
        return super().delete(*args, **kwargs)


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
        PARTIAL = "partial", "Finished short of its target"
        CANCELLED = "cancelled", "Cancelled"

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.BUDGET_EXHAUSTED, Status.PARTIAL, Status.CANCELLED)

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
