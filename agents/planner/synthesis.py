"""Plans whose media are made from a dataset's own text: a dialogue spoken one voice per speaker, a
passage read aloud, a passage or question rendered as a page image, a question spoken; each the
variant of a text plan (agents.planner.transform.design_plan) with the step that makes the media
and its template questions' references to "the text above" rewritten."""
from __future__ import annotations

from agents.planner.transform import first_path
from agents.types import CardView, Operator, TransformPlan


def speech_source(card: CardView) -> str | None:
    """The path of a card's dialogue text that a spoken item can be made from, if any."""
    dialog = first_path(card, "dialog")
    if dialog:
        return dialog
    context = card.fields.get("context")
    if context and context.style == "dialog" and context.modality == "text" and context.paths:
        return context.paths[0]
    return None


_TEXT_REFERENCES = (("<MASK> in the text above", "the blank in the conversation"),
                    ("in the text above", "in the conversation"))


def _media_from_text(plan: TransformPlan, *, source: str, step: Operator, references: tuple[tuple[str, str], ...],
                     prefix: str, late: bool = False) -> TransformPlan | None:
    """The plan with `step` right after the operator that reads `source` into the context (`late`:
    once the options are made, before they are balanced, so that no record an option step turns
    away has had its media made, and those steps still read the text), and the template questions'
    references to "the text above" rewritten; None when no operator reads it."""
    ops: list[Operator] = []
    inserted = False
    for op in plan.operators:
        if op.op == "set_text" and op.params.get("into") == "question":
            text = op.params["text"]
            for old, new in references:
                text = text.replace(old, new)
            op = op.model_copy(update={"params": {**op.params, "text": text}})
        ops.append(op)
        if op.op == "read_text" and op.params.get("into") == "context" and op.params.get("path") == source:
            ops.append(step)
            inserted = True
    if not inserted:
        return None
    balance = next((i for i, op in enumerate(ops) if op.op == "balance_positions"), None)
    if late and balance is not None and ops.index(step) < balance:
        ops.remove(step)
        ops.insert(balance - 1, step)
    return plan.model_copy(update={"template": f"{prefix}_{plan.template}", "operators": ops})


def speech_plan(plan: TransformPlan, card: CardView) -> tuple[TransformPlan | None, str]:
    """The spoken variant of a text plan: its dialogue is synthesised, one voice per speaker, and
    the listener gets the recording instead of the transcript."""
    source = speech_source(card)
    if source is None:
        return None, "the card maps no dialogue text to synthesise speech from"
    if plan.template.startswith("relation_choices"):
        # "How are Speaker 1 and Speaker 2 related?": a recording gives each speaker a voice, not a label.
        return None, "its questions name the speakers by the transcript's labels, which a recording does not say"
    spoken = _media_from_text(plan, source=source, references=_TEXT_REFERENCES, prefix="spoken", late=True,
                              step=Operator(op="speak_dialogue", reads=["context"], writes=["media", "context"],
                                            params={"mask_word": "blank"}))
    return (spoken, "") if spoken else (None, f"the plan does not read the dialogue at {source} as its context")


def spoken_passage_source(card: CardView) -> str | None:
    """The path of a card's passage (a post, a review, a story) one voice can read aloud, if any."""
    return speech_source(card) or render_source(card)


_PASSAGE_REFERENCES = (("<MASK> in the text above", "the blank in the recording"),
                       ("in the text above", "in the recording"), ("this text", "this recording"),
                       ("the text", "the recording"))


def spoken_passage_plan(plan: TransformPlan, card: CardView) -> tuple[TransformPlan | None, str]:
    """The spoken variant of a text plan for a text skill over spoken inputs: a dialogue is spoken
    as one (speech_plan), any other passage is read aloud by one voice; the listener gets the
    recording instead of the text."""
    if speech_source(card):
        return speech_plan(plan, card)
    source = render_source(card)
    if source is None:
        return None, "the card maps no passage text to read aloud"
    spoken = _media_from_text(plan, source=source, references=_PASSAGE_REFERENCES, prefix="spoken", step=Operator(
        op="speak_text", reads=["context"], writes=["media", "context"],
        params={"field": "context", "instead": "Listen to the recording."}))
    return (spoken, "") if spoken else (None, f"the plan does not read the passage at {source} as its context")


def render_source(card: CardView) -> str | None:
    """The path of a card's passage text that a page image can be rendered from, if any."""
    context = card.fields.get("context")
    if context and context.modality == "text" and context.paths and context.style != "instruction":
        return context.paths[0]
    return None


_RENDER_REFERENCES = (("<MASK> in the text above", "the blank in the text in the image"),
                      ("in the text above", "in the text shown in the image"),
                      ("this conversation", "the conversation in the image"))


def render_plan(plan: TransformPlan, card: CardView) -> tuple[TransformPlan | None, str]:
    """The rendered variant of a text plan: its passage becomes a page image the model must read."""
    source = render_source(card)
    if source is None:
        return None, "the card maps no passage text to render as an image"
    rendered = _media_from_text(plan, source=source, references=_RENDER_REFERENCES, prefix="rendered", step=Operator(
        op="render_text_image", reads=["context"], writes=["media", "context"], params={"field": "context"}))
    return (rendered, "") if rendered else (None, f"the plan does not read the passage at {source} as its context")


def attached_kinds(plan: TransformPlan, card: CardView) -> list[str]:
    """The kinds of the record's media the plan attaches ("image", "audio"), in plan order."""
    kinds = []
    for op in plan.operators:
        if op.op == "attach_media":
            kind = media_kind(card, op.params.get("path", ""))
            if kind:
                kinds.append(kind)
    return kinds


def media_kind(card: CardView, path: str) -> str:
    """What kind of medium a card's path holds: "image", "audio" or "" (text or unknown)."""
    for role, spec in card.fields.items():
        if path in spec.paths:
            if spec.modality in ("image", "audio"):
                return spec.modality
            if role in ("image", "audio"):
                return role
    media = [m for m in card.modalities if m in ("image", "audio")]
    return media[0] if len(media) == 1 else ""


def _last_write(ops: list[Operator], fields: set[str]) -> int | None:
    return max((i for i, op in enumerate(ops) if fields & set(op.writes)), default=None)


SPOKEN_QUESTION_MAX_CHARS = 600  # a question longer than this is a lecture, not a question asked aloud


def spoken_question_plan(plan: TransformPlan, card: CardView) -> tuple[TransformPlan | None, str]:
    """The plan with its question asked aloud: the item carries the recording instead of the written
    question, next to whatever else it shows (the dataset's image, its text). A dialogue the plan
    speaks gets the question as its last turn, in a voice of its own, in the same recording."""
    ops = list(plan.operators)
    if _last_write(ops, {"question"}) is None:
        return None, "the plan writes no question to speak"
    dialogue = next((i for i, op in enumerate(ops) if op.op == "speak_dialogue"), None)
    if dialogue is not None:
        step = ops.pop(dialogue)
        at = _last_write(ops, {"question", "context"})
        ops.insert(at + 1, step.model_copy(update={"reads": ["context", "question"],
                                                   "writes": ["media", "context", "question"],
                                                   "params": {**step.params, "with_question": True}}))
    else:
        kinds = attached_kinds(plan, card)
        about = (" about the image" if "image" in kinds or any(op.op == "render_text_image" for op in ops) else
                 "" if "audio" in kinds else
                 " about the text above" if any("context" in op.writes for op in ops) else "")
        instead = ("Listen to the question in the second recording and answer it about the first."
                   if "audio" in kinds and "image" not in kinds else
                   f"Listen to the question in the recording and answer it{about}.")
        ops.insert(_last_write(ops, {"question"}) + 1, Operator(
            op="speak_text", reads=["question"], writes=["media", "question"],
            params={"field": "question", "instead": instead, "max_chars": SPOKEN_QUESTION_MAX_CHARS}))
    return plan.model_copy(update={"template": f"spoken_question_{plan.template}", "operators": ops}), ""


def rendered_question_plan(plan: TransformPlan) -> tuple[TransformPlan | None, str]:
    """The plan with its question shown only as text in an image: rendered on a page of its own, or
    on the page of the passage the plan already renders (the passage first, then the question)."""
    ops = list(plan.operators)
    if _last_write(ops, {"question"}) is None:
        return None, "the plan writes no question to render"
    passage = next((i for i, op in enumerate(ops) if op.op == "render_text_image"), None)
    fields = ["question"]
    if passage is not None:
        ops.pop(passage)
        fields = ["context", "question"]
    at = _last_write(ops, set(fields))
    ops.insert(at + 1, Operator(op="render_text_image", reads=fields, writes=["media", *fields],
                                params={"fields": fields}))
    template = plan.template if plan.template.startswith("rendered_") else f"rendered_{plan.template}"
    return plan.model_copy(update={"template": template.replace("rendered_", "rendered_question_", 1),
                                   "operators": ops}), ""
