"""General-Bench importer: a dataset JSON ({task, type, modality, data: [{id, input, output}]}),
with its card JSON (dataset_cards/<id>_card.json, as the seed pool ships them) or without one
(then the card is profiled from the records).

The file is streamed twice: once to check it is well-formed UTF-8 JSON with a `data` list (a
broken file writes nothing), once to import its records through the DatasetWriter. Media files
the records name are looked up inside the dataset's own folder only.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ijson

from datapool.importers.writer import (
    DatasetImportReport,
    DatasetWriter,
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


def check_general_bench_file(json_path: Path) -> str:
    """Empty when the file is well-formed UTF-8 JSON whose top level holds a `data` list; else why not."""
    problem = utf8_problem(json_path) if json_path.is_file() else f"cannot read {json_path.name}: no such file"
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
        return f"{json_path.name} is not valid JSON: {_json_error_detail(json_path, exc)}"
    except OSError as exc:
        return f"cannot read {json_path.name}: {exc.strerror}"
    if not has_data:
        return f"{json_path.name} is not a General-Bench file: it needs a top-level object with a 'data' list"
    return ""


def dataset_import_general_bench(*, team: Team, json_path: Path, card: dict[str, Any] | None,
                                 pool_datasets_dir: Path | None = None, slug: str = "", name: str = "",
                                 on_progress: Callable[[int], None] | None = None) -> DatasetImportReport:
    """Import one General-Bench dataset file (and its card, when there is one). Idempotent."""
    folder = json_path.parent.parent if json_path.parent.name in {"json", "annotations"} else json_path.parent
    name = str((card or {}).get("name") or name or folder.name)
    problem = check_general_bench_file(json_path)
    if problem:
        return DatasetImportReport(dataset=name, source=str(json_path), error=problem)
    dataset_root = _dataset_root(json_path, pool_datasets_dir)
    writer = DatasetWriter(team=team, name=name, source_format=Dataset.SourceFormat.GENERAL_BENCH,
                           source=str(json_path), card=card or None, slug=slug, on_progress=on_progress)
    with json_path.open("rb") as handle:
        for position, record in enumerate(ijson.items(handle, "data.item", use_float=True)):
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


def pool_import_general_bench(*, team: Team, pool_dir: Path) -> list[DatasetImportReport]:
    """Import every dataset of a General-Bench pool folder (dataset_cards/ + datasets/)."""
    cards_dir, datasets_dir = pool_dir / "dataset_cards", pool_dir / "datasets"
    if not cards_dir.is_dir() or not datasets_dir.is_dir():
        raise ImportError_(f"{pool_dir} is not a General-Bench pool: it needs dataset_cards/ and datasets/")
    reports = []
    for card_path in sorted(cards_dir.glob("*_card.json")):
        try:
            card = json.loads(card_path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            reports.append(DatasetImportReport(dataset=card_path.name, source=str(card_path),
                                               error=f"card is not valid JSON: {exc}"))
            continue
        source = str((card.get("raw_meta") or {}).get("source_json") or "")
        relative = source.removeprefix("data/").removeprefix("datasets/")
        json_path = (datasets_dir / relative).resolve() if relative else None
        if not json_path or not json_path.is_relative_to(datasets_dir.resolve()) or not json_path.is_file():
            reports.append(DatasetImportReport(dataset=str(card.get("name", card_path.name)), source=source,
                                               error=f"the card's source file {source!r} is not in {datasets_dir}"))
            continue
        reports.append(dataset_import_general_bench(team=team, json_path=json_path, card=card,
                                                    pool_datasets_dir=datasets_dir))
    return reports
