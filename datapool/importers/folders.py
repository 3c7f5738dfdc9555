"""Image and audio folders, as Hugging Face's ImageFolder/AudioFolder lay them out:

- one sub-folder per class (`cats/1.png`, `dogs/7.png`): the folder name is the label;
- or a metadata file at the top (`metadata.csv` or `metadata.jsonl`) with a `file_name` column
  and text, transcript or label columns.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from datapool.importers.tabular import (
    MappingError,
    check_mapping,
    import_rows,
    table_columns,
    table_rows,
)
from datapool.importers.writer import DatasetImportReport, DatasetWriter, SourceNames, media_kind
from datapool.models import Dataset
from teams.models import Team

METADATA_FILES = ("metadata.csv", "metadata.jsonl")
# Columns that, in a metadata file, hold what the media says or shows (the answer).
ANSWER_COLUMNS = ("transcription", "transcript", "sentence", "text", "caption", "label", "answer")


def _class_rows(root: Path) -> Iterator[tuple[int, dict | None, str]]:
    number = 0
    for entry in sorted(root.rglob("*")):
        if entry.is_dir():
            continue
        relative = entry.relative_to(root).as_posix()
        if not media_kind(entry.name):
            continue
        number += 1
        if entry.is_symlink():
            yield number, None, f"{relative} is a symbolic link"
        elif len(entry.relative_to(root).parts) != 2:
            yield number, None, f"{relative} is not inside a class folder (expected <class>/<file>)"
        else:
            yield number, {"id": relative, "file_name": relative, "label": entry.parent.name}, ""


def folder_layout(root: Path) -> str:
    """'metadata' or 'classes' (or '' when the folder is neither)."""
    if any((root / name).is_file() for name in METADATA_FILES):
        return "metadata"
    if any(child.is_dir() and any(media_kind(f.name) for f in child.iterdir()) for child in root.iterdir()):
        return "classes"
    return ""


def dataset_import_folder(*, team: Team, root: Path, name: str = "", license: str = "", slug: str = "",
                          mapping: dict[str, str] | None = None, names: SourceNames = SourceNames(),
                          on_progress: Callable[[int], None] | None = None) -> DatasetImportReport:
    """Import an image or audio folder (class sub-folders, or a metadata file). Idempotent. `names`
    says how its files are named in the report (an upload: by their paths inside the archive)."""
    name = name or root.name
    layout = folder_layout(root) if root.is_dir() else ""
    if not layout:
        return DatasetImportReport(dataset=name, source=names.source(root), error=(
            f"{names.name(root)}: neither a metadata file ({' or '.join(METADATA_FILES)}) nor class sub-folders of "
            f"images or audio"))
    if layout == "metadata":
        metadata = next(root / n for n in METADATA_FILES if (root / n).is_file())
        mapping = dict(mapping or {})
        try:
            columns = table_columns(metadata)
            if "file_name" not in columns:
                raise MappingError(f"no file_name column; columns: {', '.join(columns)}")
            check_mapping(mapping, columns)
        except MappingError as exc:
            return DatasetImportReport(dataset=name, source=names.source(metadata),
                                       error=f"{names.name(metadata)}: {exc}")
        rows = list(_peek_kind(metadata))
        kind = rows[0] if rows else "image"
        mapping.setdefault(kind, "file_name")
        mapping.setdefault("id", "file_name")
        answer = next((c for c in ANSWER_COLUMNS if c in columns), None)
        if answer and "answer" not in mapping:
            mapping["answer"] = answer
        source, row_iter = metadata, table_rows(metadata)
    else:
        mapping = {"id": "id", "answer": "label", **(mapping or {})}
        kind = _first_kind(root)
        mapping.setdefault(kind, "file_name")
        source, row_iter = root, None
    source_format = Dataset.SourceFormat.AUDIO_FOLDER if kind == "audio" else Dataset.SourceFormat.IMAGE_FOLDER
    writer = DatasetWriter(team=team, name=name, source_format=source_format, source=names.source(source),
                           source_name=names.name(source), mapping={role: column for role, column in mapping.items() if role != "id"},
                           license=license, slug=slug, on_progress=on_progress)
    if row_iter is None:
        row_iter = _class_rows(root)
    return import_rows(writer=writer, rows=row_iter, mapping=mapping, base_dir=root)


def _first_kind(root: Path) -> str:
    for entry in sorted(root.rglob("*")):
        kind = media_kind(entry.name)
        if kind:
            return kind
    return "image"


def _peek_kind(metadata: Path) -> Iterator[str]:
    for _number, row, _problem in table_rows(metadata):
        if row and isinstance(row.get("file_name"), str):
            kind = media_kind(row["file_name"])
            if kind:
                yield kind
                return
