"""What part of a dataset a request asks for: the sections it names (a subject field's values:
"astronomy and nutrition" of an exam set) and the question forms it names (the clock questions of a
set of clock, schedule and price problems). A plan keeps only those records (`keep_sections`,
`keep_forms`, first); the dry run then measures how many are left, so a plan on the part asked is
as big as that part, and a request the part cannot fill says so in its coverage."""
from __future__ import annotations

import re
from collections import Counter

from agents.operators import answer_values, get_path
from agents.operators.asked import CAUSAL_QUESTION, asks_cause
from agents.operators.asked import question_form
from agents.operators.screen import SourceRejected, screen_record
from agents.planner.transform import section_fields
from agents.types import CardView, FieldSpec, Operator, RecordView, TransformPlan

_QUOTED = re.compile(r"'[^']{1,80}'|\"[^\"]{1,80}\"|\u2018[^\u2019]{1,80}\u2019|\u201c[^\u201d]{1,80}\u201d")


def _stems(text: str) -> list[str]:
    from agents.offline.lexical import STOPWORDS

    words = [w for w in re.findall(r"[a-z]+", text.lower()) if w not in STOPWORDS and len(w) >= 3]
    return [w[:-3] + "y" if w.endswith("ies") else w[:-1] if w.endswith("s") and not w.endswith("ss") else w
            for w in words]


def _same_stem(a: str, b: str) -> bool:
    return a == b or (min(len(a), len(b)) >= 4 and (a.startswith(b) or b.startswith(a)))


def named_sections(records: list[RecordView], card: CardView, request_text: str) -> dict[str, list[str]]:
    """The sections the request names, per section field, where it names some of a field's values and
    not all (path -> values kept): "astronomy, nutrition and world religions" of an exam set's subjects,
    "letter" of a spoken alphabet's letters and syllables. A value is named when the request has its
    first word or half its words; examples the request quotes ('Sea mammal') name nothing."""
    words = _stems(_QUOTED.sub(" ", request_text))
    if not words:
        return {}

    def named(value: str) -> bool:
        stems = _stems(value)
        hits = [any(_same_stem(s, w) for w in words) for s in stems]
        return bool(stems) and (hits[0] or sum(hits) * 2 >= len(stems))

    kept: dict[str, list[str]] = {}
    for path, values in section_fields(records, card).items():
        chosen = [v for v in values if named(v)]
        if chosen and len(chosen) < len(values):
            kept[path] = chosen
    return kept


# A question form names a part of a dataset only through a word of the request that the records'
# questions have only in that form ("time": "What time is shown?" beside schedule and price problems
# that never say it), never through what every item is ("image", "shown"); only a form at least two
# records share, and never most of the records.
FORM_MAX_SHARE = 0.6
FORM_MIN_RECORDS = 2
_ITEM_WORDS = frozenset({
    # what an item asks of the model
    "show", "shown", "question", "option", "choice", "following", "look", "read", "say", "word", "pick", "select",
    "choose", "correct", "right", "best", "give", "tell", "name", "identify", "describe", "complete",
    # what the item is made of: a request describing its items this way ("chemistry diagrams") names
    # the whole dataset, not the few questions that happen to say "diagram"
    "image", "picture", "photo", "photograph", "diagram", "illustration", "figure", "drawing", "sketch", "scan",
    "screenshot", "chart", "graph", "plot", "table", "map", "page", "document", "recording", "audio", "clip",
    "video", "text", "passage", "paragraph", "sentence", "story", "dialogue", "conversation", "statement"})


def question_path(plan: TransformPlan) -> str:
    """The record path the plan reads its question from ("" when it reads none)."""
    return next((op.params.get("path", "") for op in plan.operators
                 if op.op == "read_text" and op.params.get("into") == "question"), "")


def answer_path(plan: TransformPlan) -> str:
    """The record path the plan reads its answer text from ("" when it reads none that way)."""
    return next((op.params.get("path", "") for op in plan.operators if op.op == "answer_text"), "")


def named_forms(records: list[RecordView], path: str, request_text: str) -> list[str]:
    """The question forms (question_form) the request names, where the records' questions fall into
    forms and it names some, not all: a form is named by a word of the request in its first sentence
    (the question proper, not its choices) that no question of another form has anywhere, and is
    shared by at least two records."""
    if not path or len(records) < 2 * FORM_MIN_RECORDS:
        return []
    questions = [get_path(r.payload, path) for r in records]
    rows = [(question_form(q), set(_stems(q))) for q in questions if isinstance(q, str) and q.strip()]
    forms = Counter(form for form, _ in rows)
    if not rows or len(forms) < 2:
        return []
    form_stems = {form: _stems(form) for form in forms}
    asked = {w for w in _stems(_QUOTED.sub(" ", request_text)) if w not in _ITEM_WORDS}
    kept: set[str] = set()
    for word in asked:
        said = Counter(form for form, stems in rows if any(_same_stem(s, word) for s in stems))
        having = {form for form in said if any(_same_stem(s, word) for s in form_stems[form])}  # the question proper
        if not having or set(said) - having or sum(forms[f] for f in having) > FORM_MAX_SHARE * len(rows):
            continue  # in no form, also in questions of other forms, or in most questions: no part
        kept |= {form for form in having if forms[form] >= FORM_MIN_RECORDS}
    return sorted(kept) if sum(forms[f] for f in kept) < len(rows) else []


# A request asking how long things take, of a set whose answers mix durations with dates and times.
_ASKS_DURATION = re.compile(r"\bhow long\b|\bdurations?\b|\bhow much time\b|\blength of time\b")
# ... and not other kinds of time beside it ("how long things take, when a meeting is").
_ASKS_OTHER_TIME = re.compile(r"\bwhen\b|\bwhat time\b|\bdates?\b|\btimes? of (?:the )?day\b|\bbefore\b|\bafter\b|"
                              r"\border\b|\bschedul")
DURATION_SHARE = (0.2, 0.9)  # the answers a set must have as durations for the filter to mean anything


def names_durations(records: list[RecordView], answer_path: str, request_text: str) -> bool:
    """Whether the request asks how long things take and some of the records' answers (not all, nor
    a stray few) are durations: then only those records serve."""
    from agents.operators.distractors import duration_seconds

    text = request_text.lower()
    if not answer_path or not _ASKS_DURATION.search(text) or _ASKS_OTHER_TIME.search(text):
        return False
    answers = [answer_values(get_path(r.payload, answer_path)) for r in records]
    answers = [a for a in answers if a]
    if not answers:
        return False
    share = sum(2 * sum(duration_seconds(v) is not None for v in a) > len(a) for a in answers) / len(answers)
    return DURATION_SHARE[0] <= share < DURATION_SHARE[1]


# A request asking what caused something ("ask what caused one of the events"), and not its effects too.
_ASKS_CAUSE = re.compile(r"\bwhat (?:caused|causes|led to|leads to|made)\b|\bthe causes?\b|\bwhy\b|\breasons? (?:for|why)\b|"
                         r"\bcaused\b|\bcause of\b")
_ASKS_EFFECT = re.compile(r"\beffects?\b|\bconsequences?\b|\boutcomes?\b|\bresults?\b|\bwhat happen")
CAUSE_SHARE = (0.2, 0.9)  # the questions a set must have asking a cause for the filter to mean anything


def names_causes(records: list[RecordView], question: str, request_text: str) -> bool:
    """Whether the request asks what caused something and some of the records' questions (not all,
    nor a stray few) ask a cause: then only those records serve ("What country supported the accord?"
    tests reading, not finding a cause)."""
    text = request_text.lower()
    if not question or not _ASKS_CAUSE.search(text) or _ASKS_EFFECT.search(text):
        return False
    questions = [q for q in (get_path(r.payload, question) for r in records) if isinstance(q, str) and q.strip()]
    if not questions:
        return False
    share = sum(asks_cause(q) for q in questions) / len(questions)
    return CAUSE_SHARE[0] <= share < CAUSE_SHARE[1]


def section_plan(plan: TransformPlan, card: CardView, records: list[RecordView], request_text: str
                 ) -> tuple[TransformPlan, CardView]:
    """The plan keeping only the records of the sections and question forms the request names
    (`keep_sections`, `keep_forms`, first), and the card with those section fields mapped; both as
    they are when the request names no part of this dataset."""
    steps = []
    kept = named_sections(records, card, request_text)
    if kept:
        steps.append(Operator(op="keep_sections", reads=[f"record:{p}" for p in kept], writes=[],
                              params={"sections": kept}))
        card = card.model_copy(update={"fields": {**card.fields,
                                                  **{f"section:{p}": FieldSpec(paths=[p]) for p in kept}}})
    path = question_path(plan)
    forms = named_forms(_as_screened(plan, records) if path else records, path, request_text)
    causes = names_causes(records, path, request_text)
    if causes and all(CAUSAL_QUESTION.search(form) for form in forms):
        forms = []  # "what caused" named as the cause asked, not as the one wording kept: keep_causes keeps them all
    if forms:
        steps.append(Operator(op="keep_forms", reads=[f"record:{path}"], writes=[],
                              params={"path": path, "forms": forms}))
    answer = answer_path(plan)
    durations = names_durations(records, answer, request_text)
    if durations:
        steps.append(Operator(op="keep_durations", reads=[f"record:{answer}"], writes=[], params={"path": answer}))
    if causes:
        steps.append(Operator(op="keep_causes", reads=[f"record:{path}"], writes=[], params={"path": path}))
    if not steps:
        return plan, card
    suffix = "".join(("+sections" if kept else "", "+forms" if forms else "", "+durations" if durations else "",
                      "+causes" if causes else ""))
    return plan.model_copy(update={"template": f"{plan.template}{suffix}",
                                   "operators": [*steps, *plan.operators]}), card


def _as_screened(plan: TransformPlan, records: list[RecordView]) -> list[RecordView]:
    """The records as the items will read them (the source screen's repairs made, the records it
    rejects left out): `keep_forms` sees a question after the screen has mended it ("what do a group
    of people" is "what does a group of people" by then), so its forms are taken from the same text."""
    kept = []
    for record in records:
        try:
            kept.append(screen_record(plan, record, media=False).record)
        except SourceRejected:
            continue
    return kept


def kept_part(plan: TransformPlan) -> str:
    """What part of its dataset the plan keeps, in words ("" for all of it)."""
    parts = []
    for op in plan.operators:
        if op.op == "keep_sections":
            parts += [f"its {path.rsplit('.', 1)[-1]} {', '.join(values)}" for path, values in op.params["sections"].items()]
        elif op.op == "keep_forms":
            parts.append("its questions of the form " + ", ".join(f"'{f}'" for f in op.params["forms"]))
        elif op.op == "keep_durations":
            parts.append("its items whose answer is a duration")
        elif op.op == "keep_causes":
            parts.append("its questions that ask a cause")
    return "; ".join(parts)
