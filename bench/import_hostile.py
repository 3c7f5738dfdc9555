#!/usr/bin/env python
"""Benchmark (not a test): what hostile uploads cost a worker — peak memory, time, and what is
left on disk — each case in a fresh process on a fresh SQLite database in a temporary folder.

- png:   an image folder holding a 140 KB PNG that declares 12000x12000 pixels, imported; then
         the executor's tools asked to degrade it (as a robustness plan would).
- zip:   a 1 MB zip of 1 GiB of zeros, uploaded and run as an import job.
- jsonl: a JSONL of 1,000 rows, one of them a 40 MB line, uploaded and run as an import job; then
         the dataset's page rendered.

    .venv/bin/python bench/import_hostile.py [--case png|zip|jsonl]
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _django import django_on_fresh_database

ROOT = Path(__file__).resolve().parents[1]
CASES = ("png", "zip", "jsonl")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def disk_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


def run_job(team, user, path: Path, **options):
    """Upload the file (streamed from disk, as Django hands a large upload over) and run its job."""
    from django.core.files import File

    from datapool import services
    from datapool.models import ImportJob

    with path.open("rb") as handle:
        job = services.import_job_create(team=team, user=user, upload=File(handle, name=path.name), **options)
    services.import_job_run(job_id=job.id)  # what the queued task does
    return ImportJob.objects.get(pk=job.id)


def prepare_png(workdir: Path) -> None:
    from django.conf import settings

    from tests.hostile import huge_png

    folder = workdir / "cars"
    folder.mkdir()
    (folder / "big.png").write_bytes(huge_png(12000, 12000))
    cars = sorted((Path(settings.SEED_POOL_DIR) / "datasets/image/car_brands_recognition/images").glob("*.png"))[:3]
    for path in cars:
        shutil.copyfile(path, folder / path.name)
    (folder / "metadata.csv").write_text("file_name,label\n" + "".join(f"{p.name},car\n" for p in cars)
                                         + "big.png,car\n")


def case_png(workdir: Path, team, user) -> list[str]:
    from django.conf import settings

    from benchmarks.adapters import DjangoTools
    from datapool.importers.folders import dataset_import_folder

    folder = workdir / "cars"
    report = dataset_import_folder(team=team, root=folder, name="Cars")
    lines = [f"import: {report.created} imported, bad rows {report.bad_rows}"]
    media = Path(settings.MEDIA_ROOT) / "tool-test"
    media.mkdir(parents=True)
    shutil.copyfile(folder / "big.png", media / "big.png")
    try:
        ref = DjangoTools().degrade_image(str(media / "big.png"), "blur", 3, seed="bench")
        lines.append(f"degrade: made {ref.file}")
    except Exception as exc:  # noqa: BLE001 - the figure is what happened
        lines.append(f"degrade: refused: {exc}")
    return lines


def prepare_zip(workdir: Path) -> None:
    from tests.hostile import zip_of_zeros

    (workdir / "zeros.zip").write_bytes(zip_of_zeros({"zeros.csv": 1 << 30}))


def case_zip(workdir: Path, team, user) -> list[str]:
    from django.conf import settings

    job = run_job(team, user, workdir / "zeros.zip")
    return [f"upload: {(workdir / 'zeros.zip').stat().st_size / 2**20:.1f} MB zip of 1 GiB of zeros",
            f"job: {job.status}: {job.error}",
            f"left on disk under the var folder: {disk_bytes(Path(settings.VAR_DIR) / 'imports')} bytes unpacked, "
            f"{disk_bytes(Path(settings.UPLOAD_DIR))} bytes of uploads"]


def prepare_jsonl(workdir: Path) -> None:
    with (workdir / "sums.jsonl").open("w", encoding="utf-8") as handle:
        for i in range(1000):
            if i == 1:  # a 40 MB line, written a megabyte at a time
                handle.write('{"id": "huge", "answer": "1", "question": "')
                for _ in range(40):
                    handle.write("x" * (1 << 20))
                handle.write('"}\n')
            else:
                handle.write(json.dumps({"id": f"r{i}", "question": f"What is {i} + {i}?", "answer": str(2 * i)}) + "\n")


def case_jsonl(workdir: Path, team, user) -> list[str]:
    from django.test import Client

    job = run_job(team, user, workdir / "sums.jsonl", mapping={"id": "id", "question": "question", "answer": "answer"})
    after_job = peak_rss_mb()
    report = job.report["datasets"][0]
    client = Client()
    client.force_login(user)
    page = client.get(f"/pool/{job.dataset_id}/")
    return [f"job: {job.status}, {report['created']} rows imported, bad rows {report['bad_rows']}; "
            f"peak resident memory after the job {after_job:.0f} MB (the page's templates and apps load after it)",
            f"dataset page: {page.status_code}, {len(page.content) / 1024:.0f} KB"]


def run_case(name: str) -> None:
    workdir = django_on_fresh_database(f"bench-hostile-{name}-")
    from teams.models import Membership
    from teams.services import team_get_or_create
    from tests.factories import MembershipFactory, UserFactory

    team = team_get_or_create(slug="bench")
    user = UserFactory(username="bench")
    MembershipFactory(team=team, user=user, role=Membership.Role.OWNER)
    prepare, case = {"png": (prepare_png, case_png), "zip": (prepare_zip, case_zip),
                     "jsonl": (prepare_jsonl, case_jsonl)}[name]
    prepare(workdir)
    before = peak_rss_mb()
    started = time.perf_counter()
    lines = case(workdir, team, user)
    elapsed = time.perf_counter() - started
    print(f"== {name}: {elapsed:.1f} s, peak resident memory {peak_rss_mb():.0f} MB (before the case: {before:.0f} MB)")
    for line in lines:
        print(f"   {line[:400]}")
    shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=CASES)
    args = parser.parse_args()
    if args.case:
        run_case(args.case)
        return
    for name in CASES:  # each in its own process, so each peak is its own
        subprocess.run([sys.executable, __file__, "--case", name], check=True, cwd=ROOT)


if __name__ == "__main__":
    main()
