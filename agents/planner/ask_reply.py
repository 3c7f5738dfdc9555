"""The asks of a request as the LLM's Scope reply states them: a flat, grammar-friendly shape
(bounded strings and lists, enums for every kind and value a rule reads) that local servers can
compile into a grammar, converted into the same `Ask`s the offline analysis makes. A reply ask
that names nothing usable (a perturbation without its kind, an option count of 1) is dropped with
a note, never guessed."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from agents.offline.constraints import MATERIALS
from agents.offline.taxonomy import BY_KEY
from agents.planner.asks import (
    DEFAULT_LADDER,
    adversarial_options_ask,
    answer_format_ask,
    capability_ask,
    difficulty_ask,
    knowledge_link_ask,
    language_ask,
    material_ask,
    modality_ask,
    no_textual_hints_ask,
    option_count_ask,
    perturbation_ask,
    question_modality_ask,
    slug,
)
from agents.types import Ask, AskKind

Words = Annotated[str, Field(max_length=80)]
Severity = Annotated[int, Field(ge=1, le=5)]


class AskReply(BaseModel):
    """One ask. Fill only the fields its kind uses (see prompts/scope.md)."""

    kind: AskKind
    text: str = Field(min_length=1, max_length=200)  # the ask in plain words for a user
    skill: str = Field(default="", max_length=60)  # capability: the skill in a few lowercase words
    # input_modality: "image" or "audio"; question_modality: "speech" or "image"
    modality: Literal["", "image", "audio", "speech"] = ""
    perturbation: Literal["", "downscale", "blur", "jpeg", "occlusion", "noise", "audio_noise"] = ""
    severities: list[Severity] = Field(default_factory=list, max_length=5)  # empty: the default ladder
    count: int = Field(default=0, ge=0, le=10)  # option_count
    format: Literal["", "choice", "binary", "free_text", "span", "label"] = ""  # answer_format
    level: Literal["", "easy", "medium", "hard"] = ""  # difficulty
    language: str = Field(default="", max_length=20)  # language: an ISO 639-1 code, or "multi" for a mix
    field: str = Field(default="", max_length=40)  # knowledge_link: what to name ("capital")
    of: str = Field(default="", max_length=40)  # knowledge_link: whose ("country")
    material: str = Field(default="", max_length=40)  # material: what the items are read from ("news")
    evidence: list[Words] = Field(default_factory=list, max_length=6)  # the request's words that ask it
    uncertain: bool = False  # the request is unclear about it


def asks_from_reply(replies: list[AskReply]) -> tuple[list[Ask], list[str]]:
    """The replies as Asks (first of each key kept), and notes on those dropped."""
    asks: list[Ask] = []
    notes: list[str] = []
    for reply in replies:
        ask = _one(reply)
        if ask is None:
            notes.append(f"scope ask dropped ({reply.kind}: {reply.text!r}): it names no usable value")
        elif not any(a.key == ask.key for a in asks):
            asks.append(ask)
    return asks, notes


def _one(r: AskReply) -> Ask | None:
    common = {"evidence": list(r.evidence), "uncertain": r.uncertain, "confidence": 0.5 if r.uncertain else 0.9}
    if r.kind == "capability":
        name = r.skill or r.text
        key = slug(name, limit=50)
        if not key:
            return None
        known = BY_KEY.get(key)
        return capability_ask(key=key if known else f"custom-{key}", text=r.text,
                              capability=known.key if known else "custom", words="" if known else name, **common)
    if r.kind == "input_modality":
        return modality_ask(r.modality, **common) if r.modality in ("image", "audio") else None
    if r.kind == "question_modality":
        return question_modality_ask(r.modality, **common) if r.modality in ("speech", "image") else None
    if r.kind == "perturbation":
        return perturbation_ask(r.perturbation, r.severities or list(DEFAULT_LADDER), **common) if r.perturbation \
            else None
    if r.kind == "option_count":
        return option_count_ask(r.count, **common) if r.count >= 2 else None
    if r.kind == "answer_format":
        return answer_format_ask(r.format, **common) if r.format else None
    if r.kind == "difficulty":
        return difficulty_ask(r.level, **common) if r.level else None
    if r.kind == "language":
        code = slug(r.language, limit=20)
        return language_ask(code, name=r.language, **common) if code else None
    if r.kind == "no_textual_hints":
        return no_textual_hints_ask(**common)
    if r.kind == "adversarial_options":
        return adversarial_options_ask(**common)
    if r.kind == "material":
        name = " ".join(r.material.lower().split())
        known = next((cues for n, said, cues in MATERIALS if name == n or name in said), None)
        return material_ask(name, card_cues=list(known) if known else [name], **common) if name else None
    if r.kind == "knowledge_link":
        return knowledge_link_ask(r.field.strip().lower(), r.of.strip().lower(), **common) if r.field.strip() else None
    return None
