"""Uploaded archives (zip, tar, tar.gz): checked whole before anything is written, then imported.

Refused, with a message naming the reason and nothing written: an archive over the size limit,
with too many files or too many unpacked bytes, a member with an absolute path or `..`, a link
or device member, a media file that does not decode, a text file that is not UTF-8. Inside, the
archive may hold a General-Bench pool (dataset_cards/ + datasets/), one General-Bench JSON file,
an image or audio folder (class sub-folders or a metadata file), or one JSONL/CSV/Parquet table.
"""
from __future__ import annotations

import shutil
import stat
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings

from datapool.importers.folders import dataset_import_folder, folder_layout
from datapool.importers.general_bench import (
    dataset_import_general_bench,
    pool_import_general_bench,
)
from datapool.importers.tabular import FORMATS, dataset_import_table
from datapool.importers.writer import (
    DatasetImportReport,
    media_decode_problem,
    media_kind,
    utf8_problem,
)
from teams.models import Team

TEXT_SUFFIXES = frozenset({".json", ".jsonl", ".ndjson", ".csv", ".tsv", ".txt", ".md"})


class ArchiveRefused(ValueError):
    """The archive is not imported; the message says why. Nothing was written."""


@dataclass(frozen=True)
class _Member:
    name: str
    size: int
    is_dir: bool


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def _members(archive: Path) -> tuple[str, list[_Member]]:
    """The archive's kind and members, refusing links, devices and unsafe names on the way."""
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            members = []
            for info in zf.infolist():
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    raise ArchiveRefused(f"member {info.filename!r} is a symbolic link")
                members.append(_Member(info.filename, info.file_size, info.is_dir()))
            return "zip", members
    try:
        with tarfile.open(archive) as tf:
            members = []
            for info in tf.getmembers():
                if info.issym() or info.islnk():
                    raise ArchiveRefused(f"member {info.name!r} is a {'symbolic' if info.issym() else 'hard'} link")
                if not (info.isfile() or info.isdir()):
                    raise ArchiveRefused(f"member {info.name!r} is a device, pipe or other special file")
                members.append(_Member(info.name, info.size, info.isdir()))
            return "tar", members
    except tarfile.TarError as exc:
        raise ArchiveRefused("the file is not a zip or tar archive") from exc


def _check_names(members: list[_Member]) -> None:
    for member in members:
        path = PurePosixPath(member.name.replace("\\", "/"))
        if path.is_absolute() or member.name.startswith(("/", "\\")) or (len(member.name) > 1 and member.name[1] == ":"):
            raise ArchiveRefused(f"member {member.name!r} has an absolute path")
        if ".." in path.parts:
            raise ArchiveRefused(f"member {member.name!r} has '..' in its path")


def archive_extract(*, archive: Path, dest: Path) -> None:
    """Check the archive against the limits and unpack it into dest (which must not exist yet).
    On any refusal dest is removed and ArchiveRefused raised."""
    size = archive.stat().st_size
    if size > settings.BENCH_MAX_UPLOAD_BYTES:
        raise ArchiveRefused(f"the archive is {_mb(size)}; the limit is {_mb(settings.BENCH_MAX_UPLOAD_BYTES)}")
    kind, members = _members(archive)
    files = [m for m in members if not m.is_dir]
    if len(files) > settings.BENCH_MAX_ARCHIVE_FILES:
        raise ArchiveRefused(f"the archive holds {len(files)} files; the limit is {settings.BENCH_MAX_ARCHIVE_FILES}")
    unpacked = sum(m.size for m in files)
    if unpacked > settings.BENCH_MAX_UNPACKED_BYTES:
        raise ArchiveRefused(f"the archive unpacks to {_mb(unpacked)}; the limit is "
                             f"{_mb(settings.BENCH_MAX_UNPACKED_BYTES)}")
    if not files:
        raise ArchiveRefused("the archive is empty")
    _check_names(members)
    dest.mkdir(parents=True)
    try:
        if kind == "zip":
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(dest)
        else:
            with tarfile.open(archive) as tf:
                tf.extractall(dest, filter="data")  # the stdlib's own guard, on top of the checks above
        for member in files:
            path = dest / member.name
            if path.stat().st_size != member.size:
                raise ArchiveRefused(f"member {member.name!r} unpacked to a different size than the archive says")
            kind_of = media_kind(path.name)
            if kind_of:
                problem = media_decode_problem(path, kind_of)
                if problem:
                    raise ArchiveRefused(f"member {member.name!r} {problem}")
            elif path.suffix.lower() in TEXT_SUFFIXES:
                problem = utf8_problem(path)
                if problem:
                    raise ArchiveRefused(f"member {member.name!r}: {problem.split(': ', 1)[1]}")
    except ArchiveRefused:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
        shutil.rmtree(dest, ignore_errors=True)
        raise ArchiveRefused(f"the archive cannot be unpacked: {exc}") from exc


def _content_root(root: Path) -> Path:
    """An archive often wraps everything in one top folder; look inside it."""
    entries = [e for e in root.iterdir() if not e.name.startswith((".", "__MACOSX"))]
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else root


def archive_import(*, team: Team, archive: Path, workdir: Path, name: str = "", mapping: dict | None = None,
                   license: str = "", on_progress: Callable[[int], None] | None = None) -> list[DatasetImportReport]:
    """Check, unpack and import an archive; the reports of the datasets it held. Raises ArchiveRefused."""
    archive_extract(archive=archive, dest=workdir)
    try:
        root = _content_root(workdir)
        if not name:
            name = root.name if root != workdir else archive.name.split(".")[0]
        if (root / "dataset_cards").is_dir() and (root / "datasets").is_dir():
            return pool_import_general_bench(team=team, pool_dir=root)
        files = [p for p in root.rglob("*") if p.is_file()]
        layout = folder_layout(root)
        if layout:
            return [dataset_import_folder(team=team, root=root, name=name, license=license, mapping=mapping,
                                          on_progress=on_progress)]
        tables = [p for p in files if p.suffix.lower() in FORMATS]
        jsons = [p for p in files if p.suffix.lower() == ".json"]
        if len(tables) == 1:
            return [dataset_import_table(team=team, path=tables[0], name=name, mapping=mapping, license=license,
                                         base_dir=root, on_progress=on_progress)]
        if len(jsons) == 1:
            return [dataset_import_general_bench(team=team, json_path=jsons[0], card=None, name=name,
                                                 on_progress=on_progress)]
        raise ArchiveRefused(
            "the archive holds no dataset this platform reads: a General-Bench pool (dataset_cards/ and datasets/), "
            "one General-Bench JSON file, an image or audio folder, or one .jsonl/.csv/.tsv/.parquet table")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
