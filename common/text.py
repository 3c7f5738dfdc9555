"""Text shown on pages, bounded: a record may hold a field far longer than a page should carry (a
40 MB row once made a 42 MB dataset page), so pages show the start of a long field and say how much
was left out."""
from __future__ import annotations

import json
from typing import Any

# Record previews (a dataset's first records, a sample's source record).
PREVIEW_CHARS = 2_000
PREVIEW_ITEMS = 100
# A sample's own text (question, context, options, answer): a reviewer reads it whole, and the
# seed pool's document contexts run to 22,535 characters.
SAMPLE_TEXT_CHARS = 50_000


def clip_text(text: str, limit: int = PREVIEW_CHARS) -> str:
    """The text, or its first `limit` characters and "… (N more characters)"."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"


def clip_json(value: Any, limit: int = PREVIEW_CHARS, items: int = PREVIEW_ITEMS) -> Any:
    """The value with every string clipped to `limit` characters and every list or object to
    `items` entries (the rest named by a note in its place)."""
    if isinstance(value, str):
        return clip_text(value, limit)
    if isinstance(value, list):
        clipped = [clip_json(v, limit, items) for v in value[:items]]
        return clipped + ([f"… ({len(value) - items:,} more items)"] if len(value) > items else [])
    if isinstance(value, dict):
        clipped = {k: clip_json(v, limit, items) for k, v in list(value.items())[:items]}
        if len(value) > items:
            clipped["…"] = f"({len(value) - items:,} more keys)"
        return clipped
    return value


def preview_json(value: Any, limit: int = PREVIEW_CHARS) -> str:
    """The value as indented JSON, clipped (clip_json)."""
    return json.dumps(clip_json(value, limit), indent=2, ensure_ascii=False, default=str)
