"""Freezing a benchmark version, and checking that a frozen version is still what was frozen.

Freezing records a checksum of the version's accepted items. The models refuse every ORM write to a
frozen version (benchmarks.models); what they cannot see — SQL run on the database directly, a media
file replaced on disk — the checksum and the media files' sha256 reveal: every export checks them
first (benchmarks.exporting), and `manage.py verify_checksums` checks every frozen version.
"""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from agents.tools.files import file_sha256
from benchmarks.errors import ChecksumMismatchError
from benchmarks.models import AgentRun, BenchmarkVersion, MediaAsset, Sample, SampleMedia
from teams.selectors import access_team_for_write

ACCEPTED = (Sample.Status.OK, Sample.Status.REPAIRED)
LATEST_SCHEME = BenchmarkVersion.ChecksumScheme.V2
MEDIA_PROBLEMS_LISTED = 5


def _checksum_v1(version: BenchmarkVersion) -> str:
    """Item key, question, options and answer of each accepted item (versions frozen before v2)."""
    digest = hashlib.sha256()
    for key, question, options, answer in (Sample.objects.filter(version=version, status__in=ACCEPTED)
                                           .order_by("item_key").values_list("item_key", "question", "options", "answer")):
        digest.update(f"{key}\x1f{question}\x1f{options}\x1f{answer}\x1e".encode())
    return digest.hexdigest()


def _checksum_v2(version: BenchmarkVersion) -> str:
    """Every field an export writes for each accepted item (subtask key, question, context, options,
    answer, answer index, accepted answers, answer type) and the kind and sha256 of its media, one
    JSON line per item in item-key order: JSON, so no text can pass for a separator."""
    media: dict[int, list[list[str]]] = defaultdict(list)
    for sample_id, kind, sha256 in (SampleMedia.objects.filter(sample__version=version, sample__status__in=ACCEPTED)
                                    .values_list("sample_id", "mediaasset__kind", "mediaasset__sha256")):
        media[sample_id].append([kind, sha256])
    digest = hashlib.sha256()
    rows = (Sample.objects.filter(version=version, status__in=ACCEPTED).order_by("item_key")
            .values_list("pk", "item_key", "subtask__key", "question", "context", "options", "answer", "answer_index",
                         "accepted_answers", "answer_type"))
    for pk, *fields in rows.iterator(chunk_size=2000):
        line = json.dumps([*fields, sorted(media.get(pk, []))], ensure_ascii=False, separators=(",", ":"))
        digest.update(line.encode("utf-8", "surrogatepass") + b"\n")
    return digest.hexdigest()


CHECKSUMS = {BenchmarkVersion.ChecksumScheme.V1: _checksum_v1, BenchmarkVersion.ChecksumScheme.V2: _checksum_v2}


def version_checksum(version: BenchmarkVersion, *, scheme: int | None = None) -> str:
    """The checksum of the version's accepted items under `scheme` (default: the one freezing records)."""
    return CHECKSUMS[BenchmarkVersion.ChecksumScheme(scheme or LATEST_SCHEME)](version)


def version_freeze(*, version: BenchmarkVersion, user) -> BenchmarkVersion:
    """Freeze a version: its samples no longer change (no replacement, no new cells, no edit) and its
    checksum is recorded. Owners and editors (user None: the platform itself); the build must be
    finished. Idempotent."""
    if user is not None and access_team_for_write(user=user, slug=version.benchmark.team.slug) is None:
        raise PermissionDenied("Only owners and editors of the team freeze a version.")
    if version.frozen:
        return version
    if AgentRun.objects.filter(version=version, kind__in=[AgentRun.Kind.BUILD, AgentRun.Kind.CELL]).exclude(
            status__in=AgentRun.FINISHED).exists():
        raise ValidationError({"version": f"{version} is still being built; freeze it once the build has finished."})
    if not Sample.objects.filter(version=version, status__in=ACCEPTED).exists():
        raise ValidationError({"version": f"{version} has no samples to freeze."})
    with transaction.atomic():
        # The row lock orders two concurrent freezes; the second finds the version frozen.
        if not BenchmarkVersion.objects.select_for_update().get(pk=version.pk).frozen:
            BenchmarkVersion.objects.filter(pk=version.pk, frozen=False).update(
                frozen=True, checksum=version_checksum(version), checksum_scheme=LATEST_SCHEME)
    version.refresh_from_db()
    return version


@dataclass(frozen=True)
class VersionIntegrity:
    """A frozen version's recorded checksum against its content now, and its media files on disk."""

    version: BenchmarkVersion
    recorded: str
    actual: str
    media_problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return self.recorded == self.actual and not self.media_problems

    def describe(self) -> str:
        parts = []
        if self.recorded != self.actual:
            parts.append(f"its items no longer match the checksum recorded when it was frozen (recorded "
                         f"{self.recorded[:16]}, now {self.actual[:16]})")
        if self.media_problems:
            more = len(self.media_problems) - MEDIA_PROBLEMS_LISTED
            listed = "; ".join(self.media_problems[:MEDIA_PROBLEMS_LISTED])
            parts.append(listed + (f"; and {more} more" if more > 0 else ""))
        return f"{self.version}: " + ("; ".join(parts) if parts else "intact")


def _media_problems(version: BenchmarkVersion) -> list[str]:
    """Media files of the accepted items that are missing, outside MEDIA_ROOT, or whose content is
    no longer the sha256 recorded for them."""
    root = Path(settings.MEDIA_ROOT).resolve()
    problems = []
    assets = (MediaAsset.objects.filter(samples__version=version, samples__status__in=ACCEPTED).distinct()
              .order_by("file").values_list("file", "sha256"))
    for file, sha256 in assets.iterator(chunk_size=2000):
        path = (root / file).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            problems.append(f"media file {file} is missing")
        elif file_sha256(path) != sha256:
            problems.append(f"media file {file} was changed (its sha256 is no longer {sha256[:16]})")
    return problems


def version_integrity(*, version: BenchmarkVersion, media: bool = True) -> VersionIntegrity:
    """The version's checksum recomputed with the scheme it was frozen with, and (with media) its
    media files checked against their sha256."""
    return VersionIntegrity(version=version, recorded=version.checksum,
                            actual=version_checksum(version, scheme=version.checksum_scheme),
                            media_problems=_media_problems(version) if media else [])


def check_version_intact(*, version: BenchmarkVersion, media: bool = True) -> VersionIntegrity:
    """Raise ChecksumMismatchError when a frozen version is no longer what was frozen."""
    integrity = version_integrity(version=version, media=media)
    if not integrity.intact:
        raise ChecksumMismatchError(
            f"{integrity.describe()}. It was changed outside the platform and is not exported until an "
            f"administrator finds out what changed (manage.py verify_checksums lists every such version).",
            recorded=integrity.recorded, actual=integrity.actual, problems=integrity.media_problems)
    return integrity


def frozen_versions_verify(*, team_slug: str | None = None, media: bool = True):
    """Each frozen version (of one team, or all), oldest first, with its integrity."""
    versions = BenchmarkVersion.objects.filter(frozen=True).select_related("benchmark__team").order_by("pk")
    if team_slug:
        versions = versions.filter(benchmark__team__slug=team_slug)
    for version in versions.iterator(chunk_size=200):
        yield version_integrity(version=version, media=media)
