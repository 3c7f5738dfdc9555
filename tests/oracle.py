"""A reviewer that knows the seed pool's answers, for scripting the LLM's verify role in tests: given
an ambiguity-check request, it finds the source record by the question's words and names the
options that record accepts as correct (as a faithful model would)."""
from __future__ import annotations

import json
import re
from functools import cache

from agents.operators import normalise
from agents.tools.screen import mend_agreement
from tests.conftest import SEED_POOL

_OPTION = re.compile(r"^([A-H])\. (.*)$", re.M)


def _answers(record: dict) -> set[str]:
    inputs, output = record.get("input") or {}, record.get("output") or {}
    found: set[str] = set()
    for value in output.values():
        values = value if isinstance(value, list) else [value]
        for v in values:
            if not isinstance(v, str):
                continue
            options = inputs.get("options")
            if len(v.strip()) == 1 and isinstance(options, list) and ord(v.strip().upper()) - 65 < len(options):
                found.add(normalise(options[ord(v.strip().upper()) - 65]))
            found.add(normalise(v))
    return found


@cache
def _records() -> list[tuple[str, str, frozenset[str]]]:
    """(the record's input as text, its question or prompt, its accepted answers), normalised."""
    rows = []
    for path in (SEED_POOL / "datasets").rglob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        for record in data.get("data", []) if isinstance(data, dict) else []:
            inputs = record.get("input") or {}
            asked = inputs.get("question") or inputs.get("prompt") if isinstance(inputs, dict) else ""
            # The question as the source screen mends it ("who stand ..." -> "who stands ...").
            asked = mend_agreement(asked)[0] if isinstance(asked, str) else ""
            rows.append((normalise(json.dumps(inputs or record, ensure_ascii=False)) + " " + normalise(asked),
                         normalise(asked), frozenset(_answers(record))))
    return rows


def request_text(request) -> str:
    """A recorded request's text parts (media parts left out)."""
    parts = []
    for message in request.messages:
        content = message.get("content", "")
        parts += [p.get("text", "") for p in content if isinstance(p, dict)] if isinstance(content, list) else [content]
    return "\n".join(parts)


def correct_letters(request) -> list[str]:
    """The letters of the options the item's source record accepts (empty when no record is found)."""
    request_text_ = request_text(request)
    question = re.search(r"^Question: (.*)$", request_text_, re.M)
    options = _OPTION.findall(request_text_)
    if not question or not options:
        return []
    asked = normalise(question.group(1))
    probe = asked[:60]
    for text, source_question, answers in _records():
        # The item's question is the record's, or a rewrite that still holds it (an author's framing).
        if (probe and probe in text) or (len(source_question) >= 10 and source_question in asked):
            letters = [letter for letter, option in options if normalise(option) in answers]
            if letters:
                return letters
    return []
