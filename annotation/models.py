"""Human review of samples (Label Studio sync comes in a later issue)."""
from __future__ import annotations

from django.db import models

from benchmarks.models import Sample
from teams.models import Team


class HumanReview(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="human_reviews")
    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="human_reviews")
    annotator = models.CharField(max_length=200)
    accepted = models.BooleanField()
    reasons = models.JSONField(default=list, blank=True)
    intent_alignment = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    lead_time_seconds = models.FloatField(null=True, blank=True)
    external_id = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
