"""Template filters that bound what a page shows of a long field (common.text):
`{{ text|clip }}` (2,000 characters), `{{ text|clip:50000 }}`, `{{ payload|preview_json }}`."""
from __future__ import annotations

from typing import Any

from django import template

from common import text

register = template.Library()


@register.filter
def clip(value: Any, limit: int = text.PREVIEW_CHARS) -> str:
    return text.clip_text("" if value is None else str(value), int(limit))


@register.filter
def clip_sample(value: Any) -> str:
    """A sample's own text, bounded at SAMPLE_TEXT_CHARS."""
    return text.clip_text("" if value is None else str(value), text.SAMPLE_TEXT_CHARS)


@register.filter
def preview_json(value: Any, limit: int = text.PREVIEW_CHARS) -> str:
    return text.preview_json(value, int(limit))
