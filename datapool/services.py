"""Writes of the dataset pool."""
from __future__ import annotations

from pathlib import Path

from datapool.importers.general_bench import DatasetImportReport, pool_import_general_bench
from teams.models import Team


def pool_import(*, team: Team, pool_dir: Path) -> list[DatasetImportReport]:
    """Import a General-Bench pool folder into the team's pool (idempotent)."""
    return pool_import_general_bench(team=team, pool_dir=pool_dir)
