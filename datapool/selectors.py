"""Reads of the dataset pool, scoped to teams."""
from __future__ import annotations

from django.db.models import Q, QuerySet

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


def import_job_get(*, team_ids: list[int], pk: int) -> ImportJob | None:
    return ImportJob.objects.filter(team_id__in=team_ids, pk=pk).select_related("team", "dataset").first()
