"""What crashed uploads and imports leave behind: files in UPLOAD_DIR (a stored upload whose request
died before its import job was saved, or Django's temporary file of an upload cut off mid-way, kept
under UPLOAD_DIR/partial) and unpacking folders of imports no longer running. The reaper calls this
every minute; nothing a queued or running import job still needs is touched."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from django.conf import settings

from datapool.models import ImportJob

PENDING = (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)


def uploads_clean(*, older_than_s: float | None = None) -> list[str]:
    """Remove upload files untouched for older_than_s (default BENCH_UPLOAD_STALE_AFTER_S) that no
    pending import job names, and the unpacking folders of jobs that are not pending. Returns the
    paths removed, relative to UPLOAD_DIR (folders as imports/<name>)."""
    older_than_s = settings.BENCH_UPLOAD_STALE_AFTER_S if older_than_s is None else older_than_s
    cutoff = time.time() - older_than_s
    pending = ImportJob.objects.filter(status__in=PENDING)
    # Read the jobs before listing the files: an upload saved after this read is younger than the cutoff.
    needed = set(pending.exclude(upload="").values_list("upload", flat=True))
    running = {f"job-{pk}" for pk in pending.values_list("pk", flat=True)}
    removed: list[str] = []
    root = Path(settings.UPLOAD_DIR)
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            relative = str(path.relative_to(root))
            if path.is_dir() and not path.is_symlink() or relative in needed or _touched_since(path, cutoff):
                continue
            path.unlink(missing_ok=True)
            removed.append(relative)
    workdirs = Path(settings.VAR_DIR) / "imports"
    if workdirs.is_dir():
        for folder in sorted(workdirs.iterdir()):
            if folder.name in running or _touched_since(folder, cutoff):
                continue
            if folder.is_dir() and not folder.is_symlink():
                shutil.rmtree(folder, ignore_errors=True)
            else:
                folder.unlink(missing_ok=True)
            removed.append(f"imports/{folder.name}")
    return removed


def _touched_since(path: Path, cutoff: float) -> bool:
    try:
        return path.lstat().st_mtime >= cutoff
    except FileNotFoundError:  # removed meanwhile (its import finished)
        return True
