"""Scope (offline): the request read into a topic, keywords, media and its explicit asks
(agents.offline.analysis), or the problems that keep it from being planned."""
from __future__ import annotations

import re

from agents.offline.analysis import analyse
from agents.offline.lexical import keywords
from agents.tools.embedding import Embedder
from agents.types import BuildRequest, Scope


def topic_of(text: str) -> str:
    """The request's first sentence, at most 120 characters."""
    text = " ".join(text.split())
    first_sentence = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return first_sentence if len(first_sentence) <= 120 else first_sentence[:117].rsplit(" ", 1)[0] + "..."


def scope_parse(request: BuildRequest, *, embedder: Embedder | None = None) -> Scope:
    analysis = analyse(request, embedder=embedder)
    text = " ".join(request.text.split())
    return Scope(
        topic=topic_of(text) or "(empty request)",
        modalities=analysis.modalities,  # type: ignore[arg-type]
        keywords=keywords(text, limit=8),
        target_size=request.target_size,
        modalities_inferred=not request.modalities,
        perturbation=analysis.perturbation,
        asks=analysis.asks,
        problems=analysis.problems,
    )
