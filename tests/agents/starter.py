"""The starter pool's real datasets as the agent core sees them (card views and records), built
from the Debian packages the starter pool reads, with no Django: the flags of KGeography
(kgeography-data: every country's flag, name and capital), and any other starter dataset."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from agents.types import CardView, FieldSpec, MediaRef, RecordView
from datapool.starter import build_starter_pool, flags


def _card(raw: dict, *, dataset_id: int, slug: str, size: int) -> CardView:
    fields = {role: FieldSpec(paths=spec["paths"], modality=spec["modality"], content_extent=spec["content_extent"],
                              style=spec["style"], semantics=spec["semantics"])
              for role, spec in raw["meta"]["fields"].items()}
    return CardView(dataset_id=dataset_id, slug=slug, name=raw["name"], description=raw["description"],
                    card_text=raw["card_text"], tasks=raw["tasks"], domain=raw["domain"],
                    modalities=raw["modalities"], fields=fields, record_count=size)


def starter_dataset(out_dir: Path, key: str, *, slug: str, dataset_id: int, media_path: str,
                    kind: str) -> tuple[CardView, list[RecordView]]:
    """One starter dataset (`key` of datapool.starter.BUILDERS): its real card and every record, each
    media file on disk. Skipped where the package it reads is not installed."""
    from datapool.starter import BUILDERS, SourceMissing  # noqa: F401

    module = sys.modules[BUILDERS[key].__module__]
    target = out_dir / key
    try:
        build_starter_pool(target, only=[key], src_dir=out_dir / "src")
    except SourceMissing as exc:
        pytest.skip(f"starter dataset {key}: {exc}")
    cards = list((target / "dataset_cards").glob("*_card.json"))
    if not cards:
        pytest.skip(f"starter dataset {key}: its source is not installed")
    raw = json.loads(cards[0].read_text(encoding="utf-8"))
    document = json.loads((target / module.SOURCE_JSON.removeprefix("data/")).read_text(encoding="utf-8"))
    folder = target / module.FOLDER.removeprefix("data/")
    first, last = media_path.split(".")
    records = [RecordView(record_id=i, dataset_id=dataset_id, source_id=row["id"], payload=row,
                          media=[MediaRef(path=media_path, file=row[first][last],
                                          abs_path=str(folder / row[first][last]), kind=kind)])
               for i, row in enumerate(document["data"])]
    return _card(raw, dataset_id=dataset_id, slug=slug, size=len(records)), records


def flags_dataset(out_dir: Path, *, dataset_id: int = 7) -> tuple[CardView, list[RecordView]]:
    """World Flags: its real card and every record, each flag image a media file on disk."""
    if not (flags.DATA_DIR / flags.MAP_FILE).is_file():
        pytest.skip(f"the Debian package {flags.PACKAGE} is not installed")
    return starter_dataset(out_dir, "flags", slug="world-flags", dataset_id=dataset_id, media_path="input.image_file",
                           kind="image")
