"""The item author: with an LLM, each sample the plan made is handed to the model with the
benchmark's intent, its media and its source record, and the model chooses and parameterises up
to MAX_STEPS steps within the approved plan: rewrite the question, write a missing context,
replace a distractor, or tune a tool step's parameter within bounds (the item is then made again
by the real tools). Each step is checked when it is applied (the rule checks; the media checks
for a tuned tool step) and rolled back if it breaks the item; every step, applied or rolled back,
is recorded on the sample. Offline there is no author: the plan runs as written."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from string import Template
from typing import Literal

from pydantic import BaseModel, Field

from agents.executor.llm_checks import LETTERS, media_parts
from agents.executor.repair import with_params
from agents.executor.verify import recheck_options
from agents.llm import LLMError, LLMRequest, fence_data
from agents.operators import OperatorError
from agents.types import Check, SampleDraft, TransformPlan

MAX_STEPS = 3
MAX_QUESTION_CHARS = 500
MAX_CONTEXT_CHARS = 1000
MAX_OPTION_CHARS = 200
# The tool parameters the author may set: (operator, parameter) -> (low, high).
TUNABLE = {("degrade_image", "severity"): (1, 5), ("mix_noise", "snr_db"): (-5.0, 30.0)}
PROMPT = Path(__file__).with_name("prompts") / "author.md"


class AuthorStep(BaseModel):
    action: Literal["keep", "rewrite_question", "write_context", "replace_distractor", "tune"]
    text: str = Field(default="", max_length=MAX_CONTEXT_CHARS,
                      description="The new question, context or distractor.")
    option: str = Field(default="", max_length=1, description="replace_distractor: the letter of the option.")
    tool: str = Field(default="", max_length=40, description="tune: the plan step, degrade_image or mix_noise.")
    value: float | None = Field(default=None, description="tune: the new severity (1-5) or SNR in dB (-5-30).")
    rationale: str = Field(default="", max_length=300)


class AuthorReply(BaseModel):
    steps: list[AuthorStep] = Field(default_factory=list, max_length=MAX_STEPS)


def _tunable_steps(plan: TransformPlan) -> list[tuple[str, str, tuple[float, float]]]:
    ops = {op.op for op in plan.operators}
    return [(op, param, bounds) for (op, param), bounds in TUNABLE.items() if op in ops]


def author_prompt(draft: SampleDraft, *, intent: str, plan: TransformPlan, record_payload: str) -> list[dict]:
    options = "\n".join(f"{LETTERS[i]}. {option}" for i, option in enumerate(draft.options))
    item = (f"Question: {draft.question}\n" + (f"Context: {draft.context}\n" if draft.context else "")
            + f"Options:\n{options}\nKey: {LETTERS[draft.answer_index or 0]}")
    if draft.rendered_text:
        item += f"\nThe attached image shows this text: {draft.rendered_text}"
    if draft.speech_text:
        item += f"\nThe attached recording says: {draft.speech_text}"
    tunable = _tunable_steps(plan)
    tune_help = "".join(f"- tune (tool={op}, value): set {param} of the plan's {op} step, from {low:g} to {high:g}.\n"
                        for op, param, (low, high) in tunable)
    text = Template(PROMPT.read_text(encoding="utf-8")).substitute(
        max_steps=MAX_STEPS, intent=fence_data("intent", intent), tune_help=tune_help,
        item=fence_data("item", item) + "\n" + fence_data("source record", record_payload[:3000]))
    parts = media_parts(draft)
    return [{"role": "system", "content": "You write and improve benchmark items. Reply with JSON only."},
            {"role": "user", "content": [{"type": "text", "text": text}, *parts] if parts else text}]


def author_request(draft: SampleDraft, *, intent: str, plan: TransformPlan, record_payload: str) -> LLMRequest:
    return LLMRequest(author_prompt(draft, intent=intent, plan=plan, record_payload=record_payload), AuthorReply,
                      "author", draft.item_key)


def question_medium_of(plan: TransformPlan) -> str:
    """"speech" or "image" when the plan gives the question only in a recording or an image."""
    for op in plan.operators:
        if (op.op == "speak_text" and op.params.get("field", "question") == "question") or (
                op.op == "speak_dialogue" and op.params.get("with_question")):
            return "speech"
        if op.op == "render_text_image" and "question" in (op.params.get("fields") or [op.params.get("field")]):
            return "image"
    return ""


def _text_step(draft: SampleDraft, step: AuthorStep, *, question_medium: str = "") -> SampleDraft | str:
    """The draft with one text step applied, or why the step cannot apply."""
    text = " ".join(step.text.split())
    if step.action == "rewrite_question":
        if question_medium or "speak_text" in draft.operators:
            return ("the question is the one shown in the image" if question_medium == "image"
                    else "the question is the one spoken in the recording")
        if not 5 <= len(text) <= MAX_QUESTION_CHARS:
            return f"a question must have 5 to {MAX_QUESTION_CHARS} characters"
        return draft.model_copy(update={"question": text})
    if step.action == "write_context":
        if draft.context:
            return "the item already has a context from its source record"
        if not 5 <= len(text) <= MAX_CONTEXT_CHARS:
            return f"a context must have 5 to {MAX_CONTEXT_CHARS} characters"
        return draft.model_copy(update={"context": text})
    if step.action == "replace_distractor":
        index = LETTERS.find(step.option.upper()) if step.option else -1
        if not 0 <= index < len(draft.options) or index == draft.answer_index:
            return f"option {step.option!r} is not a distractor of this item"
        if not 1 <= len(text) <= MAX_OPTION_CHARS:
            return f"an option must have 1 to {MAX_OPTION_CHARS} characters"
        options = list(draft.options)
        options[index] = text
        return draft.model_copy(update={"options": options})
    return f"{step.action} is not a text step"


def _tuned(plan: TransformPlan, step: AuthorStep) -> tuple[TransformPlan, str] | str:
    bounds = {op: (param, b) for (op, param), b in TUNABLE.items()}.get(step.tool)
    if bounds is None or step.value is None:
        return f"{step.tool or 'no step'} has no parameter the author may set"
    param, (low, high) = bounds
    if not low <= step.value <= high:
        return f"{param} {step.value:g} is outside {low:g}..{high:g}"
    value = int(step.value) if param == "severity" else float(step.value)
    # A noise step's severity names the SNR it had; once the SNR is set, the SNR alone says what the item has.
    tuned = with_params(plan, step.tool, lambda params: (
        {**{k: v for k, v in params.items() if not (param == "snr_db" and k == "severity")}, param: value},
        f"{step.tool} {param} set to {value:g}"))
    if tuned is None:
        return f"the plan has no {step.tool} step"
    return tuned


def author_apply(draft: SampleDraft, reply: AuthorReply | LLMError, *, plan: TransformPlan,
                 remake: Callable[[TransformPlan], SampleDraft]) -> SampleDraft:
    """The draft after the author's steps: each applied and checked in turn, rolled back if it breaks
    the item (a tool step first: it makes the item again from the record). An author call that
    failed leaves the item as the plan made it. Every step is recorded as an `author` check."""
    if isinstance(reply, LLMError):
        note = Check(name="author", ok=True, detail=f"the author call failed, the item stays as the plan made it: "
                                                    f"{str(reply)[:300]}")
        return draft.model_copy(update={"checks": [*draft.checks, note]})
    notes: list[Check] = []
    applied: list[str] = []
    current, superseded = draft, list(draft.superseded)
    steps = [s for s in reply.steps if s.action != "keep"][:MAX_STEPS]
    for step in sorted(steps, key=lambda s: s.action != "tune"):
        why = f" ({step.rationale})" if step.rationale else ""
        if step.action == "tune":
            tuned = _tuned(plan, step)
            if isinstance(tuned, str):
                notes.append(Check(name="author", ok=True, detail=f"tune refused: {tuned}"))
                continue
            try:
                again = remake(tuned[0])
            except OperatorError as exc:
                notes.append(Check(name="author", ok=True, detail=f"tune rolled back: {exc}"))
                continue
            if again.status == "rejected":
                notes.append(Check(name="author", ok=True,
                                   detail=f"tune rolled back ({tuned[1]}): {'; '.join(again.rejected_reasons)}"))
                superseded += [m for m in again.media if m.sha256 not in {n.sha256 for n in current.media}]
                continue
            superseded += [m for m in current.media if m.sha256 not in {n.sha256 for n in again.media}]
            current, plan = again, tuned[0]
            applied.append("tune")
            notes.append(Check(name="author", ok=True, detail=f"applied: {tuned[1]}{why}"))
            continue
        candidate = _text_step(current, step, question_medium=question_medium_of(plan))
        if isinstance(candidate, str):
            notes.append(Check(name="author", ok=True, detail=f"{step.action} refused: {candidate}"))
            continue
        checked = recheck_options(candidate)
        if checked.status == "rejected":
            notes.append(Check(name="author", ok=True, detail=f"{step.action} rolled back: "
                                                               f"{'; '.join(checked.rejected_reasons)}"))
            continue
        current = checked.model_copy(update={"answer": checked.options[checked.answer_index or 0]})
        applied.append(step.action)
        notes.append(Check(name="author", ok=True, detail=f"applied {step.action}{why}"))
    if not notes:
        notes.append(Check(name="author", ok=True, detail="kept as the plan made it"))
    # A repaired item stays "repaired" unless a tool step made it again from the record.
    status = "repaired" if draft.status == "repaired" and current.status == "ok" and "tune" not in applied \
        else current.status
    return current.model_copy(update={
        "checks": [*current.checks, *notes], "superseded": superseded, "status": status,
        "operators": [*current.operators, *(f"author:{a}" for a in applied)],
        "engine": "llm" if applied else current.engine})
