"""Cards as the agent core sees them (agents.types.CardView), built from the pool's rows."""
from __future__ import annotations

from typing import Any

from agents.types import CardView, FieldSpec
from datapool.models import Dataset


def field_spec(raw: Any) -> FieldSpec:
    if not isinstance(raw, dict):
        return FieldSpec()
    return FieldSpec(paths=[str(p) for p in raw.get("paths", []) if isinstance(p, str)],
                     modality=str(raw.get("modality", "text")), content_extent=str(raw.get("content_extent", "")),
                     style=str(raw.get("style", "")), semantics=str(raw.get("semantics", "")))


def card_view_build(*, dataset_id: int, slug: str, name: str, modalities: list[str], description: str,
                    card_text: str, tasks: Any, domain: str, fields: Any, record_count: int = 0) -> CardView:
    return CardView(dataset_id=dataset_id, slug=slug, name=name, description=description or "",
                    card_text=card_text or "", domain=domain or "", modalities=list(modalities or []),
                    tasks=[str(t) for t in tasks] if isinstance(tasks, list) else [],
                    fields=({str(role): field_spec(raw) for role, raw in fields.items()}
                            if isinstance(fields, dict) else {}),
                    record_count=record_count)


def dataset_card_view(dataset: Dataset) -> CardView:
    """The dataset's card (an empty one when it has none yet)."""
    card = getattr(dataset, "card", None)
    return card_view_build(dataset_id=dataset.id, slug=dataset.slug, name=dataset.name, modalities=dataset.modalities,
                           description=card.description if card else "", card_text=card.card_text if card else "",
                           tasks=card.tasks if card else [], domain=card.domain if card else "",
                           fields=card.fields if card else {}, record_count=dataset.record_count)
