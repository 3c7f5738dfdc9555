"""Exporting a frozen version: the agent core's writers (agents.export) fill a folder, zipped here
once per format and kept. Every export, a new one or a kept one, first checks that the version is
still what was frozen (benchmarks.freezing): a tampered version is refused, never served."""
from __future__ import annotations

import hashlib
import tempfile
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import slugify

from agents.export import WRITERS as EXPORT_WRITERS
from agents.export import ExportInfo, ExportItem, ExportMedia
from benchmarks.freezing import ACCEPTED, check_version_intact
from benchmarks.models import BenchmarkVersion, Grounding, Sample, Subtask, VersionExport

STORED_SUFFIXES = {".png", ".jpg", ".jpeg", ".wav", ".parquet", ".mp3"}  # compressed already


def _export_items(version: BenchmarkVersion) -> tuple[list[ExportItem], ExportInfo]:
    root = Path(settings.MEDIA_ROOT)
    items = [ExportItem(id=s.item_key, subtask=s.subtask.key, question=s.question, context=s.context,
                        options=s.options or [], answer=s.answer, answer_index=s.answer_index,
                        accepted_answers=s.accepted_answers or [], answer_type=s.answer_type,
                        media=[ExportMedia(kind=a.kind, abs_path=str(root / a.file), sha256=a.sha256)
                               for a in s.media.all()])
             for s in (Sample.objects.filter(version=version, status__in=ACCEPTED)
                       .select_related("subtask").prefetch_related("media").order_by("item_key").iterator(chunk_size=2000))]
    subtasks = {s.key: f"{s.name}: {s.description}" for s in Subtask.objects.filter(spec__version=version, dropped=False)}
    datasets = (Grounding.objects.filter(subtask__spec__version=version, quota__gt=0).select_related("dataset")
                .order_by("dataset__name"))
    info = ExportInfo(name=version.benchmark.name, slug=version.benchmark.slug, version=version.number,
                      description=version.benchmark.description, request=version.request.text,
                      checksum=version.checksum, subtasks=subtasks,
                      licenses=[g.dataset.license for g in datasets if g.dataset.license],
                      sources=sorted({f"{g.dataset.name}" + (f" ({g.dataset.license})" if g.dataset.license else "")
                                      for g in datasets}))
    return items, info


def version_export(*, version: BenchmarkVersion, fmt: str) -> VersionExport:
    """The frozen version written in `fmt` as a zip, made once and kept; the zip's sha256 and the
    version's checksum are recorded. ChecksumMismatchError when the version (or one of its media
    files) is no longer what was frozen."""
    if fmt not in EXPORT_WRITERS:
        raise ValidationError({"format": f"Choose one of {', '.join(EXPORT_WRITERS)}."})
    if not version.frozen:
        raise ValidationError({"version": f"Freeze {version} first: only a frozen version is exported."})
    check_version_intact(version=version)
    existing = VersionExport.objects.filter(version=version, format=fmt, version_checksum=version.checksum).first()
    if existing and (Path(settings.MEDIA_ROOT) / existing.file).is_file():
        return existing
    items, info = _export_items(version)
    # The slug names files and folders: slugified again, so a slug edited by hand cannot leave exports/.
    stem = f"{slugify(version.benchmark.slug) or 'benchmark'}-v{version.number}"
    relative = Path("exports") / str(version.benchmark.team_id) / f"{stem}-{fmt}.zip"
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="export-") as tmp:
        folder = Path(tmp) / stem
        folder.mkdir()
        EXPORT_WRITERS[fmt](items, info, folder)
        staged = target.with_suffix(".zip.tmp")
        with zipfile.ZipFile(staged, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    entry = zipfile.ZipInfo(str(path.relative_to(folder.parent)), date_time=(2026, 1, 1, 0, 0, 0))
                    entry.compress_type = zipfile.ZIP_STORED if path.suffix in STORED_SUFFIXES else zipfile.ZIP_DEFLATED
                    archive.writestr(entry, path.read_bytes())
        staged.replace(target)
    digest = hashlib.sha256()
    with target.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    export, _ = VersionExport.objects.update_or_create(version=version, format=fmt, defaults={
        "file": str(relative), "sha256": digest.hexdigest(), "size_bytes": target.stat().st_size, "items": len(items),
        "version_checksum": version.checksum})
    return export
