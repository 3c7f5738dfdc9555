"""Repairs: a sample that failed a check whose fault can be fixed is mended and checked again, at
most MAX_REPAIRS times; if it then passes, its outcome is "repaired" and its checks say what was
wrong and what was done. Every repair is deterministic and leaves the item's meaning alone:

- a page degraded on purpose that OCR can no longer read, or whose key words it reads only as a guess,
  is degraded again one severity milder;
- a recording with noise mixed in on purpose that speech recognition cannot follow gets the noise
  5 dB quieter;
- options that duplicate another option or match an accepted answer besides the keyed one (two
  correct options) are dropped, as are options an LLM verifier found also defensible (ambiguity),
  as long as the key and at least one distractor remain.

Anything else (a wrong key, a leak, a decoding failure, a near-duplicate) is not repairable here:
the sample is rejected and replenishment replaces it."""
from __future__ import annotations

from agents.operators import SNR_BY_SEVERITY, normalise
from agents.operators.distractors import is_paraphrase
from agents.types import Check, SampleDraft, TransformPlan

MAX_REPAIRS = 2
NOISE_STEP_DB = 5.0
NOISE_MAX_SNR_DB = 25.0


def with_params(plan: TransformPlan, op_name: str, update) -> tuple[TransformPlan, str] | None:
    """The plan with the last `op_name` step's parameters changed by `update` (None when it cannot ease)."""
    for index in range(len(plan.operators) - 1, -1, -1):
        op = plan.operators[index]
        if op.op != op_name:
            continue
        eased = update(dict(op.params))
        if eased is None:
            return None
        params, note = eased
        operators = list(plan.operators)
        operators[index] = op.model_copy(update={"params": params})
        return plan.model_copy(update={"operators": operators}), note
    return None


def _milder_degradation(params: dict) -> tuple[dict, str] | None:
    severity = int(params.get("severity", 3))
    if severity <= 1:
        return None
    kind = params.get("kind", "blur")
    return {**params, "severity": severity - 1}, f"degradation eased from {kind}:{severity} to {kind}:{severity - 1}"


def _quieter_noise(params: dict) -> tuple[dict, str] | None:
    severity = params.get("severity")
    snr = float(params["snr_db"] if "snr_db" in params else
                SNR_BY_SEVERITY[int(severity) - 1] if severity is not None else 10.0)
    if snr >= NOISE_MAX_SNR_DB:
        return None
    louder = min(NOISE_MAX_SNR_DB, snr + NOISE_STEP_DB)
    # The SNR now says what the item has; a severity would name the condition it no longer has.
    eased = {k: v for k, v in params.items() if k != "severity"}
    return {**eased, "snr_db": louder}, f"noise eased from {snr:g} dB to {louder:g} dB SNR"


PLAN_REPAIRS = {
    "degraded_legible": ("degrade_image", _milder_degradation),
    "degraded_discernible": ("degrade_image", _milder_degradation),
    "key_legible": ("degrade_image", _milder_degradation),  # a clean page that hides its key cannot ease: refused
    "noisy_intelligible": ("mix_noise", _quieter_noise),
}


def eased_plan(plan: TransformPlan, failed: Check) -> tuple[TransformPlan, str] | None:
    """A milder plan for a made medium that failed its check, with what changed; None if none."""
    if failed.name not in PLAN_REPAIRS:
        return None
    op_name, update = PLAN_REPAIRS[failed.name]
    return with_params(plan, op_name, update)


def fixed_option_count(plan: TransformPlan) -> int | None:
    """The number of options the plan's items must have (an option count the request asked for)."""
    counts = [int(op.params["count"]) for op in plan.operators if op.op == "limit_options"]
    return counts[-1] if counts else None


def without_options(draft: SampleDraft, drop: set[int], why: str) -> tuple[SampleDraft, str] | None:
    """The draft without the options at `drop` (never the keyed one), or None when fewer than one
    distractor would remain."""
    drop = drop - {draft.answer_index}
    if not drop:
        return None
    kept = [i for i in range(len(draft.options)) if i not in drop]
    if len(kept) < 2:
        return None
    options = [draft.options[i] for i in kept]
    answer_index = kept.index(draft.answer_index or 0)
    removed = ", ".join(repr(draft.options[i]) for i in sorted(drop))
    return (draft.model_copy(update={"options": options, "answer_index": answer_index,
                                     "answer": options[answer_index]}),
            f"dropped {removed}: {why}")


def clashing_options(draft: SampleDraft) -> set[int]:
    """Options that repeat an earlier option, match an accepted answer besides the keyed option, or
    restate the key ("quarter past" beside the key "quarter")."""
    accepted = {normalise(a) for a in draft.accepted_answers}
    seen: set[str] = set()
    clashing: set[int] = set()
    keyed = normalise(draft.options[draft.answer_index or 0])
    seen.add(keyed)
    for index, option in enumerate(draft.options):
        if index == draft.answer_index:
            continue
        folded = normalise(option)
        if folded in seen or folded in accepted or is_paraphrase(draft.options[draft.answer_index or 0], option):
            clashing.add(index)
        seen.add(folded)
    return clashing


def repair_note(failed: Check, action: str) -> Check:
    return Check(name="repair", ok=True, detail=f"{failed.name} failed ({failed.detail}); {action}")
