"""The operator library: small deterministic steps a transformation plan is made of.

Each operator declares what it reads (record JSON paths, or draft fields written by earlier
steps) and what it writes (draft fields). `plan_validate` checks a plan against a card before
it runs; `plan_apply` runs it on one record.

Record paths and draft fields live in separate namespaces: a read of the record is written
`record:<json path>` (`record_read`), so a flat upload whose column is literally named `question`
reads `record:question` and is never taken for the draft field `question`. Plans stored before the
prefix existed read unprefixed paths; `read_target` still reads them as before (a name that is not
a draft field is a record path).
"""
from __future__ import annotations

import ast
import html
import json
import random
import re
from collections.abc import Callable
from typing import Any

from agents.types import CardView, MediaRef, RecordView, TransformPlan

DRAFT_FIELDS = frozenset({"question", "context", "options", "answer_index", "accepted_answers", "media"})
RECORD_PREFIX = "record:"
REQUIRED_OUTPUTS = ("question", "options", "answer_index")
MAX_OPTIONS = 5


class OperatorError(ValueError):
    """A record cannot go through an operator; the message says why."""


class RecordFiltered(OperatorError):
    """A record outside what the request asks for (another subject, another language): left out on
    purpose, which a dry run does not count against the plan."""


class ItemContext:
    """What an operator may use besides the record: a seeded RNG, the item's ordinal, and the tools
    that make media (agents.executor.toolbox.ToolBox: speech, rendering, image edits). A dry run
    checks what a tool would be given but runs no tool."""

    def __init__(self, *, seed: int, item_key: str, ordinal: int, dry_run: bool = False, tools: Any = None) -> None:
        self.rng = random.Random(f"{seed}:{item_key}")
        self.item_key = item_key
        self.ordinal = ordinal
        self.dry_run = dry_run
        self.tools = tools

    def need_tools(self, what: str) -> Any:
        if self.tools is None:
            raise OperatorError(f"{what} needs the executor's tools, which this context does not have")
        return self.tools


Draft = dict[str, Any]
OperatorFn = Callable[[Draft, RecordView, dict[str, Any], ItemContext], None]
OPERATORS: dict[str, OperatorFn] = {}


def operator(name: str) -> Callable[[OperatorFn], OperatorFn]:
    def register(fn: OperatorFn) -> OperatorFn:
        OPERATORS[name] = fn
        return fn

    return register


def get_path(payload: Any, path: str) -> Any:
    """Follow a dotted JSON path ("input.question", "output.text.bird"); None when absent."""
    node = payload
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def normalise(text: str) -> str:
    """Case, space and punctuation folding, for comparing answers and options."""
    folded = re.sub(r"[^\w\s]", " ", str(text).lower())
    return " ".join(folded.split())


_BLANK = re.compile(r"<mask>|\[mask\]|\[blank\]|_{3,}|\(_\)", re.IGNORECASE)


def has_blank(text: str) -> bool:
    """A cloze text: it holds a blank for the answer ("<MASK>", "[BLANK]", "___", "(_)")."""
    return bool(_BLANK.search(str(text)))


def is_raw_structure(text: str) -> bool:
    """Whether an option is data rather than words: a JSON list or object ('["RESIGNS", 188, 7]')."""
    stripped = str(text).strip()
    if not stripped or stripped[0] not in "[{":
        return False
    try:
        json.loads(stripped)
    except ValueError:
        # '["said", 692] -> ["RESIGNS", 188]': lists side by side are data too.
        return bool(re.match(r"^[\[{][^\]}]*[\]}]\s*(->|,|;)\s*[\[{]", stripped))
    return True


def as_text(value: Any, *, join: str = "\n") -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return join.join(v.strip() for v in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def answer_values(value: Any) -> list[str]:
    """The accepted answers a record's answer field holds: a string, or a list of equivalent strings."""
    if isinstance(value, str) and value.strip():
        return [value.strip()]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        return [v.strip() for v in value]
    return []


# --- reading text -----------------------------------------------------------------------------

@operator("read_text")
def _read_text(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    text = as_text(get_path(record.payload, params["path"]), join=params.get("join", "\n"))
    if not text:
        raise OperatorError(f"{params['path']} is empty or not text")
    draft[params["into"]] = text


@operator("set_text")
def _set_text(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    draft[params["into"]] = params["text"]


_PLACEHOLDER = re.compile(r"<<<\s*\w+\s*>>>\s*[.:]?\s*")


@operator("strip_placeholder")
def _strip_placeholder(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    """Prompts such as '<<<raw_text>>>. What is ...' embed the context; it is shown separately."""
    field = params.get("field", "question")
    text = _PLACEHOLDER.sub("", draft.get(field, "")).strip()
    if not text:
        raise OperatorError(f"{field} is empty once its placeholder is removed")
    draft[field] = text


# --- options and answers ------------------------------------------------------------------------

@operator("options_from_list")
def _options_from_list(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    value = get_path(record.payload, params["path"])
    if not isinstance(value, list) or len(value) < 2 or not all(isinstance(v, str) and v.strip() for v in value):
        raise OperatorError(f"{params['path']} is not a list of at least two texts")
    draft["options"] = [v.strip() for v in value]


_LETTERED = re.compile(r"^\s*([A-H])[.)]\s+(.+?)\s*$")
_CHOOSE_LINE = re.compile(r"^\s*(choose|answer with|select)\b.*$", re.IGNORECASE)


@operator("options_from_lettered_lines")
def _options_from_lettered_lines(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    """Options written into the question as lines 'A. ...', 'B. ...'; they move out of the question."""
    kept, options = [], []
    for line in draft.get("question", "").splitlines():
        match = _LETTERED.match(line)
        if match and chr(ord("A") + len(options)) == match.group(1):
            options.append(match.group(2))
        elif not _CHOOSE_LINE.match(line):
            kept.append(line)
    if len(options) < 2:
        raise OperatorError("the question holds fewer than two lettered options")
    draft["options"] = options
    draft["question"] = "\n".join(kept).strip()


_EMBEDDED = re.compile(r"\s*The candidate choices are\s*(\[.*\])\s*\.?\s*$", re.IGNORECASE | re.DOTALL)


@operator("options_from_embedded_list")
def _options_from_embedded_list(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    """Options written into the question as "The candidate choices are ['a', 'b']"."""
    question = draft.get("question", "")
    match = _EMBEDDED.search(question)
    if not match:
        raise OperatorError("the question holds no 'candidate choices' list")
    try:
        options = ast.literal_eval(match.group(1))
    except (ValueError, SyntaxError) as exc:
        raise OperatorError(f"the candidate choices do not parse: {exc}") from exc
    if not isinstance(options, list) or len(options) < 2 or not all(isinstance(o, str) for o in options):
        raise OperatorError("the candidate choices are not a list of at least two texts")
    from agents.tools.screen import repair_punctuation

    draft["options"] = [o.strip() for o in options]
    # What stood before the list may end in the source's quote ("...points less?' The candidate ...").
    draft["question"], mended = repair_punctuation(question[: match.start()].strip())
    if mended:
        draft.setdefault("repairs", []).extend(f"question: {m}" for m in mended)


@operator("answer_text")
def _answer_text(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    values = answer_values(get_path(record.payload, params["path"]))
    if not values:
        raise OperatorError(f"{params['path']} holds no text answer")
    banned = {normalise(v) for v in params.get("reject_answers", [])}
    if normalise(values[0]) in banned:
        raise OperatorError(f"the answer {values[0]!r} cannot key a multiple-choice item on its own")
    draft["accepted_answers"] = values


@operator("answer_from_letter")
def _answer_from_letter(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    """The answer is a letter (A = first option) or the text of one option."""
    values = answer_values(get_path(record.payload, params["path"]))
    options = draft.get("options", [])
    if not values:
        raise OperatorError(f"{params['path']} holds no answer")
    answer = values[0]
    if len(answer) == 1 and answer.upper().isalpha():
        index = ord(answer.upper()) - ord("A")
        if not 0 <= index < len(options):
            raise OperatorError(f"answer letter {answer!r} names no option (there are {len(options)})")
    else:
        matches = [i for i, option in enumerate(options) if normalise(option) == normalise(answer)]
        if len(matches) != 1:
            raise OperatorError(f"answer {answer!r} matches {len(matches)} options, not exactly one")
        index = matches[0]
    draft["answer_index"] = index
    draft["accepted_answers"] = [options[index]]


@operator("answer_match_option")
def _answer_match_option(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    options = draft.get("options", [])
    accepted = {normalise(a) for a in draft.get("accepted_answers", [])}
    matches = [i for i, option in enumerate(options) if normalise(option) in accepted]
    if len(matches) != 1:
        raise OperatorError(f"the answer matches {len(matches)} of the options, not exactly one")
    draft["answer_index"] = matches[0]


@operator("balance_positions")
def _balance_positions(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    """Shuffle distractors, keep at most MAX_OPTIONS, and put the answer at position ordinal % n,
    so answer positions are balanced across a cell."""
    options = list(draft["options"])
    correct = options.pop(draft["answer_index"])
    ctx.rng.shuffle(options)
    options = options[: MAX_OPTIONS - 1]
    position = ctx.ordinal % (len(options) + 1)
    options.insert(position, correct)
    draft["options"] = options
    draft["answer_index"] = position


@operator("attach_media")
def _attach_media(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    refs: list[MediaRef] = [m for m in record.media if m.path == params["path"]]
    if not refs:
        raise OperatorError(f"the record has no media file for {params['path']}")
    draft.setdefault("media", []).extend(refs)


# --- speech ---------------------------------------------------------------------------------------

_SPEAKER_LABEL = re.compile(r"(?:^|(?<=\s))((?:Speaker|Person|Persona|User|Agent)\s*\d+|[A-Z])\s*:\s*")
MAX_SPOKEN_CHARS = 2500


def dialogue_turns(text: str, *, mask_word: str = "blank") -> list[tuple[str, str]]:
    """A dialogue's turns as (speaker, words): labelled turns ("A: ...", "Speaker 2: ...") keep their
    speaker; unlabelled lines alternate between two speakers. Masks are spoken as `mask_word`."""
    text = re.sub(r"<MASK>", mask_word, text)
    labels = list(_SPEAKER_LABEL.finditer(text))
    turns: list[tuple[str, str]] = []
    if len(labels) >= 2:
        for i, match in enumerate(labels):
            end = labels[i + 1].start() if i + 1 < len(labels) else len(text)
            words = " ".join(text[match.end():end].split())
            if words:
                turns.append((match.group(1).replace(" ", ""), words))
        return turns
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    return [("AB"[i % 2], line) for i, line in enumerate(lines)]


QUESTION_SPEAKER = "Question"


@operator("speak_dialogue")
def _speak_dialogue(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    """The context's dialogue as one recording, a voice per speaker; the transcript leaves the item.
    With `with_question` the question is spoken too, as the last turn in a voice of its own, and
    the written question becomes an instruction to listen (the question asked only as speech)."""
    turns = dialogue_turns(draft.get("context", ""), mask_word=params.get("mask_word", "blank"))
    if len(turns) < 2:
        raise OperatorError("the dialogue has fewer than two turns to speak")
    if params.get("with_question"):
        question = " ".join(draft.get("question", "").split())
        if not question:
            raise OperatorError("question is empty; nothing to speak")
        turns.append((QUESTION_SPEAKER, question))
        draft["question"] = params.get("instead", "Listen to the conversation and to the question asked after it, "
                                                  "and answer that question.")
    chars = sum(len(words) for _, words in turns)
    limit = int(params.get("max_chars", MAX_SPOKEN_CHARS))
    if chars > limit:
        raise OperatorError(f"the dialogue is {chars} characters long; at most {limit} are spoken")
    draft["speech"] = turns
    draft["context"] = ""
    if ctx.dry_run:
        return
    recording = ctx.need_tools("speech synthesis").speak(turns, ctx.item_key)
    draft["spoken_clean"] = recording  # for the ASR round trip even once noise is mixed in
    draft.setdefault("media", []).append(recording)


_URL = re.compile(r"\bhttps?://\S+|\bwww\.\S+")
_TAG = re.compile(r"(?<![\w@#])[@#]([A-Za-z][\w]*)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def spoken_form(text: str) -> str:
    """A post as a person would read it aloud: links left out, a handle or hashtag said as its words
    ("@VirginAmerica" -> "Virgin America", "#CES2014" -> "CES2014"), entities as their characters."""
    text = _URL.sub(" ", html.unescape(text))
    text = _TAG.sub(lambda m: _CAMEL.sub(" ", m.group(1)).replace("_", " "), text)
    return " ".join(text.split())


@operator("speak_text")
def _speak_text(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    """A text field read aloud by one voice (a passage as a person would read it: spoken_form; a
    blank said as "blank"); the field then holds an instruction to listen."""
    field = params.get("field", "question")
    text = " ".join(draft.get(field, "").split())
    text = spoken_form(text) if field == "context" else text
    # A blank is said, not skipped: "______ is a common coding mistake" would lose its subject.
    text = " ".join(_BLANK.sub(" blank ", text).split())
    if not text:
        raise OperatorError(f"{field} is empty; nothing to speak")
    limit = int(params.get("max_chars", MAX_SPOKEN_CHARS))
    if len(text) > limit:
        raise OperatorError(f"{field} is {len(text)} characters long; at most {limit} are spoken")
    draft["speech"] = [("Q", text)]
    draft[field] = params.get("instead", "Listen to the question in the recording and answer it.")
    if ctx.dry_run:
        return
    recording = ctx.need_tools("speech synthesis").speak(draft["speech"], ctx.item_key)
    draft["spoken_clean"] = recording
    draft.setdefault("media", []).append(recording)


SNR_BY_SEVERITY = (20.0, 15.0, 10.0, 5.0, 0.0)


# --- ladders: a robustness condition at several kinds and severities, spread over a cell's items ------

def ladder_rung(params: dict[str, Any], ordinal: int) -> dict[str, Any]:
    """The parameters a step with a `ladder` (a list of rungs: {"kind": "blur", "severity": 3}, or
    {"severity": 3, "snr_db": 10}) gives the item with this ordinal; a step without one as it is.

    Items take the rungs in turn, and each round of len(ladder) items starts one rung further on:
    every rung comes once in the first len(ladder) items, and the rung is not tied to the answer
    position (balance_positions also cycles by ordinal)."""
    ladder = params.get("ladder")
    if not ladder:
        return params
    rung = ladder[(ordinal + ordinal // len(ladder)) % len(ladder)]
    return {**{k: v for k, v in params.items() if k != "ladder"}, **rung}


def plan_for_item(plan: TransformPlan, ordinal: int) -> TransformPlan:
    """The plan with every ladder step set to the rung this item gets: repairs and the author then
    ease or tune the condition the item really has."""
    if not any(op.params.get("ladder") for op in plan.operators):
        return plan
    return plan.model_copy(update={"operators": [
        op.model_copy(update={"params": ladder_rung(op.params, ordinal)}) if op.params.get("ladder") else op
        for op in plan.operators]})


def _condition(draft: Draft, condition: dict[str, Any]) -> None:
    """Which robustness condition the item got (kind and severity), for the sample's provenance."""
    draft.setdefault("conditions", []).append(condition)


@operator("mix_noise")
def _mix_noise(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    """The item's recording with background noise at a signal-to-noise ratio (robustness): `snr_db`,
    or a severity 1-5 (SNR_BY_SEVERITY), or a ladder of them picked by the item's ordinal."""
    params = ladder_rung(params, ctx.ordinal)
    severity = params.get("severity")
    if severity is not None and not 1 <= int(severity) <= 5:
        raise OperatorError(f"noise severity {severity} is outside 1-5")
    snr_db = float(params["snr_db"] if "snr_db" in params else
                   SNR_BY_SEVERITY[int(severity) - 1] if severity is not None else 10.0)
    if not -10.0 <= snr_db <= 40.0:
        raise OperatorError(f"snr_db {snr_db} is outside -10..40 dB")
    _condition(draft, {"kind": "audio_noise", "snr_db": snr_db,
                       **({"severity": int(severity)} if severity is not None else {})})
    audio = [i for i, m in enumerate(draft.get("media", [])) if m.kind == "audio"]
    if ctx.dry_run:
        if not audio and not draft.get("speech"):
            raise OperatorError("the item has no recording yet")
        return
    if not audio:
        raise OperatorError("the item has no recording yet")
    draft["media"][audio[-1]] = ctx.need_tools("noise mixing").noise(draft["media"][audio[-1]], snr_db, ctx.item_key)


# --- images -------------------------------------------------------------------------------------

MAX_RENDERED_CHARS = 4000
DEGRADATIONS = ("downscale", "blur", "jpeg", "occlusion", "noise")


@operator("render_text_image")
def _render_text_image(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    """Text fields rendered as one page image the model must read; the text leaves the item. `field`
    (one) or `fields` (the passage, then the question, labelled, on the same page); a rendered
    question is replaced by `instead`, an instruction to read it in the image."""
    fields = params.get("fields") or [params.get("field", "context")]
    parts = []
    for field in fields:
        text = draft.get(field, "").strip()
        if not text:
            if field == "context" and len(fields) > 1:
                continue  # a record without a passage: its page holds the question alone
            raise OperatorError(f"{field} is empty; nothing to render")
        parts.append(f"Question: {text}" if field == "question" and len(fields) > 1 else text)
    text = "\n\n".join(parts)
    limit = int(params.get("max_chars", MAX_RENDERED_CHARS))
    if len(text) > limit:
        raise OperatorError(f"{' and '.join(fields)} is {len(text)} characters long; at most {limit} are rendered")
    draft["rendered_text"] = text
    for field in fields:
        draft[field] = params.get("instead", "Read the question in the image and answer it.") \
            if field == "question" else ""
    if ctx.dry_run:
        return
    page = ctx.need_tools("rendering").render(text, ctx.item_key)
    draft["rendered_page"] = page  # the clean page, for the OCR round trip even once the item's image is degraded
    draft.setdefault("media", []).append(page)


def _last_image(draft: Draft) -> int:
    for index in range(len(draft.get("media", [])) - 1, -1, -1):
        if draft["media"][index].kind == "image":
            return index
    raise OperatorError("the item has no image yet")


@operator("degrade_image")
def _degrade_image(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    """The item's image made harder to see (robustness): downscale, blur, jpeg, occlusion or noise, 1-5,
    or a ladder of (kind, severity) rungs picked by the item's ordinal."""
    params = ladder_rung(params, ctx.ordinal)
    kind, severity = params.get("kind", "blur"), int(params.get("severity", 3))
    if kind not in DEGRADATIONS or not 1 <= severity <= 5:
        raise OperatorError(f"degradation {kind!r} at severity {severity} is not one of {list(DEGRADATIONS)} at 1-5")
    _condition(draft, {"kind": kind, "severity": severity})
    if ctx.dry_run and draft.get("rendered_text"):
        return  # the page is rendered only for real
    index = _last_image(draft)
    if ctx.dry_run:
        return
    if not draft.get("rendered_text"):
        draft.setdefault("image_clean", draft["media"][index])  # what the answer-in-image check reads
    draft["media"][index] = ctx.need_tools("image degradation").degrade(draft["media"][index], kind, severity,
                                                                        ctx.item_key)


@operator("crop_image")
def _crop_image(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    """The item's image cut to the record's box (x1, y1, x2, y2 or x, y, w, h in pixels)."""
    value = get_path(record.payload, params["path"])
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], list):
        value = value[0]
    if not (isinstance(value, list) and len(value) == 4 and all(isinstance(v, (int, float)) for v in value)):
        raise OperatorError(f"{params['path']} is not a box of four numbers")
    x1, y1, a, b = (float(v) for v in value)
    box = (x1, y1, x1 + a, y1 + b) if params.get("format") == "xywh" else (x1, y1, a, b)
    if box[2] <= box[0] or box[3] <= box[1]:
        raise OperatorError(f"{params['path']} is an empty box")
    index = _last_image(draft)
    if ctx.dry_run:
        return
    draft["media"][index] = ctx.need_tools("cropping").crop(draft["media"][index], box, ctx.item_key)


# --- plans --------------------------------------------------------------------------------------

def record_read(path: str) -> str:
    """How an operator declares that it reads this JSON path of the record."""
    return f"{RECORD_PREFIX}{path}"


def read_target(read: str) -> tuple[str, str]:
    """("record", json path) or ("draft", field) for one declared read. Unprefixed reads are those of
    plans stored before the namespaces were split: a draft field's name was the draft field (a record
    path of that name could never validate then), any other name a record path."""
    if read.startswith(RECORD_PREFIX):
        return "record", read[len(RECORD_PREFIX):]
    return ("draft", read) if read in DRAFT_FIELDS else ("record", read)


def plan_validate(plan: TransformPlan, card: CardView) -> list[str]:
    """Problems with a plan, before it runs: unknown operators, reads of fields the card does not
    map or that no earlier step wrote, required outputs never written. Empty when the plan is sound."""
    problems: list[str] = []
    card_paths = {path for spec in card.fields.values() for path in spec.paths}
    written: set[str] = set()
    for step, op in enumerate(plan.operators, start=1):
        if op.op not in OPERATORS:
            problems.append(f"step {step}: unknown operator {op.op!r}")
        for read in op.reads:
            space, name = read_target(read)
            if space == "draft":
                if name not in written:
                    problems.append(f"step {step} ({op.op}) reads {name!r} before any step writes it")
            elif name not in card_paths:
                problems.append(f"step {step} ({op.op}) reads the record's {name!r}, which the card does not map")
        for write in op.writes:
            if write not in DRAFT_FIELDS:
                problems.append(f"step {step} ({op.op}) writes unknown field {write!r}")
        written.update(op.writes)
    for field in REQUIRED_OUTPUTS:
        if field not in written:
            problems.append(f"no step writes {field!r}")
    return problems


def plan_apply(plan: TransformPlan, record: RecordView, ctx: ItemContext) -> Draft:
    """Run the plan's operators in order on one record. Raises OperatorError naming the step."""
    draft: Draft = {"question": "", "context": "", "options": [], "answer_index": None,
                    "accepted_answers": [], "media": []}
    for step, op in enumerate(plan.operators, start=1):
        try:
            OPERATORS[op.op](draft, record, op.params, ctx)
        except OperatorError as exc:
            raise type(exc)(f"step {step} ({op.op}): {exc}") from exc  # a filtered record stays filtered
    return draft


# Operators that make items the way a request's asks require (a second hop, an exact option count):
# registered on import, after everything they use is defined.
from agents.operators import asked as _asked  # noqa: F401
from agents.operators import distractors as _distractors  # noqa: F401
from agents.operators import relations as _relations  # noqa: F401
