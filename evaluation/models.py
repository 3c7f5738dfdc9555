"""Judge scores of samples, and model evaluations (model endpoints, runs, answers)."""
from __future__ import annotations

from django.db import models

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
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="model_endpoints")
    name = models.CharField(max_length=200)
    base_url = models.URLField()
    model = models.CharField(max_length=200)
    # The API key is never stored here: it names an environment variable.
    api_key_env = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)


class EvalRun(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="eval_runs")
    version = models.ForeignKey(BenchmarkVersion, on_delete=models.CASCADE, related_name="eval_runs")
    endpoint = models.ForeignKey(ModelEndpoint, on_delete=models.CASCADE, related_name="eval_runs")
    status = models.CharField(max_length=16, default="queued")
    accuracy = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)


class ModelAnswer(models.Model):
    run = models.ForeignKey(EvalRun, on_delete=models.CASCADE, related_name="answers")
    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="model_answers")
    raw = models.TextField(blank=True)
    parsed = models.TextField(blank=True)
    correct = models.BooleanField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
