"""What the starter-pool builders share: the missing-source error, the card shape of the seed pool
(General-Bench `dataset_cards/<id>_card.json`), and writes that leave unchanged files alone."""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
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
