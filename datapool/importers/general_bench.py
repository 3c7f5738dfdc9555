"""General-Bench importer: a dataset JSON ({task, type, modality, data: [{id, input, output}]}),
with its card JSON (dataset_cards/<id>_card.json, as the seed pool ships them) or without one
(then the card is profiled from the records).

The file is streamed twice: once to check it is well-formed UTF-8 JSON with a `data` list (a
broken file writes nothing), once to import its records through the DatasetWriter; a record over
the row limit (BENCH_MAX_ROW_BYTES) is a bad row, dropped while it is read. Media files the
records name are looked up inside the dataset's own folder only.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ijson
from django.conf import settings

from datapool.importers.rows import general_bench_items, too_long
from datapool.importers.writer import (
    DatasetImportReport,
    DatasetWriter,
    SourceNames,
    media_kind,
    resolve_inside,
    utf8_problem,
)
from datapool.models import Dataset
from teams.models import Team

__all__ = ["DatasetImportReport", "ImportError_", "dataset_import_general_bench", "pool_import_general_bench"]


class ImportError_(ValueError):
    """The whole source cannot be imported; nothing was written."""


def _media_fields(node: Any, prefix: str = "") -> list[tuple[str, str]]:
    """(json path, value) of every string in the record that names a media file."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _media_fields(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(node, str) and len(node) < 500 and media_kind(node):
        found.append((prefix, node))
    return found


def _dataset_root(json_path: Path, pool_datasets_dir: Path | None) -> Path:
    """The dataset's own folder: datasets/<modality>/<Name>/ in a General-Bench pool."""
    if pool_datasets_dir:
        try:
            relative = json_path.resolve().relative_to(pool_datasets_dir.resolve())
            if len(relative.parts) >= 3:
                return pool_datasets_dir.resolve() / relative.parts[0] / relative.parts[1]
        except ValueError:
            pass
    parent = json_path.parent
    return parent.parent if parent.name in {"json", "annotations"} else parent


def _json_error_detail(json_path: Path, exc: Exception) -> str:
    """Where the JSON breaks: line and column for a file small enough to re-read, else the parser's word."""
    if json_path.stat().st_size <= 50 * 1024 * 1024:
        try:
            json.loads(json_path.read_bytes())
        except json.JSONDecodeError as precise:
            return f"{precise.msg} at line {precise.lineno} column {precise.colno}"
        except ValueError:
            pass
    return str(exc).strip().splitlines()[0]


def check_general_bench_file(json_path: Path, *, name: str = "") -> str:
    """Empty when the file is well-formed UTF-8 JSON whose top level holds a `data` list; else why not.
    `name` is how the file is named in the message (its own name by default)."""
    name = name or json_path.name
    problem = utf8_problem(json_path, name=name) if json_path.is_file() else f"cannot read {name}: no such file"
    if problem:
        return problem
    has_data = False
    try:
        with json_path.open("rb") as handle:
            for prefix, event, _value in ijson.parse(handle):
                if prefix == "data" and event == "start_array":
                    has_data = True
                elif prefix == "" and event in ("start_array", "string", "number", "boolean", "null"):
                    break
    except ijson.JSONError as exc:
        return f"{name} is not valid JSON: {_json_error_detail(json_path, exc)}"
    except OSError as exc:
        return f"cannot read {name}: {exc.strerror}"
    if not has_data:
        return f"{name} is not a General-Bench file: it needs a top-level object with a 'data' list"
    return ""


def dataset_import_general_bench(*, team: Team, json_path: Path, card: dict[str, Any] | None,
                                 pool_datasets_dir: Path | None = None, slug: str = "", name: str = "",
                                 names: SourceNames = SourceNames(),
                                 on_progress: Callable[[int], None] | None = None) -> DatasetImportReport:
    """Import one General-Bench dataset file (and its card, when there is one). Idempotent. `names`
    says how the file is named in the report (an upload: by its path inside the user's archive)."""
    folder = json_path.parent.parent if json_path.parent.name in {"json", "annotations"} else json_path.parent
    name = str((card or {}).get("name") or name or folder.name)
    source, shown = names.source(json_path), names.name(json_path)
    problem = check_general_bench_file(json_path, name=shown)
    if problem:
        return DatasetImportReport(dataset=name, source=source, error=problem)
    dataset_root = _dataset_root(json_path, pool_datasets_dir)
    writer = DatasetWriter(team=team, name=name, source_format=Dataset.SourceFormat.GENERAL_BENCH,
                           source=source, source_name=shown, card=card or None, slug=slug, on_progress=on_progress)
    limit = settings.BENCH_MAX_ROW_BYTES
    with json_path.open("rb") as handle:
        for position, record, size in general_bench_items(handle, limit):
            if size > limit:
                writer.bad(position, too_long(f"record {position}", size, limit))
                continue
            if not isinstance(record, dict):
                writer.bad(position, "record is not a JSON object")
                continue
            media = []
            for path, value in _media_fields({k: v for k, v in record.items() if k != "id"}):
                resolved = resolve_inside(dataset_root, value, "images", "audio")
                if resolved is None:
                    resolved = resolve_inside(json_path.parent, value)
                media.append((path, resolved, value))
            writer.add(row=position, source_id=record.get("id"), payload=record, media=media)
    return writer.finish()


def pool_import_general_bench(*, team: Team, pool_dir: Path,
                              names: SourceNames = SourceNames()) -> list[DatasetImportReport]:
    """Import every dataset of a General-Bench pool folder (dataset_cards/ + datasets/)."""
    cards_dir, datasets_dir = pool_dir / "dataset_cards", pool_dir / "datasets"
    if not cards_dir.is_dir() or not datasets_dir.is_dir():
        raise ImportError_(f"{names.source(pool_dir)} is not a General-Bench pool: it needs dataset_cards/ and datasets/")
    reports = []
    for card_path in sorted(cards_dir.glob("*_card.json")):
        if card_path.stat().st_size > settings.BENCH_MAX_ROW_BYTES:
            reports.append(DatasetImportReport(dataset=card_path.name, source=names.source(card_path), error=too_long(
                f"the card {names.name(card_path)}", card_path.stat().st_size, settings.BENCH_MAX_ROW_BYTES)))
            continue
        try:
            card = json.loads(card_path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            reports.append(DatasetImportReport(dataset=card_path.name, source=names.source(card_path),
                                               error=f"card is not valid JSON: {exc}"))
            continue
        if not isinstance(card, dict) or not isinstance(card.get("raw_meta") or {}, dict):
            reports.append(DatasetImportReport(dataset=card_path.name, source=names.source(card_path),
                                               error="card is not a JSON object with a raw_meta object"))
            continue
        source = str((card.get("raw_meta") or {}).get("source_json") or "")[:300]
        relative = source.removeprefix("data/").removeprefix("datasets/")
        json_path = (datasets_dir / relative).resolve() if relative else None
        if not json_path or not json_path.is_relative_to(datasets_dir.resolve()) or not json_path.is_file():
            reports.append(DatasetImportReport(dataset=str(card.get("name", card_path.name)), source=source,
                                               error=f"the card's source file {source!r} is not in "
                                                     f"{names.source(datasets_dir)}"))
            continue
        reports.append(dataset_import_general_bench(team=team, json_path=json_path, card=card,
                                                    pool_datasets_dir=datasets_dir, names=names))
    return reports
