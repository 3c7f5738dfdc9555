"""The source screen: before an item is made of a record, the parts of the record the plan uses are
checked, each by what it is to the item (agents.tools.screen measures):

- the question the item asks: sentences telling how to format a free answer ("Answer by typing a
  word, not a number": every item is multiple-choice) are removed; broken end punctuation
  (".?" -> "?"), a lower-case first letter and a missing question mark, a verb left uninflected by
  a machine-written question ("what do a man sit on" -> "What does a man sit on?"), and misspelt
  words with one reading ("Whcih" -> "Which") are mended (the source record keeps the original; the sample's
  `source_repair` check says what changed); a misspelt word with several readings ("Cound":
  could? count? found?), a question without a verb ("What the largest source...?") or a garbled text
  rejects the record;
- the passage or dialogue the item shows: a garbled text rejects the record (a typo in a quoted
  post is the data, not a defect);
- the images and recordings the item carries: a file that does not decode, is too small, shows no
  discernible content, has wrapped-around intensities, is silent, clipped, or too short or long.

A rejected record raises SourceRejected (an OperatorError: the executor draws the next record and
records the reason). Text is screened in English only: the dictionary is English."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from agents.operators import OperatorError, get_path
from agents.tools import screen as measure
from agents.tools.language import identify
from agents.types import RecordView, TransformPlan

MAX_AUDIO_SECONDS = 600.0


class SourceRejected(OperatorError):
    """The record fails the source screen; the message says why."""


@dataclass
class Screened:
    record: RecordView
    repairs: list[str] = field(default_factory=list)
    screened: list[str] = field(default_factory=list)  # what was looked at, for the sample's check


def _english(text: str) -> bool:
    language, _ = identify(text)
    return language == "en"


def _text_paths(plan: TransformPlan) -> dict[str, str]:
    """Record path -> the draft field the plan reads it into (question, context)."""
    paths: dict[str, str] = {}
    for op in plan.operators:
        if op.op == "read_text" and op.params.get("into") in ("question", "context"):
            paths[op.params["path"]] = op.params["into"]
    return paths


def screen_record(plan: TransformPlan, record: RecordView, *, media: bool = True,
                  max_audio_seconds: float = MAX_AUDIO_SECONDS) -> Screened:
    """The record as the item will read it (safe repairs made), or SourceRejected."""
    payload = record.payload
    result = Screened(record=record)
    for path, role in _text_paths(plan).items():
        text = get_path(payload, path)
        if not isinstance(text, str) or not text.strip():
            continue
        english = _english(text)
        if role == "question":
            # Every item is multiple-choice: a source's instructions for a free answer go.
            mended, removed = without_format_instructions(text)
            agreement: list[str] = []
            if english:
                mended, agreement = measure.mend_agreement(mended)
            mended, repairs = measure.repair_punctuation(mended)
            repairs = [f"removed {sentence!r}" for sentence in removed] + agreement + repairs
            if english:
                mended, spelling, unsure = measure.mend_spelling(mended)
                unsure = unsure or measure.verbless_question(mended) or measure.bare_verb_after_be(mended)
                if unsure:
                    raise SourceRejected(f"the question fails the source screen: {unsure}")
                repairs += spelling
            if repairs and _replaceable(payload, path):
                payload = _replaced(payload, path, mended)
                result.repairs += [f"{path}: {r}" for r in repairs]
                text = mended
        if english:
            problem = measure.garble(text)
            if problem:
                raise SourceRejected(f"the {role} fails the source screen: {problem}")
        result.screened.append(role)
    if media:
        used = {op.params.get("path") for op in plan.operators if op.op == "attach_media"}
        for ref in record.media:
            if ref.path not in used:
                continue
            problem = (measure.image_problem(ref.abs_path) if ref.kind == "image"
                       else measure.audio_problem(ref.abs_path, max_seconds=max_audio_seconds))
            if problem:
                raise SourceRejected(f"{ref.kind} {ref.file} fails the source screen: {problem}")
            result.screened.append(ref.kind)
    if payload is not record.payload:
        result.record = record.model_copy(update={"payload": payload})
    return result


# Sentences of a source question that tell a model how to format a free answer: in a multiple-choice
# item they contradict the item ("Answer by typing a time word, not a number" beside four options).
_FORMAT_SENTENCE = re.compile(
    r"^(?:please\s+)?(?:(?:answer|respond|reply)\s+(?:by|with|only|in|using)\b|(?:provide|give|write|output|return)"
    r"\s+(?:only|just)\b|(?:choose|select|pick)\s+(?:from|one of)\b.*:|(?:your|the)\s+answer\s+(?:should|must)\b|"
    r"only\s+(?:answer|output|give)\b)|\bnot\s+a\s+number\b", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?\n]*(?:[.!?]+[ \t]*|\n|$)")  # the pieces join back into the whole text


def without_format_instructions(question: str) -> tuple[str, list[str]]:
    """The question of a multiple-choice item without the sentences that tell how to format a free
    answer, and the sentences removed; the question as it is when nothing else would be left."""
    kept, removed = [], []
    for sentence in filter(None, _SENTENCE.findall(question)):
        (removed if _FORMAT_SENTENCE.search(sentence.strip()) else kept).append(sentence)
    text = "".join(kept).strip()
    if not removed or not text:
        return question, []
    return text, [s.strip() for s in removed]


def _replaceable(payload: object, path: str) -> bool:
    for part in path.split("."):
        if not isinstance(payload, dict) or part not in payload:
            return False
        payload = payload[part]
    return True


def _replaced(payload: dict, path: str, value: str) -> dict:
    """A copy of the payload with the text at `path` replaced (the record itself is not changed)."""
    head, _, rest = path.partition(".")
    copy = dict(payload)
    copy[head] = _replaced(payload[head], rest, value) if rest else value
    return copy
