"""The starter pool's real datasets as the agent core sees them (card views and records), built
from the Debian packages the starter pool reads, with no Django: the flags of KGeography
(kgeography-data: every country's flag, name and capital)."""
from __future__ import annotations

import json
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


def flags_dataset(out_dir: Path, *, dataset_id: int = 7) -> tuple[CardView, list[RecordView]]:
    """World Flags: its real card and every record, each flag image a media file on disk."""
    if not (flags.DATA_DIR / flags.MAP_FILE).is_file():
        pytest.skip(f"the Debian package {flags.PACKAGE} is not installed")
    build_starter_pool(out_dir, only=["flags"], src_dir=out_dir / "src")
    (card_file,) = (out_dir / "dataset_cards").glob("*_card.json")
    raw = json.loads(card_file.read_text(encoding="utf-8"))
    document = json.loads((out_dir / flags.SOURCE_JSON.removeprefix("data/")).read_text(encoding="utf-8"))
    folder = out_dir / flags.FOLDER.removeprefix("data/")
    records = [RecordView(record_id=i, dataset_id=dataset_id, source_id=row["id"], payload=row,
                          media=[MediaRef(path="input.image_file", file=row["input"]["image_file"],
                                          abs_path=str(folder / row["input"]["image_file"]), kind="image")])
               for i, row in enumerate(document["data"])]
    return _card(raw, dataset_id=dataset_id, slug="world-flags", size=len(records)), records
