"""How a target model is asked an item, and how its reply is scored."""
from __future__ import annotations

import re
import string
from typing import Any

from agents.evaluate import EvalItem
from agents.executor.llm_checks import media_parts

LETTERS = "ABCDEFGH"
ARTICLES = re.compile(r"\b(a|an|the)\b")
# From the most to the least explicit way of naming a choice.
LETTER_PATTERNS = [
    re.compile(r"(?:answer|option|choice)\s*(?:is|:)?\s*\(?\**([A-H])\b\)?", re.IGNORECASE),
    re.compile(r"^\s*\**\(?([A-H])\)?\**\s*(?:[.):\]]|$)", re.MULTILINE),
    re.compile(r"\(([A-H])\)"),
]
LONE_LETTER = re.compile(r"\b([A-H])\b")  # only in a short reply: in a sentence, "A" is an article


def eval_messages(item: EvalItem) -> list[dict[str, Any]]:
    lines = []
    if item.context:
        lines.append(f"Context:\n{item.context}\n")
    lines.append(f"Question: {item.question}")
    if item.options:
        lines += [f"{LETTERS[i]}. {option}" for i, option in enumerate(item.options)]
        lines.append("\nAnswer with the letter of the correct option only.")
    else:
        lines.append("\nAnswer with a short phrase only.")
    text = "\n".join(lines)
    content: Any = [{"type": "text", "text": text}, *media_parts(item)] if item.media else text
    return [{"role": "user", "content": content}]


def extract_letter(text: str, options: list[str]) -> str:
    """The option a reply names — "B", "Answer: B", "(B) a cat", "**B**", or exactly one option's
    text — as its letter; "" when it names none."""
    allowed = LETTERS[:len(options)]
    only = re.fullmatch(r"\s*\(?([a-hA-H])\)?[.)]?\s*", text)
    if only and only.group(1).upper() in allowed:
        return only.group(1).upper()
    for pattern in LETTER_PATTERNS:
        for match in pattern.finditer(text.strip()):
            letter = match.group(1).upper()
            if letter in allowed:
                return letter
    reply = normalise(text)
    named = [i for i, option in enumerate(options) if normalise(option) == reply] or \
        [i for i, option in enumerate(options) if normalise(option) and f" {normalise(option)} " in f" {reply} "]
    if len(named) == 1:
        return LETTERS[named[0]]
    if len(text.split()) <= 3:
        lone = [m.group(1) for m in LONE_LETTER.finditer(text) if m.group(1) in allowed]
        if len(set(lone)) == 1:
            return lone[0]
    return ""


def normalise(text: str) -> str:
    """Lower case, no punctuation, no articles, single spaces (SQuAD's answer normalisation)."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    return " ".join(ARTICLES.sub(" ", text).split())


def score_reply(item: EvalItem, raw: str) -> tuple[str, bool | None, str]:
    """(parsed answer, correct, method). Choice items: the letter, else an option's text named
    exactly; other items: normalised exact match with the answer or any accepted answer; free text
    matching none is undecided (None, "judge")."""
    if item.options:
        letter = extract_letter(raw, item.options)
        if not letter:
            return "", False, "letter"
        return letter, LETTERS.index(letter) == item.answer_index, "letter"
    parsed = normalise(raw)
    if parsed and parsed == normalise(item.answer):
        return parsed, True, "exact"
    if parsed and parsed in {normalise(a) for a in item.accepted_answers}:
        return parsed, True, "accepted"
    if item.answer_type == "free_text":
        return parsed, None, "judge"
    return parsed, False, "exact"


def chance(item: EvalItem) -> float:
    """The probability of a right answer by guessing: 1 / options; 0.5 for a binary item; 0 otherwise."""
    if item.options:
        return 1 / len(item.options)
    if item.answer_type == "binary":
        return 0.5
    return 0.0
