"""The dataset pool: datasets, their cards (General-Bench card shape) and their records."""
from __future__ import annotations

from django.db import models

from teams.models import Team


class Dataset(models.Model):
    class SourceFormat(models.TextChoices):
        GENERAL_BENCH = "general-bench", "General-Bench JSON"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="datasets")
    slug = models.SlugField(max_length=120)
    name = models.CharField(max_length=200)
    # Identifier the source gives the dataset (the General-Bench card's dataset_id).
    source_id = models.CharField(max_length=64, blank=True)
    source_format = models.CharField(max_length=32, choices=SourceFormat.choices)
    source_path = models.CharField(max_length=500, blank=True, help_text="Where it was imported from.")
    modalities = models.JSONField(default=list, help_text='Input modalities, e.g. ["image", "text"].')
    license = models.CharField(max_length=200, blank=True)
    size_declared = models.PositiveIntegerField(default=0, help_text="Size the card claims.")
    record_count = models.PositiveIntegerField(default=0, help_text="Records actually imported.")
    import_report = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["team", "slug"], name="dataset_unique_team_slug")]

    def __str__(self) -> str:
        return self.name


class DatasetCard(models.Model):
    """The dataset's card; `fields` maps each field role to JSON paths (General-Bench `meta.fields`)."""

    dataset = models.OneToOneField(Dataset, on_delete=models.CASCADE, related_name="card")
    description = models.TextField(blank=True)
    card_text = models.TextField(blank=True)
    tasks = models.JSONField(default=list, blank=True)
    domain = models.CharField(max_length=300, blank=True)
    io_schemas = models.JSONField(default=list, blank=True)
    fields = models.JSONField(default=dict, blank=True)
    raw = models.JSONField(default=dict, blank=True, help_text="The card as imported.")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"card of {self.dataset}"


class DatasetRecord(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="records")
    source_id = models.CharField(max_length=200)
    position = models.PositiveIntegerField(help_text="Index of the record in its source file.")
    payload = models.JSONField(help_text="The record as the source gives it.")
    # [{"path": "input.image_file", "file": "pool/<team>/<dataset>/x.jpg", "kind": "image", "sha256": ...}]
    media = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["dataset_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "source_id"], name="record_unique_dataset_source_id"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset.slug}:{self.source_id}"
