"""The dataset pool: datasets, their cards (General-Bench card shape) and their records."""
from __future__ import annotations

from django.conf import settings
from django.db import models

from teams.models import Team


class Dataset(models.Model):
    class SourceFormat(models.TextChoices):
        GENERAL_BENCH = "general-bench", "General-Bench JSON"
        JSONL = "jsonl", "JSON Lines"
        CSV = "csv", "CSV"
        PARQUET = "parquet", "Parquet"
        IMAGE_FOLDER = "image-folder", "Image folder"
        AUDIO_FOLDER = "audio-folder", "Audio folder"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="datasets")
    slug = models.SlugField(max_length=120)
    name = models.CharField(max_length=200)
    # Identifier the source gives the dataset (the General-Bench card's dataset_id).
    source_id = models.CharField(max_length=64, blank=True)
    source_format = models.CharField(max_length=32, choices=SourceFormat.choices)
    source_path = models.CharField(max_length=500, blank=True, help_text="Where it was imported from.")
    modalities = models.JSONField(default=list, help_text='Input modalities, e.g. ["image", "text"].')
    license = models.CharField(max_length=200, blank=True)
    # A shared dataset is readable by every team (set by a platform admin); it still has an owner.
    is_shared = models.BooleanField(default=False)
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
    profile = models.JSONField(default=dict, blank=True, help_text="What profiling the records measured.")
    written_by = models.CharField(max_length=32, blank=True, help_text="source / profile / llm / team")
    # The card's sentence embedding for semantic search, computed once per card text.
    embedding = models.JSONField(null=True, blank=True)
    embedding_model = models.CharField(max_length=100, blank=True)
    embedding_text_sha = models.CharField(max_length=64, blank=True)
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
    # Which import last wrote the record: a repeated id within one import is told from an update.
    import_token = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["dataset_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "source_id"], name="record_unique_dataset_source_id"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset.slug}:{self.source_id}"


class ImportJob(models.Model):
    """A dataset import running in the background (an uploaded archive, say), with its report."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="import_jobs")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    source_format = models.CharField(max_length=32, choices=Dataset.SourceFormat.choices, blank=True,
                                     help_text="Blank for an archive: its content decides.")
    upload = models.CharField(max_length=500, blank=True, help_text="The uploaded file, under UPLOAD_DIR until imported.")
    options = models.JSONField(default=dict, blank=True, help_text="Name, column mapping, licence.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    dataset = models.ForeignKey(Dataset, null=True, blank=True, on_delete=models.SET_NULL, related_name="import_jobs")
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.status})"
