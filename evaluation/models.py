"""Judge scores of samples, and model evaluations (model endpoints, runs, answers)."""
from __future__ import annotations

from django.db import models

from common.encryption import SecretField

from benchmarks.models import AgentRun, BenchmarkVersion, Sample
from teams.models import Team


class JudgeScore(models.Model):
    class Dimension(models.TextChoices):
        UIA = "UIA", "User-intention alignment"
        FSQ = "FSQ", "Format & schema quality"
        QAC = "QAC", "Question-answer coherence"
        CQC = "CQC", "Context-question correspondence"
        TSD = "TSD", "Target-signal dependency"
        SSC = "SSC", "Skill-specific challenge"
        OVERALL = "Overall", "Overall"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="judge_scores")
    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="judge_scores")
    run = models.ForeignKey(AgentRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="judge_scores")
    dimension = models.CharField(max_length=16, choices=Dimension.choices)
    # None: this judge does not score the dimension (the rules judge scores FSQ and parts of QAC and CQC only).
    score = models.FloatField(null=True, blank=True)
    rationale = models.TextField(blank=True)
    model = models.CharField(max_length=200, help_text='"rules" (the offline judge) or the LLM that judged.')
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sample", "model", "dimension"], name="judge_score_unique")]
        indexes = [models.Index(fields=["model", "dimension"])]

    def __str__(self) -> str:
        return f"{self.dimension} {self.score} by {self.model} on sample {self.sample_id}"


class ModelEndpoint(models.Model):
    """A target model: any OpenAI-compatible chat endpoint. Its API key is the team's own secret,
    stored encrypted (common.encryption), never shown again, and sent only to the origin it was
    given for (a new base URL on another origin drops it). Nothing here names anything of the
    server's environment."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="model_endpoints")
    name = models.CharField(max_length=200)
    base_url = models.URLField()
    model = models.CharField(max_length=200)
    api_key_encrypted = SecretField(blank=True, editable=False, help_text="The API key, encrypted; empty: none.")
    api_key_origin = models.CharField(max_length=300, blank=True, editable=False,
                                      help_text="The origin (scheme://host:port) the key may be sent to.")
    price_input = models.DecimalField(max_digits=10, decimal_places=4, default=0, help_text="USD per 1M input tokens.")
    price_output = models.DecimalField(max_digits=10, decimal_places=4, default=0, help_text="USD per 1M output tokens.")
    family = models.CharField(max_length=100, blank=True, help_text="Models of one family should score in scale order.")
    scale = models.FloatField(null=True, blank=True, help_text="Its size within the family (e.g. billions of parameters).")
    concurrency = models.PositiveSmallIntegerField(default=8)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="endpoint_unique_team_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def api_key_set(self) -> bool:
        return bool(self.api_key_encrypted)


class EvalRun(models.Model):
    """One target model on one benchmark version. Resumable: answers already stored are not asked again."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="eval_runs")
    version = models.ForeignKey(BenchmarkVersion, on_delete=models.CASCADE, related_name="eval_runs")
    endpoint = models.ForeignKey(ModelEndpoint, on_delete=models.CASCADE, related_name="eval_runs")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    accuracy = models.FloatField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True, help_text="Per-subtask accuracy, intervals, chance, costs.")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.endpoint} on {self.version} ({self.status})"


class ModelAnswer(models.Model):
    run = models.ForeignKey(EvalRun, on_delete=models.CASCADE, related_name="answers")
    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="model_answers")
    raw = models.TextField(blank=True)
    parsed = models.TextField(blank=True)
    # None: undecided (free text the judge could not rule on) or the call failed (see error).
    correct = models.BooleanField(null=True)
    method = models.CharField(max_length=16, blank=True, help_text="letter, exact, accepted, judge or error.")
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "sample"], name="answer_unique_run_sample")]


class BaselineItem(models.Model):
    """An item of the direct-prompting baseline of a version: what the LLM wrote when asked for the
    benchmark outright (no grounding in a dataset, no verification), with its judge scores. Kept apart
    from samples: it is a comparison, never part of a benchmark."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="baseline_items")
    run = models.ForeignKey(AgentRun, on_delete=models.CASCADE, related_name="baseline_items")
    version = models.ForeignKey(BenchmarkVersion, on_delete=models.CASCADE, related_name="baseline_items")
    position = models.PositiveIntegerField()
    question = models.TextField()
    context = models.TextField(blank=True)
    options = models.JSONField(default=list, blank=True)
    answer = models.TextField(blank=True)
    answer_index = models.IntegerField(null=True, blank=True)
    scores = models.JSONField(default=dict, blank=True, help_text="dimension -> {score, rationale}, by the LLM judge.")
    judge = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run_id", "position"]
        constraints = [models.UniqueConstraint(fields=["run", "position"], name="baseline_item_unique_position")]
