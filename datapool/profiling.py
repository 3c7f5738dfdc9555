"""Profile a dataset from its records, in one streaming pass, and write its card from the profile.

The profile measures, per JSON path: value types, text lengths, distinct values (up to a cap),
media kinds, list lengths and a few examples; and what the records are about (datapool.content:
salient words, names, image sizes, audio durations). From it come role guesses (question,
options, answer, context, image, audio, label, bbox, dialog), the answer format, the usable-record
capacity and a card in the General-Bench shape, written plainly from the numbers, whose
description and domain say what the records contain (so search finds a dataset by its content).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from datapool.content import ContentProfile, media_phrase

DISTINCT_CAP = 1000
EXAMPLES = 3
LETTER = re.compile(r"^[A-H]$")
FILE_NAME = re.compile(r"\.(jpe?g|png|gif|bmp|webp|tiff?|wav|mp3|flac|ogg)$", re.IGNORECASE)
CLASSES_SHOWN = 30  # class names a card lists

ROLE_NAMES = {
    "question": ("question", "query", "prompt", "instruction", "problem", "q"),
    "options": ("options", "choices", "candidates", "answers_list", "option"),
    "answer": ("answer", "label", "target", "gold", "correct", "output", "response", "category", "class",
               "transcript", "text_answer", "prediction", "solution", "sentence"),
    "context": ("context", "passage", "raw_text", "document", "article", "premise", "story", "paragraph", "text",
                "description", "caption"),
    "dialog": ("dialog", "dialogue", "conversation", "turns", "history", "messages"),
    "bbox": ("bbox", "box", "boxes", "bboxes"),
}


@dataclass
class FieldProfile:
    path: str
    count: int = 0
    types: Counter = field(default_factory=Counter)
    text_lengths: list[int] = field(default_factory=lambda: [0, 0, 0])  # min, max, total over texts
    texts: int = 0
    distinct: set = field(default_factory=set)
    distinct_overflow: bool = False
    list_lengths: Counter = field(default_factory=Counter)
    media: Counter = field(default_factory=Counter)
    examples: list[Any] = field(default_factory=list)
    letters: int = 0

    def add(self, value: Any, media_kind: str | None) -> None:
        self.count += 1
        kind = _kind(value)
        self.types[kind] += 1
        if media_kind:
            self.media[media_kind] += 1
        if isinstance(value, str):
            n = len(value)
            if self.texts == 0:
                self.text_lengths = [n, n, n]
            else:
                self.text_lengths = [min(self.text_lengths[0], n), max(self.text_lengths[1], n),
                                     self.text_lengths[2] + n]
            self.texts += 1
            if LETTER.match(value.strip()):
                self.letters += 1
        if isinstance(value, list):
            self.list_lengths[min(len(value), 20)] += 1
        hashable = _hashable(value)
        if hashable is not None and not self.distinct_overflow:
            self.distinct.add(hashable)
            if len(self.distinct) > DISTINCT_CAP:
                self.distinct_overflow = True
                self.distinct = set()
        if len(self.examples) < EXAMPLES:
            self.examples.append(_clip(value))

    @property
    def cardinality(self) -> int | None:
        return None if self.distinct_overflow else len(self.distinct)

    @property
    def mean_text_length(self) -> float:
        return self.text_lengths[2] / self.texts if self.texts else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "count": self.count, "types": dict(self.types),
                "text_length": {"min": self.text_lengths[0], "max": self.text_lengths[1],
                                "mean": round(self.mean_text_length, 1)} if self.texts else None,
                "cardinality": self.cardinality, "list_lengths": {str(k): v for k, v in sorted(self.list_lengths.items())},
                "media": dict(self.media), "examples": self.examples}


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        if value and all(isinstance(v, str) for v in value):
            return "list[text]"
        if value and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return "list[number]"
        if value and all(isinstance(v, list) for v in value):
            return "list[list]"
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _hashable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)):
        return value if not isinstance(value, str) or len(value) <= 200 else None
    if isinstance(value, list) and len(value) <= 10 and all(isinstance(v, (str, int, float)) for v in value):
        return tuple(value)
    return None


def _clip(value: Any) -> Any:
    if isinstance(value, str):
        return value if len(value) <= 160 else value[:157] + "..."
    if isinstance(value, list):
        return [_clip(v) for v in value[:6]]
    if isinstance(value, dict):
        return {k: _clip(v) for k, v in list(value.items())[:6]}
    return value


def _leaves(node: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(path, value) of every leaf; lists are leaves (options, turns, boxes), objects are walked."""
    if isinstance(node, dict):
        found: list[tuple[str, Any]] = []
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict) and value and not _is_box_map(value):
                found += _leaves(value, path)
            else:
                found.append((path, value))
        return found
    return [(prefix, node)]


def _is_box_map(value: dict) -> bool:
    """{"bird": [[x, y, w, h]]} is one structured answer, not fields to walk into."""
    return all(isinstance(v, list) and v and all(isinstance(b, list) for b in v) for v in value.values())


class Profiler:
    def __init__(self) -> None:
        self.rows = 0
        self.fields: dict[str, FieldProfile] = {}
        self.content = ContentProfile()

    def add(self, payload: dict[str, Any], media: dict[str, str] | None = None,
            measures: list[dict[str, Any]] | None = None) -> None:
        """One record; `media` maps the paths that name media files to their kind, `measures` gives
        its media's sizes ({"width", "height"} or {"seconds"})."""
        self.rows += 1
        media = media or {}
        texts: list[str] = []
        for path, value in _leaves(payload):
            if path == "id":
                continue
            profile = self.fields.get(path)
            if profile is None:
                profile = self.fields[path] = FieldProfile(path=path)
            profile.add(value, media.get(path))
            if path not in media:
                texts += _content_texts(value)
        self.content.add_record(texts, measures)

    def result(self) -> dict[str, Any]:
        return {"rows": self.rows, "fields": {p: f.as_dict() for p, f in sorted(self.fields.items())},
                "content": self.content.as_dict()}


def _content_texts(value: Any) -> list[str]:
    """The texts of a field that say what a record is about: not file names, not codes."""
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, str) and not FILE_NAME.search(v.strip()) and any(c.isalpha() for c in v)]


# --- from profile to card -------------------------------------------------------------------------

def _name_of(path: str) -> str:
    return path.rsplit(".", 1)[-1].lower()


def _is_box(profile: FieldProfile) -> bool:
    return profile.types.get("list[number]", 0) + profile.types.get("list[list]", 0) + profile.types.get(
        "object", 0) >= profile.count * 0.8 and _name_of(profile.path) in ROLE_NAMES["bbox"] + ("text",)


def guess_roles(profile: dict[str, Any] | Profiler, mapping: dict[str, str | list[str]] | None = None) -> dict[str, list[str]]:
    """Role -> paths. A given mapping wins; the rest is guessed from names, types and media."""
    profiler = profile if isinstance(profile, Profiler) else None
    fields = profiler.fields if profiler else {}
    roles: dict[str, list[str]] = {}
    for role, paths in (mapping or {}).items():
        roles[role] = [paths] if isinstance(paths, str) else list(paths)
    taken = {p for paths in roles.values() for p in paths}

    def claim(role: str, path: str) -> None:
        if role not in roles and path not in taken:
            roles[role] = [path]
            taken.add(path)

    for path, f in fields.items():
        if f.media.get("image", 0) >= f.count * 0.5:
            claim("image", path)
        elif f.media.get("audio", 0) >= f.count * 0.5:
            claim("audio", path)
    ordered = sorted(fields.values(), key=lambda f: (f.path.count("."), f.path))
    for role in ("options", "dialog", "bbox", "question", "answer", "context"):
        for f in ordered:
            name = _name_of(f.path)
            if name not in ROLE_NAMES[role] and not (role == "answer" and f.path.startswith("output.")):
                continue
            if role == "options" and f.types.get("list[text]", 0) < f.count * 0.8:
                continue
            if role == "dialog" and f.types.get("list[text]", 0) < f.count * 0.8:
                continue
            if role == "bbox" and not _is_box(f):
                continue
            if role in ("question", "context") and f.types.get("text", 0) < f.count * 0.8:
                continue
            if role == "answer" and _is_box(f):
                claim("bbox", f.path)
                continue
            claim(role, f.path)
    # A low-cardinality text field nobody claimed is a label.
    if "answer" not in roles:
        for f in ordered:
            if f.path not in taken and f.cardinality is not None and 2 <= f.cardinality <= 50 and f.types.get("text", 0) >= f.count * 0.8:
                claim("label", f.path)
                roles.setdefault("answer", [f.path])
                break
    return roles


def answer_format(f: FieldProfile | None) -> str:
    if f is None:
        return "none"
    if f.letters >= f.count * 0.9:
        return "letter"
    if _is_box(f):
        return "boxes"
    if f.types.get("list[text]", 0) >= f.count * 0.5:
        return "list of accepted texts"
    card = f.cardinality
    if card is not None and card <= 2 and f.count >= 4:
        return "binary"
    if card is not None and card <= 50 and card <= max(2, f.count // 2):
        return f"label ({card} classes)"
    if f.types.get("number", 0) >= f.count * 0.8:
        return "number"
    return "free text"


def _extent(f: FieldProfile) -> str:
    mean = f.mean_text_length
    if f.media:
        return "single file"
    return "short" if mean < 80 else "medium" if mean < 600 else "long"


def capacity(profiler: Profiler, roles: dict[str, list[str]]) -> int:
    """Records that have every role the card relies on (answer, plus question or context, plus media).

    A lower bound measured by counts per field; the planner measures the exact capacity of a
    transformation plan by a dry run over the records.
    """
    if "answer" not in roles:
        return 0
    needed = [roles[r][0] for r in ("answer", "image", "audio") if r in roles]
    asked = [roles[r][0] for r in ("question", "context", "dialog") if r in roles]
    counts = [profiler.fields[p].count - profiler.fields[p].types.get("null", 0) for p in needed if p in profiler.fields]
    if asked:
        counts.append(max(profiler.fields[p].count for p in asked if p in profiler.fields))
    return min(counts) if counts else 0


def card_from_profile(*, name: str, profiler: Profiler, mapping: dict | None = None, license: str = "",
                      source: str = "", existing: dict | None = None) -> dict[str, Any]:
    """A General-Bench-shaped card. With an `existing` card only the profile is added to it."""
    roles = guess_roles(profiler, mapping)
    answer = profiler.fields.get(roles["answer"][0]) if "answer" in roles else None
    fmt = answer_format(answer)
    if answer is not None and (fmt.startswith("label") or fmt == "binary") and ({"image", "audio"} & set(roles)):
        # An image or audio folder of classes: its answer is a class label, a classification source as
        # direct as a question-answer set (agents.planner.search.qa_bonus reads the role).
        roles.setdefault("label", list(roles["answer"]))
    usable = capacity(profiler, roles)
    profile = {**profiler.result(), "roles": roles, "answer_format": fmt, "capacity": usable}
    if existing:
        return {**existing, "profile": profile}
    modalities = ["text"] + [m for m in ("image", "audio") if m in roles]
    fields: dict[str, dict[str, Any]] = {}
    for role, paths in roles.items():
        f = profiler.fields.get(paths[0])
        if f is None:
            continue
        modality = "image" if role == "image" else "audio" if role == "audio" else "text"
        example = f.examples[0] if f.examples else ""
        semantics = (f"{role} field at {paths[0]}: {', '.join(sorted(f.types))} values"
                     + (f", {round(f.mean_text_length)} characters on average" if f.texts else "")
                     + (f", {f.cardinality} distinct" if f.cardinality is not None and f.cardinality <= 50 else "")
                     + (f"; e.g. {example!r}" if example != "" and not f.media else ""))
        fields[role] = {"paths": paths, "modality": modality, "content_extent": _extent(f),
                        "style": "instruction" if role == "question" and f.cardinality == 1 else "other",
                        "semantics": semantics[:400]}
    labels = ""
    classes: list[str] = []
    if answer is not None and answer.cardinality is not None and answer.cardinality <= 12:
        labels = " Answers: " + ", ".join(sorted(str(v) for v in answer.distinct)) + "."
    if answer is not None and (fmt.startswith("label") or fmt == "binary"):
        classes = sorted(str(v) for v in answer.distinct)
        if answer.cardinality and answer.cardinality > 12:
            labels = (f" Classes: {', '.join(classes[:CLASSES_SHOWN])}"
                      + (f" and {len(classes) - CLASSES_SHOWN} more" if len(classes) > CLASSES_SHOWN else "") + ".")
    content = profiler.content
    salient, names = content.salient(), content.names()
    media_said = media_phrase(content.media_summary())
    lengths = [f"{role} about {round(profiler.fields[paths[0]].mean_text_length)} characters"
               for role, paths in sorted(roles.items()) if role in ("question", "context", "dialog")
               and paths[0] in profiler.fields and profiler.fields[paths[0]].texts]
    # One record's own words say more about what the records hold than any count.
    example = next((_clip(str(profiler.fields[roles[r][0]].examples[0])) for r in ("question", "context", "dialog")
                    if r in roles and roles[r][0] in profiler.fields and profiler.fields[roles[r][0]].texts
                    and profiler.fields[roles[r][0]].examples), "")
    role_list = ", ".join(sorted(roles))
    description = (f"{profiler.rows} records with {role_list}. The answer is {fmt}.{labels}"
                   + (f" About: {', '.join(salient)}." if salient else "")
                   + (f" For example: {example}" if example else "")
                   + (f" Names: {', '.join(names)}." if names else "")
                   + (f" Texts: {', '.join(lengths)}." if lengths else "")
                   + (f" Each record has {media_said}." if media_said else
                      (" Each record has an image." if "image" in roles else "")
                      + (" Each record has an audio recording." if "audio" in roles else "")))
    # The domain in a few words: the records' most salient words, or the classes a label-only set has.
    domain = ", ".join((salient or classes)[:6])[:300]
    tasks = ["multiple_choice_qa"] if "options" in roles or fmt == "letter" else (
        ["classification_multiclass"] if fmt.startswith("label") or fmt == "binary" else ["question_answering"])
    return {
        "name": name, "modalities": modalities, "io_schemas": [{"in_": modalities, "out": ["text"]}],
        "size_samples": profiler.rows, "description": description,
        "card_text": f"{description} Card written from a profile of the records (no LLM){'; source ' + source if source else ''}."
                     + (f" Licence: {license}." if license else ""),
        "tasks": tasks, "domain": domain, "license": license,
        "meta": {"fields": fields, "meta_structure_description": f"Roles guessed from field names, types and media: {role_list}."},
        "profile": profile,
    }
