"""Files crashed uploads and imports leave behind are removed once stale; nothing a pending import
still needs is touched (datapool.cleanup, called by the reaper every minute)."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from benchmarks import recovery
from datapool.cleanup import uploads_clean
from datapool.models import ImportJob

HOUR = 3600


def _aged(path: Path, seconds: float, content: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(content) if path.suffix else path.mkdir()
    moment = time.time() - seconds
    os.utime(path, (moment, moment))
    return path


def test_stale_upload_files_no_pending_import_needs_are_removed(settings, tmp_path, api_a, team_a):
    settings.VAR_DIR = tmp_path / "var"
    settings.UPLOAD_DIR = uploads = tmp_path / "var" / "uploads"
    # A queued import (its task not run yet): its upload stays however old it is.
    rows = "\n".join(json.dumps({"q": f"{i}?", "a": str(i)}) for i in range(3)).encode()
    response = api_a.post(reverse("api-pool-import-create"), {"team": "team-a", "file": SimpleUploadedFile(
        "rows.jsonl", rows)}, format="multipart")
    assert response.status_code == 201
    queued = ImportJob.objects.get(pk=response.json()["id"])
    _aged(uploads / queued.upload, 5 * HOUR)
    # A finished import whose file was left behind (its worker died before removing it).
    done = ImportJob.objects.create(team=team_a, upload="finished.jsonl", status=ImportJob.Status.SUCCEEDED)
    _aged(uploads / done.upload, 2 * HOUR)
    _aged(uploads / "orphan.zip", 2 * HOUR)  # stored by a request that died before its job was saved
    _aged(uploads / "partial" / "tmpab12.upload.zip", 2 * HOUR)  # Django's temp file of a cut-off upload
    _aged(uploads / "fresh.zip", 60)  # an upload being saved right now
    _aged(tmp_path / "var" / "imports" / f"job-{done.pk}" / "data.jsonl", 2 * HOUR)
    _aged(tmp_path / "var" / "imports" / f"job-{done.pk}", 2 * HOUR)
    _aged(tmp_path / "var" / "imports" / f"job-{queued.pk}", 2 * HOUR)

    assert uploads_clean(older_than_s=HOUR) == [
        "finished.jsonl", "orphan.zip", "partial/tmpab12.upload.zip", f"imports/job-{done.pk}"]
    assert sorted(str(p.relative_to(uploads)) for p in uploads.rglob("*")) == sorted(
        [queued.upload, "fresh.zip", "partial"])
    assert [p.name for p in (tmp_path / "var" / "imports").iterdir()] == [f"job-{queued.pk}"]
    assert uploads_clean(older_than_s=HOUR) == []

    # The reaper does it with BENCH_UPLOAD_STALE_AFTER_S.
    settings.BENCH_UPLOAD_STALE_AFTER_S = 30
    assert "fresh.zip" in recovery.runs_reap().files_removed
    assert sorted(p.name for p in uploads.iterdir()) == sorted([queued.upload, "partial"])


def test_djangos_temporary_upload_files_land_under_the_upload_folder():
    assert Path(django_settings.FILE_UPLOAD_TEMP_DIR) == Path(django_settings.UPLOAD_DIR) / "partial"
    assert Path(django_settings.FILE_UPLOAD_TEMP_DIR).is_dir()
