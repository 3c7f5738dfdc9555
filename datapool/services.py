"""Writes of the dataset pool: imports (now and in the background) and the pool's settings."""
from __future__ import annotations

import logging
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from common.names import name_clean, name_strip
from common.queue import enqueue
from datapool.importers.archive import ARCHIVE_SUFFIXES, ArchiveRefused, archive_import, archive_stem
from datapool.importers.general_bench import (
    DatasetImportReport,
    pool_import_general_bench,
)
from datapool.importers.tabular import FORMATS, ROLES, dataset_import_table
from datapool.importers.writer import SourceNames
from datapool.models import ImportJob
from teams.models import Team

logger = logging.getLogger(__name__)


def pool_import(*, team: Team, pool_dir: Path) -> list[DatasetImportReport]:
    """Import a General-Bench pool folder into the team's pool (idempotent)."""
    return pool_import_general_bench(team=team, pool_dir=pool_dir)


def check_import_upload(*, filename: str, size: int, mapping: Any) -> None:
    """Refuse, before anything is stored, an upload the import could never take."""
    errors: dict[str, str] = {}
    lowered = filename.lower()
    if not (lowered.endswith(ARCHIVE_SUFFIXES) or Path(lowered).suffix in FORMATS):
        errors["file"] = (f"{filename}: upload a .zip or .tar(.gz) archive, or one .jsonl, .csv, .tsv or "
                          f".parquet file")
    elif size > settings.BENCH_MAX_UPLOAD_BYTES:
        errors["file"] = (f"{filename} is {size / 2**20:.1f} MB; the limit is "
                          f"{settings.BENCH_MAX_UPLOAD_BYTES / 2**20:.1f} MB")
    if mapping is not None:
        if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
            errors["mapping"] = 'The mapping is an object of role to column, e.g. {"question": "q", "answer": "label"}.'
        elif set(mapping) - ROLES:
            errors["mapping"] = f"Unknown roles {sorted(set(mapping) - ROLES)}; use any of {sorted(ROLES)}."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def import_job_create(*, team: Team, user, upload, name: str = "", mapping: dict | None = None,
                      license: str = "") -> ImportJob:
    """Keep an uploaded file aside and queue its import (after commit)."""
    check_import_upload(filename=upload.name, size=upload.size, mapping=mapping)
    # A name of blanks is no name (the file's is used); one of invisible characters is refused.
    name = name_clean(name, max_length=200) if name.strip() else ""
    suffix = next((s for s in ARCHIVE_SUFFIXES if upload.name.lower().endswith(s)), Path(upload.name).suffix.lower())
    stored = Path(settings.UPLOAD_DIR) / f"{uuid.uuid4().hex}{suffix}"
    stored.parent.mkdir(parents=True, exist_ok=True)
    with stored.open("wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    job = ImportJob.objects.create(team=team, created_by=user, upload=stored.name,
                                   source_format=FORMATS.get(suffix, ""), options={"name": name, "mapping": mapping or {},
                                                              "license": name_strip(license)[:200],
                                                              "filename": Path(upload.name).name[:200]})
    enqueue("datapool.tasks.import_job_run_task", job.id, name=f"import {job.id}")
    return job


def _report_scrubber(*, upload: Path, workdir: Path, filename: str) -> Callable[[Any], Any]:
    """A scrubber of what an import job records (its error, its reports): the kept upload and the
    folder it was unpacked into are named by the user's file name, and no server folder (the var
    folder, uploads, the media store, the temporary folder) or random upload name is left in it.
    The importers already name files so; this catches what a library puts in its own messages."""
    table, unpacked = SourceNames(root=upload, label=filename), SourceNames(root=workdir, label=filename)
    folders = [Path(settings.UPLOAD_DIR), Path(settings.VAR_DIR), Path(settings.MEDIA_ROOT), Path(tempfile.gettempdir())]
    server_dirs = sorted({f"{form}/" for folder in folders for form in (folder, folder.resolve())}, key=len, reverse=True)
    random_stem = upload.name.split(".")[0]  # a uuid: the stored name's stem
    user_stem = archive_stem(filename) if archive_stem(filename) != filename else Path(filename).stem

    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: scrub(item) for key, item in value.items()}
        if isinstance(value, list):
            return [scrub(item) for item in value]
        if not isinstance(value, str):
            return value
        text = unpacked.scrub(table.scrub(value, upload), workdir)
        for folder in server_dirs:
            text = text.replace(folder, "")
        return text.replace(upload.name, filename).replace(random_stem, user_stem)

    return scrub


def import_job_run(*, job_id: int) -> None:
    """Run a queued import: check, unpack and import; record progress, the reports and any refusal."""
    if not ImportJob.objects.filter(pk=job_id, status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]).update(
            status=ImportJob.Status.RUNNING):
        return
    job = ImportJob.objects.select_related("team").get(pk=job_id)
    upload = Path(settings.UPLOAD_DIR) / job.upload
    workdir = Path(settings.VAR_DIR) / "imports" / f"job-{job.id}"
    shutil.rmtree(workdir, ignore_errors=True)  # a retried job starts clean

    def progress(done: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(progress_done=done)

    options = job.options
    filename = options.get("filename") or "the upload"
    scrub = _report_scrubber(upload=upload, workdir=workdir, filename=filename)
    try:
        if not upload.is_file():
            raise ArchiveRefused("the uploaded file is gone; upload it again")
        if Path(job.upload).suffix in FORMATS:
            reports = [dataset_import_table(team=job.team, path=upload, name=options.get("name") or Path(
                filename).stem, mapping=options.get("mapping"), license=options.get("license", ""),
                names=SourceNames(root=upload, label=filename), on_progress=progress)]
        else:
            reports = archive_import(team=job.team, archive=upload, workdir=workdir, filename=filename,
                                     name=options.get("name", ""), mapping=options.get("mapping"),
                                     license=options.get("license", ""), on_progress=progress)
    except ArchiveRefused as exc:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED, error=scrub(str(exc)),
                                                   finished_at=timezone.now())
        return
    except Exception as exc:  # recorded on the job; the worker must not lose it
        logger.exception("import job %s failed", job.id)
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED, error=f"import failed: {scrub(str(exc))}",
                                                   finished_at=timezone.now())
        return
    finally:
        upload.unlink(missing_ok=True)
        shutil.rmtree(workdir, ignore_errors=True)
    errors = [r.error for r in reports if r.error]
    imported = [r for r in reports if not r.error]
    if imported:
        # Embed the new cards now, so the next search does not pay for it.
        enqueue("datapool.tasks.pool_embed_task", job.team_id, name=f"embed after import {job.id}")
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.SUCCEEDED if imported else ImportJob.Status.FAILED,
        error=scrub("; ".join(errors)[:5000]), report=scrub({"datasets": [r.as_dict() for r in reports]}),
        dataset_id=imported[0].dataset_id if imported else None,
        progress_done=sum(r.imported for r in imported), progress_total=sum(r.imported for r in imported),
        finished_at=timezone.now())


def dataset_share_set(*, dataset, shared: bool) -> None:
    """Share a dataset with every team, or make it private again (platform admins only)."""
    type(dataset).objects.filter(pk=dataset.pk).update(is_shared=shared)


CARD_ROLES = frozenset(ROLES - {"id"}) | {"other_aux"}


def check_card_fields(fields: Any, *, partial: bool = False) -> None:
    """A card's `fields`: {role: {"paths": [json path, ...], "modality": ..., "semantics": ...}}. In a
    partial edit a role may be null (remove it) and may leave out its paths (keep them)."""
    if not isinstance(fields, dict):
        raise ValidationError({"fields": 'Fields are an object of role to {"paths": [...]}.'})
    for role, spec in fields.items():
        if role not in CARD_ROLES:
            raise ValidationError({"fields": f"Unknown role {role!r}; use any of {sorted(CARD_ROLES)}."})
        if partial and spec is None:
            continue
        if partial and isinstance(spec, dict) and "paths" not in spec:
            continue
        paths = spec.get("paths") if isinstance(spec, dict) else None
        if not isinstance(paths, list) or not paths or not all(isinstance(p, str) and p.strip() for p in paths):
            raise ValidationError({"fields": f"Role {role!r} needs a non-empty list of JSON paths in \"paths\"."})


def card_fields_merge(*, current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The card's role map with an edit applied: the roles the edit names change (their keys merged
    into the role's spec, a key set to null removed), a role set to null is removed, and the roles it
    does not name stay as they are."""
    merged = {role: dict(spec) for role, spec in current.items() if isinstance(spec, dict)}
    for role, spec in changes.items():
        if spec is None:
            merged.pop(role, None)
            continue
        updated = {**merged.get(role, {}), **spec}
        merged[role] = {key: value for key, value in updated.items() if value is not None}
    return merged


@transaction.atomic
def card_update(*, dataset, user, description: str | None = None, card_text: str | None = None,
                domain: str | None = None, tasks: list[str] | None = None, license: str | None = None,
                fields: dict[str, Any] | None = None) -> None:
    """The team's own edit of a card; the planner and search read it from now on. What the edit
    leaves out (None) stays as it is; `fields` is merged into the role map (card_fields_merge)."""
    from datapool.models import Dataset, DatasetCard
    from teams.selectors import access_team_for_write

    if access_team_for_write(user=user, slug=dataset.team.slug) is None:
        raise ValidationError("Only an owner or editor of the dataset's team may edit its card.")
    if fields is not None:
        check_card_fields(fields, partial=True)
    card, _ = DatasetCard.objects.select_for_update().get_or_create(dataset=dataset)
    if description is not None:
        card.description = description.strip()
    if card_text is not None:
        card.card_text = card_text.strip()
    if domain is not None:
        card.domain = name_strip(domain)[:300]
    if tasks is not None:
        card.tasks = [name_strip(t) for t in tasks if name_strip(t)]
    if fields is not None:
        merged = card_fields_merge(current=card.fields if isinstance(card.fields, dict) else {}, changes=fields)
        check_card_fields(merged)
        card.fields = merged
    # Domain, tasks and licence are labels (common.names); description and card text are prose.
    card.written_by = "team"
    card.save(update_fields=["description", "card_text", "domain", "tasks", "fields", "written_by", "updated_at"])
    changes: dict[str, Any] = {}
    if license is not None:
        changes["license"] = name_strip(license)[:200]
    if fields is not None:
        changes["modalities"] = sorted({"text"} | {spec.get("modality") for spec in card.fields.values()
                                                   if spec.get("modality") in ("image", "audio")})
    if changes:
        Dataset.objects.filter(pk=dataset.pk).update(**changes)
