"""Operators that make items the way a request's asks require, beyond what the source gives:

- `link_question`: a second hop (a knowledge link). The item shows what the record is about (a
  flag) and asks for another field of the same record (the capital of the country whose flag it
  is); the answer is that field's value, and `distractors_from_bank` then draws the distractors
  from the other records' values of the same field (capitals for a capital: type-matched).
- `limit_options`: exactly `count` options, the key and count - 1 of the distractors (a seeded
  choice), or the record is not usable for this plan.
- `keep_language`: only records whose own text is in a language asked; a text too short to tell
  stands on the dataset's language, which the planner measured over its records.
- `keep_sections`: only records in the sections the request names (the subjects "astronomy" and
  "nutrition" of an exam set, the letters and not the syllables of a spoken-alphabet set); a record
  outside them is filtered out (RecordFiltered), which is not a failure of the plan.
- `keep_answers`: only records whose answer is one of the two the request names ("positive or
  negative" of a set that also has "neutral"); the item then chooses between those two.
- `keep_durations`: only records whose answer is a duration, for a request that asks how long
- `keep_causes`: only records whose question asks a cause, for a request that asks what caused something
  things take, of a set that mixes durations with dates and times of day.
- `keep_forms`: only records whose question has one of the forms the request names (question_form:
  the clock questions "What time is shown?" of a set that also has schedule and price problems);
  the others are filtered out (RecordFiltered).
- `no_text_hints`: the item's text (question, passage) does not name its answer; otherwise the
  record is not used. (No file a sample carries keeps its metadata: the executor strips it from
  every item, agents.tools.hygiene.)

Each declares what it reads and writes like every operator; the planner adds them
(agents.planner.variants) and coverage reads them (coverage.plan_serves)."""
from __future__ import annotations

import re
from typing import Any

from agents.operators import (
    Draft,
    ItemContext,
    OperatorError,
    RecordFiltered,
    answer_values,
    get_path,
    normalise,
    operator,
)
from agents.types import RecordView


def link_wording(question: str, *, field: str, of: str) -> str:
    """The second-hop question: the source's question, then what to answer instead of it."""
    question = " ".join(question.split())
    if question and question[-1] not in ".?!:":
        question += "."
    return f"{question} Give the {field} of that {of}, not the {of} itself.".strip()


@operator("link_question")
def _link_question(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    """The question asks for the linked field (`path`, named `field`) of the `of` the source's
    question is about; the accepted answers are the record's value of that field."""
    values = answer_values(get_path(record.payload, params["path"]))
    if not values:
        raise OperatorError(f"{params['path']} holds no {params['field']}")
    source_answers = {normalise(a) for a in answer_values(get_path(record.payload, params.get("answer_path", "")))}
    if normalise(values[0]) in source_answers:
        raise OperatorError(f"the {params['field']} is the {params['of']} itself; no second hop to ask")
    draft["question"] = link_wording(draft.get("question", ""), field=params["field"], of=params["of"])
    draft["accepted_answers"] = values


@operator("limit_options")
def _limit_options(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    """Exactly `count` options: the key and a seeded choice of count - 1 distractors."""
    count = int(params["count"])
    options, key = list(draft.get("options") or []), draft.get("answer_index")
    if key is None or not 0 <= key < len(options):
        raise OperatorError("no keyed option to keep")
    if len(options) < count:
        raise OperatorError(f"the record gives {len(options)} options; {count} are asked")
    distractors = [i for i in range(len(options)) if i != key]
    ctx.rng.shuffle(distractors)
    kept = sorted([key, *distractors[:count - 1]])
    draft["options"] = [options[i] for i in kept]
    draft["answer_index"] = kept.index(key)


@operator("keep_sections")
def _keep_sections(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    """The record's value at each of `sections`' paths must be one of the values kept there."""
    for path, kept in params["sections"].items():
        value = get_path(record.payload, path)
        if not isinstance(value, str) or value.strip() not in kept:
            raise RecordFiltered(f"its {path.split('.')[-1]} is {value!r}; the request asks for {', '.join(kept)}")


_FIRST_SENTENCE = re.compile(r"^(.+?[.?!:])(?=\s|$)")
_NUMBERISH = re.compile(r"[$\u20ac\u00a3]?\d(?:[\d,.:]*\d)?%?")
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+\b")
FORM_MAX_CHARS = 160
COMMON_WORD_FREQUENCY = 20_000  # a capitalised first word this frequent is a word ("Look"), rarer a name ("Erica")


def question_form(text: Any) -> str:
    """A question's form: its first sentence, lower-cased, numbers as '#' and names as 'x', without
    end punctuation ("Tanner has $35." and "Erica has $1,525.00." are "x has #"); "" for no text."""
    from agents.tools.screen import word_frequency

    if not isinstance(text, str):
        return ""
    text = " ".join(text.split())
    match = _FIRST_SENTENCE.match(text)
    first = _NUMBERISH.sub("#", (match.group(1) if match else text)[:FORM_MAX_CHARS])

    def name(m: re.Match) -> str:
        if m.start() > 0 or word_frequency(m.group(0).lower()) < COMMON_WORD_FREQUENCY:
            return "x"
        return m.group(0)

    # Its end punctuation is not its form: the source screen mends "...field" into "...field?".
    return _CAPITALISED.sub(name, first).lower().rstrip(" .?!:")


@operator("keep_forms")
def _keep_forms(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    """The record's question (at `path`) must have one of `forms`."""
    form = question_form(get_path(record.payload, params["path"]))
    if form not in params["forms"]:
        raise RecordFiltered(f"its question is of the form {form[:60]!r}, not one the request asks for")


@operator("keep_answers")
def _keep_answers(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    """The record's answer (at `path`) must be one of `answers`: the two the request names."""
    kept = {normalise(a) for a in params["answers"]}
    values = answer_values(get_path(record.payload, params["path"]))
    if not any(normalise(v) in kept for v in values):
        raise RecordFiltered(f"its answer is {values[0] if values else 'missing'!r}; the request asks for "
                             f"{' or '.join(params['answers'])}")


@operator("keep_durations")
def _keep_durations(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    """The record's answer (at `path`) must be a duration ("about 20 minutes"): the request asks how long."""
    from agents.operators.distractors import duration_seconds

    values = answer_values(get_path(record.payload, params["path"]))
    # Most of its wordings, not one ("1400 hours" among the wordings of "2 o'clock" is a time of day).
    if 2 * sum(duration_seconds(v) is not None for v in values) <= len(values):
        raise RecordFiltered(f"its answer {values[0] if values else 'missing'!r} is not a duration; the request "
                             "asks how long")


# A question that asks a cause ("Why ...?", "What caused ...?", "... because of which ...?").
CAUSAL_QUESTION = re.compile(r"\bwhy\b|\bcaus(?:e|es|ed|ing)\b|\breasons?\b|\bbecause\b|\bled to\b|\bdue to\b|"
                             r"\bhow come\b|\bwhat made\b|\bwhat makes\b", re.IGNORECASE)


def asks_cause(question: object) -> bool:
    """Whether the question proper (up to its first ":" or "?": not the premise it quotes, as in "What
    is the effect of: he was late because ...?") asks a cause."""
    return isinstance(question, str) and bool(CAUSAL_QUESTION.search(re.split(r"[:?]", question, maxsplit=1)[0]))


@operator("keep_causes")
def _keep_causes(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    """The record's question (at `path`) must ask a cause ("Why ...?", "What caused ...?"): the request
    asks what caused something."""
    question = get_path(record.payload, params["path"])
    if not asks_cause(question):
        raise RecordFiltered(f"its question {str(question)[:60]!r} asks no cause; the request asks what caused it")


@operator("keep_language")
def _keep_language(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    """The record's text (at `paths`) must be in one of `languages` when it is long enough to tell; or,
    with `field`, the language that field of the record names (records in others are filtered out)."""
    from agents.tools.language import MIN_WORDS, identify, language_code, word_count

    if params.get("field"):
        named = get_path(record.payload, params["field"])
        if language_code(named) not in params["languages"]:
            raise RecordFiltered(f"its {params['field'].split('.')[-1]} is {named!r}; the request asks for "
                                 f"{' or '.join(params['languages'])}")
        return

    text = " ".join(" ".join(map(str, v)) if isinstance(v, list) else str(v)
                    for v in (get_path(record.payload, p) for p in params.get("paths", [])) if v not in (None, ""))
    if word_count(text) < int(params.get("min_words", MIN_WORDS)):
        return
    code, probability = identify(text)
    if code not in params["languages"] and probability >= 0.5:
        raise OperatorError(f"its text is in {code}, not {' or '.join(params['languages'])}")


_HINT_STOP = frozenset("the a an and or of to in on at for with from by is are was were be this that these those it its "
                       "which what who whom whose how why when where not no yes".split())


def _hint_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) >= 3 and w not in _HINT_STOP}


@operator("no_text_hints")
def _no_text_hints(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    """No word of the answer in the question or passage shown."""
    options, key = list(draft.get("options") or []), draft.get("answer_index")
    answers = [options[key]] if key is not None and 0 <= key < len(options) else list(draft.get("accepted_answers") or [])
    shown = _hint_words(f"{draft.get('question', '')} {draft.get('context', '')}")
    for answer in answers:
        named = sorted(_hint_words(str(answer)) & shown)
        if named:
            raise OperatorError(f"the text shown names the answer ({', '.join(named)})")
