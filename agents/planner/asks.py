"""The asks of a request, built the same way by every engine: one constructor per kind (its key,
its params and its text in plain words for a user), and the floor asks every spec states (the
media its items carry and the robustness condition), read from a Scope. The brains add what they
read themselves (the skills asked, option counts, knowledge links...)."""
from __future__ import annotations

import re

from agents.types import Ask, Perturbation, Scope

DEFAULT_LADDER = (1, 3, 5)  # a robustness condition named without a level is tested mild, moderate and severe
_MEDIUM_WORDS = {"image": "images", "audio": "recordings"}
_PERTURBATION_WORDS = {"downscale": "low resolution", "blur": "blur", "jpeg": "JPEG compression",
                       "occlusion": "occlusion", "noise": "image noise", "audio_noise": "background noise"}
_QUESTION_WORDS = {"speech": "the question asked only as speech (a recording, no written question)",
                   "image": "the question shown only inside the image (no written question)"}
FORMAT_WORDS = {"choice": "multiple-choice answers", "binary": "yes/no answers", "free_text": "open-ended answers",
                "label": "a class label as the answer", "span": "an answer quoted from the given text"}
_LEVEL_WORDS = {"hard": "hard items", "easy": "easy items", "medium": "items of medium difficulty"}
MULTI_LANGUAGE = "multi"


def slug(text: str, *, limit: int = 60) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].strip("-")


def _ask(key: str, kind: str, text: str, params: dict, evidence: list[str] | None, confidence: float,
         uncertain: bool) -> Ask:
    return Ask(key=key[:80], kind=kind, text=text[:300],  # type: ignore[arg-type]
               params=params, evidence=evidence or [],
               confidence=round(min(max(confidence, 0.0), 1.0), 4), uncertain=uncertain)


def capability_ask(*, key: str, text: str, evidence: list[str] | None = None, capability: str = "custom",
                   confidence: float = 1.0, uncertain: bool = False, words: str = "") -> Ask:
    """The skill asked: `key` is a taxonomy key or "custom-<slug>"; a custom skill keeps the
    request's own words in params["words"], for design and grounding to search with."""
    params = {"capability": capability, **({"words": words[:300]} if words else {})}
    return _ask(f"capability:{key}", "capability", text, params, evidence, confidence, uncertain)


def modality_ask(modality: str, *, evidence: list[str] | None = None, uncertain: bool = False,
                 confidence: float = 1.0) -> Ask:
    return _ask(f"input:{modality}", "input_modality", f"{_MEDIUM_WORDS[modality]} as input",
                {"modality": modality}, evidence, confidence, uncertain)


def question_modality_ask(modality: str, *, evidence: list[str] | None = None, uncertain: bool = False,
                          confidence: float = 1.0) -> Ask:
    return _ask(f"question:{modality}", "question_modality", _QUESTION_WORDS[modality], {"modality": modality},
                evidence, confidence, uncertain)


def perturbation_ask(kind: str, severities: list[int] | tuple[int, ...], *, evidence: list[str] | None = None,
                     uncertain: bool = False, confidence: float = 1.0, why: str = "") -> Ask:
    levels = sorted({int(s) for s in severities if 1 <= int(s) <= 5}) or list(DEFAULT_LADDER)
    said = (f"at severity {levels[0]}" if len(levels) == 1 else
            f"at severities {', '.join(map(str, levels[:-1]))} and {levels[-1]}")
    return _ask(f"perturbation:{kind}", "perturbation", f"{_PERTURBATION_WORDS[kind]} {said}{why}",
                {"kind": kind, "severities": levels}, evidence, confidence, uncertain)


def option_count_ask(count: int, *, evidence: list[str] | None = None, uncertain: bool = False,
                     confidence: float = 1.0) -> Ask:
    return _ask(f"options:{count}", "option_count", f"{count} answer options per question", {"count": count},
                evidence, confidence, uncertain)


def answer_format_ask(fmt: str, *, evidence: list[str] | None = None, uncertain: bool = False,
                      confidence: float = 1.0, labels: list[str] | None = None) -> Ask:
    """The answer format; a binary one may name its two answers ("acceptable" or "wrong")."""
    if labels:
        return _ask(f"format:{fmt}", "answer_format", " or ".join(f"'{label}'" for label in labels) + " answers",
                    {"format": fmt, "labels": list(labels)}, evidence, confidence, uncertain)
    return _ask(f"format:{fmt}", "answer_format", FORMAT_WORDS.get(fmt, f"answers as {fmt}"), {"format": fmt},
                evidence, confidence, uncertain)


def difficulty_ask(level: str, *, evidence: list[str] | None = None, uncertain: bool = False,
                   confidence: float = 1.0) -> Ask:
    return _ask(f"difficulty:{level}", "difficulty", _LEVEL_WORDS.get(level, f"{level} items"), {"level": level},
                evidence, confidence, uncertain)


def language_ask(language: str, *, name: str = "", evidence: list[str] | None = None, uncertain: bool = False,
                 confidence: float = 1.0) -> Ask:
    text = ("items that mix several languages" if language == MULTI_LANGUAGE else
            f"items in {name or language}")
    return _ask(f"language:{language}", "language", text, {"language": language}, evidence, confidence, uncertain)


def no_textual_hints_ask(*, evidence: list[str] | None = None, uncertain: bool = False,
                         confidence: float = 1.0) -> Ask:
    return _ask("no_textual_hints", "no_textual_hints",
                "no textual hints: no text in or beside the item gives the answer away", {}, evidence,
                confidence, uncertain)


def adversarial_options_ask(*, evidence: list[str] | None = None, uncertain: bool = False,
                            confidence: float = 1.0) -> Ask:
    return _ask("adversarial_options", "adversarial_options",
                "options written so that keyword matching does not reveal the answer", {}, evidence, confidence,
                uncertain)


def knowledge_link_ask(field: str, of: str = "", *, evidence: list[str] | None = None, uncertain: bool = False,
                       confidence: float = 1.0) -> Ask:
    return _ask(f"knowledge:{slug(field, limit=40)}", "knowledge_link",
                f"a second step: name the {field} of {of or 'what the item shows'}",
                {"field": field, "of": of}, evidence, confidence, uncertain)


def material_ask(name: str, *, card_cues: list[str], evidence: list[str] | None = None, uncertain: bool = False,
                 confidence: float = 1.0) -> Ask:
    """The kind of text the items are read from ("news", "product reviews"): a dataset serves it when
    its card says its records are that (one of `card_cues` in its name, domain, description or tasks)."""
    return _ask(f"material:{slug(name, limit=40)}", "material", f"items read from {name}",
                {"material": name, "card_cues": card_cues}, evidence, confidence, uncertain)


def scope_asks(scope: Scope, *, modalities_given: bool) -> list[Ask]:
    """The media and robustness asks a scope states (modalities a request named in its own field are
    certain; read from its words, they are as certain as the reading)."""
    asks = [modality_ask(m, evidence=[] if modalities_given else ["(read from the request's words)"])
            for m in scope.modalities if m in _MEDIUM_WORDS]
    if scope.perturbation is not None:
        p: Perturbation = scope.perturbation
        asks.append(perturbation_ask(p.kind, [p.severity]))
    return asks


def with_floor_asks(scope: Scope, *, modalities_given: bool) -> Scope:
    """The scope with the floor asks added where the brain did not state them itself."""
    have = {a.key for a in scope.asks}
    kinds = {a.params.get("kind") for a in scope.asks if a.kind == "perturbation"}
    extra = [a for a in scope_asks(scope, modalities_given=modalities_given)
             if a.key not in have and not (a.kind == "perturbation" and a.params.get("kind") in kinds)]
    return scope.model_copy(update={"asks": [*scope.asks, *extra]}) if extra else scope
