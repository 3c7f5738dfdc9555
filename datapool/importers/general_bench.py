"""General-Bench importer: a dataset JSON ({task, type, modality, data: [{id, input, output}]})
plus its card JSON (dataset_cards/<id>_card.json), as the seed pool ships them.

Media files the records name are copied into the media store under pool/<team>/<dataset>/. A
record whose id is missing or repeated, or whose media file cannot be found inside the dataset's
folder, is a bad row: it is reported by index and reason, and the good rows are imported.
"""
from __future__ import annotations

import hashlib
import json
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.text import slugify

from datapool.models import Dataset, DatasetCard, DatasetRecord
from teams.models import Team

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff"}
AUDIO_SUFFIXES = {".wav", ".mp3", ".flac", ".ogg", ".m4a"}
MAX_BAD_ROWS_LISTED = 200


class ImportError_(ValueError):
    """The whole file cannot be imported; nothing was written."""


@dataclass
class DatasetImportReport:
    dataset: str
    source: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    media_files: int = 0
    bad_rows: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged

    def as_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "source": self.source, "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "media_files": self.media_files,
                "bad_rows": self.bad_rows[:MAX_BAD_ROWS_LISTED], "bad_row_count": len(self.bad_rows),
                "error": self.error}


def _media_kind(value: str) -> str | None:
    suffix = Path(value).suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in AUDIO_SUFFIXES:
        return "audio"
    return None


def _media_fields(node: Any, prefix: str = "") -> list[tuple[str, str, str]]:
    """(json path, value, kind) of every string in the record that names a media file."""
    found: list[tuple[str, str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _media_fields(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(node, str):
        kind = _media_kind(node)
        if kind and len(node) < 500:
            found.append((prefix, node, kind))
    return found


def _resolve_media(value: str, *, json_dir: Path, dataset_root: Path) -> Path | None:
    """Find the file a record names, never outside the dataset's own folder."""
    root = dataset_root.resolve()
    candidates = [json_dir / value, dataset_root / value, dataset_root / "images" / Path(value).name,
                  dataset_root / "audio" / Path(value).name]
    for candidate in candidates:
        resolved = candidate.resolve()
        if resolved.is_relative_to(root) and resolved.is_file() and not candidate.is_symlink():
            return resolved
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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


def dataset_import_general_bench(*, team: Team, json_path: Path, card: dict[str, Any] | None,
                                 pool_datasets_dir: Path | None = None) -> DatasetImportReport:
    """Import one General-Bench dataset file (and its card) into the team's pool. Idempotent."""
    card = card or {}
    name = str(card.get("name") or json_path.parent.name)
    report = DatasetImportReport(dataset=name, source=str(json_path))
    try:
        document = json.loads(json_path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        report.error = f"{json_path.name} is not UTF-8 text: {exc}"
        return report
    except json.JSONDecodeError as exc:
        report.error = f"{json_path.name} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        return report
    except OSError as exc:
        report.error = f"cannot read {json_path}: {exc}"
        return report
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        report.error = f"{json_path.name} is not a General-Bench file: it needs a top-level object with a 'data' list"
        return report

    dataset_root = _dataset_root(json_path, pool_datasets_dir)
    slug = slugify(name)[:120] or slugify(json_path.stem)
    store_dir = Path("pool") / team.slug / slug
    rows: list[tuple[int, str, dict[str, Any], list[dict[str, Any]]]] = []
    seen: dict[str, int] = {}
    copies: dict[Path, tuple[str, str]] = {}
    for position, record in enumerate(document["data"]):
        if not isinstance(record, dict):
            report.bad_rows.append({"row": position, "reason": "record is not a JSON object"})
            continue
        source_id = record.get("id")
        if source_id is None or str(source_id).strip() == "":
            report.bad_rows.append({"row": position, "reason": "record has no id"})
            continue
        source_id = str(source_id).strip()[:200]
        if source_id in seen:
            report.bad_rows.append({"row": position, "id": source_id,
                                    "reason": f"duplicate id (first at row {seen[source_id]})"})
            continue
        media: list[dict[str, Any]] = []
        missing = ""
        for path, value, kind in _media_fields({k: v for k, v in record.items() if k != "id"}):
            resolved = _resolve_media(value, json_dir=json_path.parent, dataset_root=dataset_root)
            if resolved is None:
                missing = f"{kind} file {value!r} ({path}) not found in the dataset folder"
                break
            if resolved not in copies:
                relative = resolved.relative_to(dataset_root.resolve())
                copies[resolved] = ((store_dir / relative).as_posix(), _sha256(resolved))
            stored, digest = copies[resolved]
            media.append({"path": path, "file": stored, "kind": kind, "sha256": digest})
        if missing:
            report.bad_rows.append({"row": position, "id": source_id, "reason": missing})
            continue
        seen[source_id] = position
        rows.append((position, source_id, record, media))

    for source, (stored, _digest) in copies.items():
        target = Path(settings.MEDIA_ROOT) / stored
        if not target.is_file() or target.stat().st_size != source.stat().st_size:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    report.media_files = len(copies)

    modalities = card.get("modalities") or (document.get("modality") or {}).get("in") or ["text"]
    with transaction.atomic():
        dataset, _ = Dataset.objects.update_or_create(
            team=team, slug=slug,
            defaults={"name": name, "source_id": str(card.get("dataset_id", ""))[:64],
                      "source_format": Dataset.SourceFormat.GENERAL_BENCH, "source_path": str(json_path)[:500],
                      "modalities": sorted(set(modalities)), "size_declared": int(card.get("size_samples") or 0),
                      "license": str(card.get("license") or document.get("license") or "")[:200]},
        )
        DatasetCard.objects.update_or_create(
            dataset=dataset,
            defaults={"description": card.get("description", ""), "card_text": card.get("card_text", ""),
                      "tasks": card.get("tasks", []), "domain": str(card.get("domain", ""))[:300],
                      "io_schemas": card.get("io_schemas", []), "fields": (card.get("meta") or {}).get("fields", {}),
                      "raw": card},
        )
        existing = {r.source_id: r for r in DatasetRecord.objects.filter(dataset=dataset)}
        to_create, to_update = [], []
        for position, source_id, payload, media in rows:
            current = existing.get(source_id)
            if current is None:
                to_create.append(DatasetRecord(dataset=dataset, source_id=source_id, position=position,
                                               payload=payload, media=media))
            elif current.payload != payload or current.media != media or current.position != position:
                current.payload, current.media, current.position = payload, media, position
                to_update.append(current)
            else:
                report.unchanged += 1
        DatasetRecord.objects.bulk_create(to_create, batch_size=500)
        DatasetRecord.objects.bulk_update(to_update, ["payload", "media", "position"], batch_size=500)
        report.created, report.updated = len(to_create), len(to_update)
        dataset.record_count = DatasetRecord.objects.filter(dataset=dataset).count()
        dataset.import_report = report.as_dict()
        dataset.save(update_fields=["record_count", "import_report", "updated_at"])
    return report


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
        report = dataset_import_general_bench(team=team, json_path=json_path, card=card,
                                              pool_datasets_dir=datasets_dir)
        logger.debug("imported %s: %s records, %s bad rows", report.dataset, report.imported, len(report.bad_rows))
        reports.append(report)
    return reports
