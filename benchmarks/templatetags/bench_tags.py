"""Template filters of the pages: engine labels and readable JSON."""
from __future__ import annotations

import json

from django import template

from benchmarks.models import Engine

register = template.Library()


@register.filter
def engine_label(value: str) -> str:
    """The engine's human label ("Offline engine (deterministic, no LLM)"); the raw value if unknown."""
    try:
        return Engine(value).label
    except ValueError:
        return value or ""


@register.filter
def item_key_tail(value: str) -> str:
    """The record part of an item key ("subtask/dataset/record" -> "record"), for narrow table cells."""
    return str(value).rsplit("/", 1)[-1]


@register.filter
def pretty_json(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)


@register.filter
def percent(value) -> str:
    """A rate (0-1) as "83.3%"; an em dash when there is none."""
    if value is None or value == "":
        return "—"
    return f"{100 * float(value):.1f}%"
