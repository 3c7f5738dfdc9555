"""Reads of the dataset pool, scoped to teams."""
from __future__ import annotations

from django.db.models import Q, QuerySet

from common.text import preview_json
from datapool.models import Dataset, DatasetRecord, ImportJob


def dataset_list(*, team_ids: list[int]) -> QuerySet[Dataset]:
    """Datasets the teams may use: their own, and those an admin shared platform-wide."""
    return Dataset.objects.filter(Q(team_id__in=team_ids) | Q(is_shared=True)).select_related("card", "team")


def record_ids_for_dataset(*, dataset_id: int) -> list[int]:
    return list(DatasetRecord.objects.filter(dataset_id=dataset_id).order_by("position").values_list("id", flat=True))


def record_list(*, dataset_id: int, record_ids: list[int] | None = None) -> QuerySet[DatasetRecord]:
    records = DatasetRecord.objects.filter(dataset_id=dataset_id).order_by("position")
    if record_ids is not None:
        records = records.filter(id__in=record_ids)
    return records


def record_preview_list(*, dataset_id: int, count: int) -> list[tuple[DatasetRecord, str]]:
    """The dataset's first records, each with its payload as indented JSON whose long strings and
    lists are clipped (common.text.clip_json): a page never carries a whole 40 MB field."""
    return [(record, preview_json(record.payload)) for record in record_list(dataset_id=dataset_id)[:count]]


def import_job_get(*, team_ids: list[int], pk: int) -> ImportJob | None:
    return ImportJob.objects.filter(team_id__in=team_ids, pk=pk).select_related("team", "dataset").first()
