"""The offline judge: what rules can score, and nothing else.

FSQ is the share of format and schema rules the item passes; QAC and CQC are scored only on their
rule-visible parts (the rationale says which), and CQC only when the item has a text context. UIA,
TSD, SSC and Overall need a model: they are not scored here."""
from __future__ import annotations

import re

from agents.judge import ALL_DIMENSIONS, RULES, JudgeItem, Judgement, Score

WORD = re.compile(r"[a-z0-9]+")
TEMPLATE_RESIDUE = re.compile(r"<<<|>>>|\{\{|\}\}|\$\{|\[(?:INSERT|TODO|PLACEHOLDER)[^\]]*\]", re.IGNORECASE)
NULL_MARKERS = {"nan", "null", "undefined"}
STOP = {"the", "a", "an", "of", "to", "in", "on", "is", "are", "was", "were", "what", "which", "who", "how", "why",
        "does", "do", "did", "and", "or", "for", "with", "this", "that", "it", "its", "be", "by", "as", "at", "from"}
MAX_QUESTION_CHARS = 2000


def _words(text: str) -> set[str]:
    return {w for w in WORD.findall(text.lower()) if w not in STOP and len(w) > 1}


def _score(rules: list[tuple[str, bool]]) -> Score:
    passed = [name for name, ok in rules if ok]
    failed = [name for name, ok in rules if not ok]
    rationale = f"{len(passed)} of {len(rules)} rules pass" + (f"; failed: {', '.join(failed)}" if failed else "")
    return Score(score=round(100 * len(passed) / len(rules), 2), rationale=rationale)


def _fsq(item: JudgeItem) -> Score:
    question = item.question.strip()
    rules = [
        ("question has 3+ words", len(question.split()) >= 3),
        (f"question under {MAX_QUESTION_CHARS} characters", len(question) <= MAX_QUESTION_CHARS),
        ("no template residue", not TEMPLATE_RESIDUE.search(" ".join([question, item.context, item.answer,
                                                                      *item.options]))),
        ("answer present", bool(item.answer.strip())),
        ("no field is a null marker", not any(f.strip().lower() in NULL_MARKERS
                                              for f in [question, item.answer, *item.options])),
    ]
    if item.answer_type in ("choice", "binary") or item.options:
        options = [o.strip().lower() for o in item.options]
        rules += [
            ("2-8 options", 2 <= len(options) <= 8),
            ("no empty option", all(options)),
            ("options distinct", len(set(options)) == len(options)),
            ("keyed index names the answer", item.answer_index is not None and 0 <= item.answer_index < len(options)
             and options[item.answer_index] == item.answer.strip().lower()),
        ]
    return _score(rules)


def _qac(item: JudgeItem) -> Score:
    answer = item.answer.strip().lower()
    options = [o.strip().lower() for o in item.options]
    rules = [("question does not state the answer", not answer or len(answer) < 4
              or answer not in item.question.lower())]
    if options:
        rules.append(("the answer is exactly one option", options.count(answer) == 1))
    score = _score(rules)
    return Score(score=score.score, rationale=score.rationale + "; whether the key is right needs a model")


def _cqc(item: JudgeItem) -> Score:
    if not item.context.strip():
        return Score(score=None, rationale="not scored: no text context (a model judges media and stand-alone items)")
    shared = _words(item.question) & _words(item.context)
    rules = [("question and context share content words", bool(shared)),
             ("context does not state the keyed option verbatim as the answer",
              not re.search(rf"answer\s+is\s*:?\s*{re.escape(item.answer.strip())}", item.context, re.IGNORECASE)
              if item.answer.strip() else True)]
    score = _score(rules)
    return Score(score=score.score, rationale=score.rationale + (f" (shared: {', '.join(sorted(shared)[:6])})"
                                                                 if shared else ""))


def judge_by_rules(item: JudgeItem) -> Judgement:
    scores = {d: Score(score=None, rationale="not scored: needs a model") for d in ALL_DIMENSIONS}
    scores.update(FSQ=_fsq(item), QAC=_qac(item), CQC=_cqc(item))
    return Judgement(item_key=item.item_key, judge=RULES, scores=scores)
