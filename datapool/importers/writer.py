"""The one way records enter the pool: a streaming writer every importer feeds row by row.

It checks each row (an id, unique within the import; media files present, inside the source's
folder, decodable and within the media limits), copies media into the media store, profiles the
records as they pass, writes them in batches (memory stays bounded by the batch), and at the end
writes the card — the source's own, or one profiled from the data — and a report that names every
bad row by line and reason. Re-importing the same source updates in place: nothing is duplicated.
"""
from __future__ import annotations

import codecs
import shutil
import uuid
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import reset_queries, transaction
from django.utils.text import slugify

from agents.tools.files import file_sha256
from agents.tools.media import _compressed_duration as compressed_duration
from agents.tools.media import audio_check, image_check
from common.media import media_limits
from common.names import name_strip
from common.text import clip_text
from datapool.models import Dataset, DatasetCard, DatasetRecord
from datapool.profiling import Profiler, card_from_profile
from teams.models import Team

BATCH = 1000
MAX_BAD_ROWS_LISTED = 200
MAX_REASON_CHARS = 500  # a reason may quote the row; the report stays small whatever the row holds
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff"})
AUDIO_SUFFIXES = frozenset({".wav", ".mp3", ".flac", ".ogg"})


def media_kind(name: str) -> str | None:
    suffix = Path(name).suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in AUDIO_SUFFIXES:
        return "audio"
    return None


def media_decode_problem(path: Path, kind: str) -> str:
    """Empty when the file decodes as its kind within the media limits (checked from its header);
    else what is wrong."""
    return media_decode(path, kind)[0]


def media_decode(path: Path, kind: str) -> tuple[str, dict[str, Any]]:
    """(what is wrong or "", its measure for the card: {"width", "height"} of an image, {"seconds"} of
    a recording when its header says), from the file's header."""
    limits = media_limits()
    result = (image_check(str(path), max_pixels=limits.max_image_pixels) if kind == "image"
              else audio_check(str(path), max_seconds=limits.max_audio_seconds))
    if not result.ok:
        return result.detail, {}
    if kind == "image":
        return "", {"width": result.width, "height": result.height}
    seconds = audio_seconds(path)
    return "", ({"seconds": round(seconds, 3)} if seconds else {})


def audio_seconds(path: Path) -> float | None:
    """A recording's length from its header (WAV frames and rate, else what its container declares)."""
    try:
        with wave.open(str(path), "rb") as audio:
            return audio.getnframes() / max(1, audio.getframerate())
    except (wave.Error, EOFError, OSError):
        return compressed_duration(str(path))


@dataclass(frozen=True)
class SourceNames:
    """How the files of an import are named to people. A server-side import (manage.py import_pool)
    shows its own paths. An upload shows the user's file name and the paths inside their archive,
    never the server's folders or the random name the upload was kept under: `root` is the kept
    upload (or the folder it was unpacked into), `label` the name the user gave it."""

    root: Path | None = None
    label: str = ""

    def source(self, path: Path) -> str:
        """The report's `source` and the dataset's source_path."""
        return str(path) if self.root is None else self.name(path)

    def name(self, path: Path) -> str:
        """In messages: the file's name, or (an upload) its path inside the upload."""
        if self.root is None:
            return Path(path).name
        try:
            inner = Path(path).resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return self.label  # not inside the upload: never show where it is
        return self.label if inner == "." else f"{self.label}/{inner}"

    def scrub(self, text: str, *paths: Path) -> str:
        """A library's message with these paths (and the upload's) named as people see them."""
        for path in sorted({*paths, *([self.root] if self.root else [])}, key=lambda p: -len(str(p))):
            for form in {str(path), str(path.resolve())}:
                text = text.replace(form, self.name(path))
        return text


def resolve_inside(root: Path, value: str, *fallbacks: str) -> Path | None:
    """The file `value` names, looked up under root (and the fallback sub-folders), never outside it
    and never through a symlink."""
    root = root.resolve()
    name = Path(value).name
    for candidate in [root / value, *(root / folder / name for folder in fallbacks)]:
        if candidate.is_symlink():
            continue
        resolved = candidate.resolve()
        if resolved.is_relative_to(root) and resolved.is_file():
            return resolved
    return None


def utf8_error(path: Path) -> str:
    """Empty when the whole file decodes as UTF-8 (streamed); else where it does not."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                decoder.decode(chunk)
                offset += len(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        return f"{exc.reason} at byte {offset + exc.start}"
    return ""


def utf8_problem(path: Path, *, name: str = "") -> str:
    """Empty when the whole file decodes as UTF-8; else where it does not, naming the file as `name`
    (its own name by default)."""
    error = utf8_error(path)
    return f"{name or path.name} is not UTF-8 text: {error}" if error else ""


@dataclass
class DatasetImportReport:
    dataset: str
    source: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    media_files: int = 0
    bad_rows: list[dict[str, Any]] = field(default_factory=list)
    bad_row_count: int = 0
    error: str = ""
    dataset_id: int | None = None

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged

    def as_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "source": self.source, "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "removed": self.removed, "media_files": self.media_files,
                "bad_rows": self.bad_rows, "bad_row_count": self.bad_row_count, "error": self.error}


@dataclass
class _Row:
    row: int
    source_id: str
    payload: dict[str, Any]
    media: list[dict[str, Any]]
    measures: list[dict[str, Any]] = field(default_factory=list)  # the media's sizes, for the card


class DatasetWriter:
    """Feed rows with `add` (or `bad`), then call `finish` for the report."""

    def __init__(self, *, team: Team, name: str, source_format: str, source: str, card: dict[str, Any] | None = None,
                 mapping: dict[str, Any] | None = None, license: str = "", slug: str = "", source_name: str = "",
                 on_progress: Callable[[int], None] | None = None) -> None:
        """`source` is recorded as where the data came from; `source_name` names it in messages and
        the card (the file's own name by default)."""
        self.team = team
        # Whatever named it (the uploader, a card, a folder or file name): no control or invisible characters.
        self.name = name_strip(name)[:200].rstrip() or "dataset"
        self.slug = (slug or slugify(self.name))[:120] or "dataset"
        self.source_format = source_format
        self.source = source
        self.source_name = source_name or Path(source).name
        self.card = card
        self.mapping = mapping or {}
        self.license = license or str((card or {}).get("license", ""))
        self.on_progress = on_progress
        self.report = DatasetImportReport(dataset=self.name, source=source)
        self.token = uuid.uuid4().hex
        self.profiler = Profiler()
        self.dataset: Dataset | None = None
        self._batch: list[_Row] = []
        self._media: dict[Path, tuple[str, str, dict[str, Any]]] = {}
        self._rows_seen = 0

    # -- rows ------------------------------------------------------------------------------------

    def bad(self, row: int, reason: str, source_id: str | None = None) -> None:
        self.report.bad_row_count += 1
        if len(self.report.bad_rows) < MAX_BAD_ROWS_LISTED:
            reason = clip_text(reason, MAX_REASON_CHARS)
            entry: dict[str, Any] = {"row": row, "reason": reason}
            if source_id is not None:
                entry = {"row": row, "id": str(source_id)[:200], "reason": reason}
            self.report.bad_rows.append(entry)

    def add(self, *, row: int, source_id: Any, payload: dict[str, Any], media: list[tuple[str, Path | None, str]]) -> bool:
        """One record. `media` lists (json path, resolved file or None when not found, the value as
        written). False (and a bad row) when the record cannot be imported."""
        self._rows_seen += 1
        if source_id is None or str(source_id).strip() == "":
            self.bad(row, "record has no id")
            return False
        source_id = str(source_id).strip()[:200]
        stored_media: list[dict[str, Any]] = []
        measures: list[dict[str, Any]] = []
        for path, resolved, written in media:
            kind = media_kind(written) or "image"
            if resolved is None:
                self.bad(row, f"{kind} file {written!r} ({path}) not found in the dataset folder", source_id)
                return False
            stored = self._store(resolved, kind)
            if isinstance(stored, str):
                self.bad(row, f"{kind} file {written!r} ({path}) {stored}", source_id)
                return False
            if all(m["file"] != stored[0] for m in stored_media):  # a file two columns name is measured once
                measures.append(stored[2])
            stored_media.append({"path": path, "file": stored[0], "kind": kind, "sha256": stored[1]})
        self._batch.append(_Row(row=row, source_id=source_id, payload=payload, media=stored_media, measures=measures))
        if len(self._batch) >= BATCH:
            self._flush()
        return True

    def _store(self, source: Path, kind: str) -> tuple[str, str, dict[str, Any]] | str:
        """Copy a media file into the store once; its (stored path, sha256, measure), or why it was refused."""
        if source in self._media:
            return self._media[source]
        problem, measure = media_decode(source, kind)
        if problem:
            return problem
        digest = file_sha256(source)
        stored = (Path("pool") / self.team.slug / self.slug / digest[:2] / f"{digest}{source.suffix.lower()}").as_posix()
        target = Path(settings.MEDIA_ROOT) / stored
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        self._media[source] = (stored, digest, measure)
        self.report.media_files = len(self._media)
        return self._media[source]

    # -- writing ---------------------------------------------------------------------------------

    def _dataset_get(self) -> Dataset:
        if self.dataset is None:
            self.dataset, _ = Dataset.objects.update_or_create(
                team=self.team, slug=self.slug,
                defaults={"name": self.name, "source_format": self.source_format, "source_path": self.source[:500],
                          "source_id": str((self.card or {}).get("dataset_id", ""))[:64], "license": self.license[:200]})
            self.report.dataset_id = self.dataset.id
        return self.dataset

    @transaction.atomic
    def _flush(self) -> None:
        if not self._batch:
            return
        dataset = self._dataset_get()
        existing = {r.source_id: r for r in DatasetRecord.objects.filter(
            dataset=dataset, source_id__in=[row.source_id for row in self._batch])}
        to_create: dict[str, DatasetRecord] = {}
        to_update: list[DatasetRecord] = []
        for row in self._batch:
            current = existing.get(row.source_id) or to_create.get(row.source_id)
            if current is not None and current.import_token == self.token:
                self.bad(row.row, f"duplicate id (first at row {current.position})", row.source_id)
                continue
            self.profiler.add(row.payload, {m["path"]: m["kind"] for m in row.media}, row.measures)
            if current is None:
                to_create[row.source_id] = DatasetRecord(dataset=dataset, source_id=row.source_id, position=row.row,
                                                         payload=row.payload, media=row.media, import_token=self.token)
            else:
                if (current.payload, current.media, current.position) != (row.payload, row.media, row.row):
                    current.payload, current.media, current.position = row.payload, row.media, row.row
                    self.report.updated += 1
                else:
                    self.report.unchanged += 1
                current.import_token = self.token
                to_update.append(current)
        DatasetRecord.objects.bulk_create(to_create.values(), batch_size=BATCH)
        DatasetRecord.objects.bulk_update(to_update, ["payload", "media", "position", "import_token"], batch_size=BATCH)
        self.report.created += len(to_create)
        self._batch = []
        # With DEBUG on (the local default) Django keeps the SQL of every query, bulk inserts
        # included; a million-row import would hold hundreds of MB of it.
        reset_queries()
        if self.on_progress:
            self.on_progress(self._rows_seen)

    def finish(self) -> DatasetImportReport:
        self._flush()
        self.report.bad_rows.sort(key=lambda bad: bad["row"])
        if self.dataset is None:
            reason = f"; first bad row: {self.report.bad_rows[0]['reason']}" if self.report.bad_rows else ""
            self.report.error = f"no usable records in {self.source_name} ({self.report.bad_row_count} bad rows{reason})"
            return self.report
        with transaction.atomic():
            dataset = self.dataset
            stale = DatasetRecord.objects.filter(dataset=dataset).exclude(import_token=self.token)
            # Records gone from the source go, unless a benchmark sample was made from them.
            self.report.removed, _ = stale.filter(samples__isnull=True).delete() if stale.exists() else (0, {})
            card = card_from_profile(name=self.name, profiler=self.profiler, mapping=self.mapping,
                                     license=self.license, source=self.source_name, existing=self.card)
            profile = card.pop("profile")
            modalities = card.get("modalities") or ["text"]
            dataset.modalities = sorted(set(modalities))
            dataset.size_declared = int(card.get("size_samples") or 0)
            dataset.record_count = DatasetRecord.objects.filter(dataset=dataset).count()
            dataset.import_report = self.report.as_dict()
            dataset.save(update_fields=["modalities", "size_declared", "record_count", "import_report", "updated_at"])
            DatasetCard.objects.update_or_create(
                dataset=dataset,
                defaults={"description": card.get("description", ""), "card_text": card.get("card_text", ""),
                          "tasks": card.get("tasks", []), "domain": str(card.get("domain", ""))[:300],
                          "io_schemas": card.get("io_schemas", []), "fields": (card.get("meta") or {}).get("fields", {}),
                          "raw": card, "profile": profile, "written_by": "source" if self.card else "profile"})
        return self.report
