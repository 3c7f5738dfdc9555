"""Uploaded archives (zip, tar, tar.gz): checked whole before anything is written, then imported.

Refused, with a message naming the reason and nothing written: an archive over the size limit,
with too many files or too many unpacked bytes, one that (or a member of which) unpacks to more
than BENCH_MAX_COMPRESSION_RATIO times its compressed size, a member with an absolute path or
`..`, a link or device member, a media file that does not decode or is over the media limits, a
text file that is not UTF-8. The sizes are checked from the headers first, and then again while
each member is written (the bytes are counted, headers are not trusted), so a zip bomb stops at
the limit and nothing of it is left behind. Inside, the archive may hold a General-Bench pool
(dataset_cards/ + datasets/), one General-Bench JSON file, an image or audio folder (class
sub-folders or a metadata file), or one JSONL/CSV/Parquet table.
"""
from __future__ import annotations

import shutil
import stat
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from django.conf import settings

from datapool.importers.folders import dataset_import_folder, folder_layout
from datapool.importers.general_bench import (
    dataset_import_general_bench,
    pool_import_general_bench,
)
from datapool.importers.rows import byte_size
from datapool.importers.tabular import FORMATS, dataset_import_table
from datapool.importers.writer import (
    DatasetImportReport,
    SourceNames,
    media_decode_problem,
    media_kind,
    utf8_error,
)
from teams.models import Team

TEXT_SUFFIXES = frozenset({".json", ".jsonl", ".ndjson", ".csv", ".tsv", ".txt", ".md"})
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")
# Below this, a member's ratio is not judged: a small, very regular file (a CSV of zeros, say)
# compresses far better than 100 times and costs nothing; the archive's whole ratio still counts.
RATIO_FLOOR_BYTES = 1024 * 1024
_CHUNK = 1 << 20


class ArchiveRefused(ValueError):
    """The archive is not imported; the message says why. Nothing was written."""


@dataclass(frozen=True)
class _Member:
    name: str
    size: int
    compressed: int  # 0 when the format does not say (tar: the whole stream is compressed)
    is_dir: bool


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def archive_stem(filename: str) -> str:
    """The file name without its archive suffix ("logos.tar.gz" -> "logos")."""
    lowered = filename.lower()
    suffix = next((s for s in ARCHIVE_SUFFIXES if lowered.endswith(s)), "")
    return filename[:len(filename) - len(suffix)] if suffix else filename


def _members(archive: Path) -> tuple[str, list[_Member]]:
    """The archive's kind and members, refusing links, devices and unsafe names on the way."""
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            members = []
            for info in zf.infolist():
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    raise ArchiveRefused(f"member {info.filename!r} is a symbolic link")
                members.append(_Member(info.filename, info.file_size, info.compress_size, info.is_dir()))
            return "zip", members
    try:
        with tarfile.open(archive) as tf:
            members = []
            for info in tf.getmembers():
                if info.issym() or info.islnk():
                    raise ArchiveRefused(f"member {info.name!r} is a {'symbolic' if info.issym() else 'hard'} link")
                if not (info.isfile() or info.isdir()):
                    raise ArchiveRefused(f"member {info.name!r} is a device, pipe or other special file")
                members.append(_Member(info.name, info.size, 0, info.isdir()))
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


def _check_sizes(archive_size: int, files: list[_Member]) -> None:
    """The limits, from what the headers say: file count, unpacked bytes, compression ratios."""
    if len(files) > settings.BENCH_MAX_ARCHIVE_FILES:
        raise ArchiveRefused(f"the archive holds {len(files)} files; the limit is {settings.BENCH_MAX_ARCHIVE_FILES}")
    unpacked = sum(m.size for m in files)
    if unpacked > settings.BENCH_MAX_UNPACKED_BYTES:
        raise ArchiveRefused(f"the archive unpacks to {_mb(unpacked)}; the limit is "
                             f"{_mb(settings.BENCH_MAX_UNPACKED_BYTES)}")
    ratio = settings.BENCH_MAX_COMPRESSION_RATIO
    for member in files:
        if member.compressed and member.size > RATIO_FLOOR_BYTES and member.size > ratio * member.compressed:
            raise ArchiveRefused(f"member {member.name!r} unpacks to {byte_size(member.size)} from "
                                 f"{byte_size(member.compressed)}, "
                                 f"{member.size // max(1, member.compressed)} times its compressed size; the limit is "
                                 f"{ratio} times")
    if unpacked > RATIO_FLOOR_BYTES and unpacked > ratio * max(1, archive_size):
        raise ArchiveRefused(f"the archive unpacks to {byte_size(unpacked)} from {byte_size(archive_size)}, "
                             f"{unpacked // max(1, archive_size)} times its size; the limit is {ratio} times")


class _Budget:
    """Bytes written while unpacking, counted as they are written: a member stops at the size its
    header gave (which the limits were checked against), the archive at the limits themselves."""

    def __init__(self, archive_size: int) -> None:
        self.written = 0
        self.limit = min(settings.BENCH_MAX_UNPACKED_BYTES,
                         max(RATIO_FLOOR_BYTES, settings.BENCH_MAX_COMPRESSION_RATIO * archive_size))

    def copy(self, source: IO[bytes], target: Path, member: _Member) -> None:
        written = 0
        with target.open("wb") as sink:
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                self.written += len(chunk)
                if written > member.size:
                    raise ArchiveRefused(f"member {member.name!r} unpacks to more than the {member.size} bytes its "
                                         f"header says")
                if self.written > self.limit:
                    raise ArchiveRefused(f"the archive unpacks to more than {_mb(self.limit)}, past its limits")
                sink.write(chunk)
        if written != member.size:
            raise ArchiveRefused(f"member {member.name!r} unpacked to a different size than the archive says")


def _file_streams(archive: Path, kind: str) -> Iterator[tuple[_Member, IO[bytes]]]:
    """Each file member with a stream of its bytes, in the archive's order (no lookup by name: a
    tar looks names up one by one through its whole list)."""
    if kind == "zip":
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                if not info.is_dir():
                    with zf.open(info) as stream:
                        yield _Member(info.filename, info.file_size, info.compress_size, False), stream
    else:
        with tarfile.open(archive) as tf:
            for info in tf:
                if info.isfile():
                    with tf.extractfile(info) as stream:
                        yield _Member(info.name, info.size, 0, False), stream


def _target(dest: Path, name: str) -> Path:
    """Where a member is written (a zip made on Windows may separate folders with backslashes)."""
    return dest / PurePosixPath(name.replace("\\", "/"))


def _unpack(archive: Path, kind: str, dest: Path, archive_size: int) -> None:
    """Write each file member under dest by hand (no extractall: every byte is counted)."""
    budget = _Budget(archive_size)
    root = dest.resolve()
    for member, stream in _file_streams(archive, kind):
        target = _target(dest, member.name).resolve()
        if not target.is_relative_to(root) or target == root:
            raise ArchiveRefused(f"member {member.name!r} would be written outside the archive's folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        budget.copy(stream, target, member)


def _check_contents(dest: Path, files: list[_Member]) -> None:
    for member in files:
        path = _target(dest, member.name)
        kind_of = media_kind(path.name)
        if kind_of:
            problem = media_decode_problem(path, kind_of)
            if problem:
                raise ArchiveRefused(f"member {member.name!r} {problem}")
        elif path.suffix.lower() in TEXT_SUFFIXES:
            problem = utf8_error(path)
            if problem:
                raise ArchiveRefused(f"member {member.name!r}: {problem}")


def archive_extract(*, archive: Path, dest: Path, filename: str = "") -> None:
    """Check the archive against the limits and unpack it into dest (which must not exist yet).
    On any refusal dest is removed and ArchiveRefused raised; `filename` names the archive in it."""
    size = archive.stat().st_size
    if size > settings.BENCH_MAX_UPLOAD_BYTES:
        raise ArchiveRefused(f"the archive is {_mb(size)}; the limit is {_mb(settings.BENCH_MAX_UPLOAD_BYTES)}")
    kind, members = _members(archive)
    files = [m for m in members if not m.is_dir]
    _check_sizes(size, files)
    if not files:
        raise ArchiveRefused("the archive is empty")
    _check_names(members)
    dest.mkdir(parents=True)
    try:
        _unpack(archive, kind, dest, size)
        _check_contents(dest, files)
    except ArchiveRefused:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError, KeyError) as exc:
        shutil.rmtree(dest, ignore_errors=True)
        detail = SourceNames(root=dest, label=filename or archive.name).scrub(str(exc), archive)
        raise ArchiveRefused(f"the archive cannot be unpacked: {detail}") from exc


def _content_root(root: Path) -> Path:
    """An archive often wraps everything in one top folder; look inside it."""
    entries = [e for e in root.iterdir() if not e.name.startswith((".", "__MACOSX"))]
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else root


def archive_import(*, team: Team, archive: Path, workdir: Path, filename: str = "", name: str = "",
                   mapping: dict | None = None, license: str = "",
                   on_progress: Callable[[int], None] | None = None) -> list[DatasetImportReport]:
    """Check, unpack and import an archive; the reports of the datasets it held. Raises ArchiveRefused.
    `filename` is the name the user uploaded it under: reports name its files by their paths inside it."""
    filename = filename or archive.name
    names = SourceNames(root=workdir, label=filename)
    archive_extract(archive=archive, dest=workdir, filename=filename)
    try:
        root = _content_root(workdir)
        if not name:
            name = root.name if root != workdir else archive_stem(filename)
        if (root / "dataset_cards").is_dir() and (root / "datasets").is_dir():
            return pool_import_general_bench(team=team, pool_dir=root, names=names)
        files = [p for p in root.rglob("*") if p.is_file()]
        layout = folder_layout(root)
        if layout:
            return [dataset_import_folder(team=team, root=root, name=name, license=license, mapping=mapping,
                                          names=names, on_progress=on_progress)]
        tables = [p for p in files if p.suffix.lower() in FORMATS]
        jsons = [p for p in files if p.suffix.lower() == ".json"]
        if len(tables) == 1:
            return [dataset_import_table(team=team, path=tables[0], name=name, mapping=mapping, license=license,
                                         base_dir=root, names=names, on_progress=on_progress)]
        if len(jsons) == 1:
            return [dataset_import_general_bench(team=team, json_path=jsons[0], card=None, name=name,
                                                 names=names, on_progress=on_progress)]
        raise ArchiveRefused(
            "the archive holds no dataset this platform reads: a General-Bench pool (dataset_cards/ and datasets/), "
            "one General-Bench JSON file, an image or audio folder, or one .jsonl/.csv/.tsv/.parquet table")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
