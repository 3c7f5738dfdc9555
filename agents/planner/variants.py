"""The plan variant a request's asks require of every item, built per candidate dataset.

Grounding writes a plan from a card's roles (transform.design_plan); the asks then decide what
the items must also be (agents.types.Ask):

- a knowledge link ({"field": "capital", "of": "country"}): a second hop, the item asks for another
  field of the record, with distractors from the other records' values of that field;
- an option count ({"count": 4}): exactly that many options;
- the question's modality: spoken (synthesised, heard back by speech recognition) or shown as an
  image (rendered, read back by OCR), for any text QA dataset; reading text in images renders
  passages (or, without one, the question) into pages;
- perturbations: every named kind at every severity of its ladder, spread over the items (one
  degrade step with a ladder of (kind, severity) rungs), and noise at a ladder of SNRs.

Each change is checked on the records (a dry run): one that would leave fewer than MIN_COVERAGE
of them usable is not made, and the ask it was for gets the reason. `plan_for_asks` returns the
plan and, for every per-item ask the plan does not serve (coverage.plan_serves reads the
operators), why not — which the spec's coverage then says."""
from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from agents.operators import (
    MAX_OPTIONS,
    SNR_BY_SEVERITY,
    answer_values,
    get_path,
    normalise,
    plan_validate,
)
from agents.planner.coverage import plan_serves
from agents.planner.sections import answer_path, section_plan
from agents.planner.synthesis import (
    media_kind,
    render_plan,
    render_source,
    rendered_question_plan,
    speech_plan,
    spoken_passage_plan,
    spoken_question_plan,
)
from agents.planner.transform import MIN_COVERAGE, answer_clusters, dry_run, first_path
from agents.types import (
    Ask,
    CardView,
    FieldSpec,
    Operator,
    Perturbation,
    RecordView,
    TransformPlan,
)

# Capability asks that mean "read text shown in an image" (taxonomy keys).
READING_CAPABILITIES = frozenset({"document-image-reading"})
DEFAULT_SEVERITY = 3
# Field names that say nothing about what a value is: a link "of" the answer falls back to "answer".
_GENERIC_NAMES = frozenset({"text", "answer", "answers", "label", "labels", "output", "value", "target", "gold",
                            "response", "result"})
# Steps that make the options and key from the source's answer: a second hop replaces them.
_ANSWER_STEPS = frozenset({"options_from_list", "answer_from_letter", "answer_text", "answer_match_option",
                           "distractors_from_bank"})


def item_asks(asks: list[Ask] | None, perturbation: Perturbation | None = None) -> list[Ask]:
    """The asks every item must satisfy (all but the capabilities); a robustness condition given
    only as the scope's perturbation (no ask for it) counts as an ask at its one severity."""
    out = [a for a in asks or [] if a.kind != "capability"]
    if perturbation is not None and not any(a.kind == "perturbation" for a in out):
        from agents.planner.asks import perturbation_ask

        out.append(perturbation_ask(perturbation.kind, [perturbation.severity]))
    return out


def reading_asked(asks: list[Ask] | None) -> bool:
    return any(a.kind == "capability" and a.params.get("capability") in READING_CAPABILITIES for a in asks or [])


def question_medium(asks: list[Ask] | None) -> str:
    """"speech" or "image" when the question itself must reach the model that way, else ""."""
    return next((a.params.get("modality", "") for a in asks or [] if a.kind == "question_modality"), "")


def needs_key(asks: list[Ask], *, reading: bool) -> str:
    """What of the asks shapes a plan, as a string: part of the plan cache's key."""
    return json.dumps([[a.key, a.kind, a.params] for a in asks] + [reading], sort_keys=True, default=str)


# --- small helpers ------------------------------------------------------------------------------------

def _words(text: str) -> list[str]:
    return [w[:-1] if len(w) > 3 and w.endswith("s") else w for w in re.findall(r"[a-z0-9]+", text.lower())]


def _names(path_or_role: str, word: str) -> int | None:
    """How well a field's name matches a word: 0 exactly ("capital", "capitals"), 1 as one of its
    words ("capital_city"), None not at all."""
    name_words = _words(path_or_role.rsplit(".", 1)[-1])
    wanted = _words(word)
    if not wanted:
        return None
    if name_words == wanted:
        return 0
    return 1 if all(w in name_words for w in wanted) else None


def _leaf_paths(payload: Any, prefix: str = "", depth: int = 0) -> list[str]:
    if not isinstance(payload, dict) or depth > 3:
        return [prefix] if prefix else []
    out: list[str] = []
    for key, value in payload.items():
        out += _leaf_paths(value, f"{prefix}.{key}" if prefix else str(key), depth + 1)
    return out


def _insert_before_balance(ops: list[Operator], steps: list[Operator]) -> list[Operator]:
    at = next((i for i, op in enumerate(ops) if op.op == "balance_positions"), len(ops))
    return [*ops[:at], *steps, *ops[at:]]


def _usable(plan: TransformPlan, records: list[RecordView], what: str) -> str:
    """Why the plan cannot be used on these records ("" when it can)."""
    run = dry_run(plan, records, examples=0)
    if run.coverage >= MIN_COVERAGE:
        return ""
    top = "; ".join(f"{why} ({n})" for why, n in run.failures.most_common(2))
    return f"{what} works on only {run.usable} of {run.checked} records" + (f": {top}" if top else "")


# --- knowledge links -----------------------------------------------------------------------------------

def link_path(card: CardView, records: list[RecordView], field: str, *, exclude: set[str]) -> tuple[str | None, bool]:
    """The record path holding `field` (a field of the card named so, or described so; else a key of
    the records named so), and whether the card maps it."""
    ranked: list[tuple[int, int, str]] = []
    for order, (role, spec) in enumerate(card.fields.items()):
        if spec.modality != "text":
            continue
        for path in spec.paths:
            if path in exclude:
                continue
            rank = _names(path, field)
            if rank is None:
                rank = 0 if _names(role, field) == 0 else None
            if rank is None and all(w in _words(spec.semantics)[:8] for w in _words(field)):
                rank = 2  # "The capital city of that country." names what the field holds
            if rank is not None:
                ranked.append((rank, order, path))
    if ranked:
        return min(ranked)[2], True
    mapped = {p for spec in card.fields.values() for p in spec.paths}
    seen = [p for r in records[:20] for p in _leaf_paths(r.payload)]
    for path in dict.fromkeys(seen):
        if path not in exclude and path not in mapped and _names(path, field) is not None:
            return path, False
    return None, False


def link_plan(plan: TransformPlan, card: CardView, records: list[RecordView], ask: Ask
              ) -> tuple[TransformPlan | None, str, CardView]:
    """The plan with a second hop to the ask's field; None and why not. The card comes back with
    the field mapped when only the records hold it (for the plan's static check)."""
    field = " ".join(str(ask.params.get("field") or "").split())
    if not field:
        return None, "the knowledge link names no field to ask for", card
    answer_path = first_path(card, "answer")
    if not answer_path:
        return None, "its card maps no answer the link could start from", card
    exclude = {answer_path, *(p for spec in card.fields.values() if spec.modality != "text" for p in spec.paths)}
    question_path = first_path(card, "question")
    if question_path:
        exclude.add(question_path)
    path, mapped = link_path(card, records, field, exclude=exclude)
    if path is None:
        return None, f"neither its card nor its records have {'an' if field[:1] in 'aeiou' else 'a'} {field} field", card
    of = " ".join(str(ask.params.get("of") or "").split())
    answer_spec = card.fields["answer"]
    answer_name = answer_path.rsplit(".", 1)[-1]
    if of and _names(answer_name, of) is None and not set(_words(of)) <= set(_words(answer_spec.semantics)):
        return None, (f"its answers ({answer_path}) are not a {of}, so its {path} is not the {field} of a {of} "
                      f"the item shows"), card
    if not of:
        of = answer_name.replace("_", " ") if answer_name.lower() not in _GENERIC_NAMES else "answer"
    values = [answer_values(get_path(r.payload, path)) for r in records]
    if sum(1 for v in values if v) < len(records) * MIN_COVERAGE:
        return None, f"its {path} holds no text {field} in most records", card
    bank, clusters = answer_clusters(records, path)
    classes = len(set(clusters.values()))
    if classes < 2:
        return None, f"every record has the same {field}; no distractors to draw", card
    ops = [op for op in plan.operators if op.op not in _ANSWER_STEPS]
    ops = _insert_before_balance(ops, [
        Operator(op="link_question", reads=[path, answer_path, "question"], writes=["question", "accepted_answers"],
                 params={"path": path, "field": field, "of": of, "answer_path": answer_path}),
        Operator(op="distractors_from_bank", reads=["accepted_answers"], writes=["options", "answer_index"],
                 params={"bank": bank, "clusters": clusters, "k": min(3, classes - 1)}),
    ])
    if not mapped:
        card = card.model_copy(update={"fields": {**card.fields, f"link:{field}": FieldSpec(paths=[path])}})
    suffix = re.sub(r"[^a-z0-9]+", "_", f"{field} of {of}".lower()).strip("_")
    return plan.model_copy(update={"template": f"{plan.template}+{suffix}", "answer_type": "choice",
                                   "operators": ops}), "", card


# --- option count ---------------------------------------------------------------------------------

def count_plan(plan: TransformPlan, ask: Ask) -> tuple[TransformPlan | None, str]:
    """The plan making exactly `count` options per item; None and why not."""
    try:
        count = int(ask.params.get("count"))
    except (TypeError, ValueError):
        return None, f"{ask.params.get('count')!r} is not a number of options"
    if count < 2:
        return None, "an item needs at least two options"
    if count > MAX_OPTIONS:
        return None, f"items have at most {MAX_OPTIONS} options"
    ops = []
    for op in plan.operators:
        if op.op == "distractors_from_bank":
            classes = len(set(op.params["clusters"].values()))
            if classes < count:
                return None, f"its answers take only {classes} distinct values; {count} options need {count}"
            op = op.model_copy(update={"params": {**op.params, "k": count - 1, "min_distractors": count - 1}})
        ops.append(op)
    ops = _insert_before_balance(ops, [Operator(op="limit_options", reads=["options", "answer_index"],
                                                writes=["options", "answer_index"], params={"count": count})])
    return plan.model_copy(update={"template": f"{plan.template}+{count}options", "operators": ops,
                                   "answer_type": "binary" if count == 2 else plan.answer_type}), ""


# --- two named answers --------------------------------------------------------------------------------

def _label_of(label: str, bank: list[str]) -> list[str]:
    """The bank's values that are this label ("positive" is "Positive" and "positive."): same words."""
    want = normalise(label)
    return [value for value in bank if normalise(value) == want]


def binary_labels_plan(plan: TransformPlan, ask: Ask) -> tuple[TransformPlan | None, str]:
    """The plan asking only between the two answers the request names ("positive or negative" of a
    positive/negative/neutral set): records with another answer are left out (`keep_answers`) and
    the one distractor is the other label; None and why when its answers are not those labels."""
    labels = [str(label) for label in ask.params.get("labels") or []]
    bank_op = next((op for op in plan.operators if op.op == "distractors_from_bank"), None)
    answer = answer_path(plan)
    if len(labels) != 2 or bank_op is None or not answer or bank_op.params.get("extractive", True):
        return None, f"its items are {plan.answer_type} items, not a choice between {labels[0]!r} and {labels[-1]!r}"
    bank, clusters = bank_op.params["bank"], bank_op.params["clusters"]
    found = [_label_of(label, bank) for label in labels]
    missing = [label for label, values in zip(labels, found) if not values]
    if missing:
        shown = ", ".join(repr(v) for v in bank[:6]) + (" ..." if len(bank) > 6 else "")
        return None, f"its answers ({shown}) do not include {' or '.join(repr(m) for m in missing)}"
    kept = [value for values in found for value in values]
    if len({clusters.get(normalise(v)) for v in kept}) != 2:
        return None, f"{labels[0]!r} and {labels[1]!r} are one answer in its labels"
    kept_norm = {normalise(v) for v in kept}
    params = {**bank_op.params, "bank": kept, "clusters": {n: c for n, c in clusters.items() if n in kept_norm},
              "k": 1, "min_distractors": 1, "all_labels": list(bank)}
    params.pop("nearest", None)
    ops = [Operator(op="keep_answers", reads=[f"record:{answer}"], writes=[],
                    params={"path": answer, "answers": kept, "serves": [ask.key]})]
    ops += [op.model_copy(update={"params": params}) if op is bank_op else op for op in plan.operators]
    return plan.model_copy(update={"template": f"{plan.template}+{'-'.join(labels)}", "operators": ops,
                                   "answer_type": "binary"}), ""


# --- perturbation ladders --------------------------------------------------------------------------

def _severities(ask: Ask) -> list[int]:
    levels = sorted({int(s) for s in ask.params.get("severities") or [] if 1 <= int(s) <= 5})
    return levels or [DEFAULT_SEVERITY]


def _subject_step(plan: TransformPlan, card: CardView, kind: str) -> int | None:
    """The step after which the item's image (or recording) exists: the record's own medium if the
    plan attaches one, else the one it makes (a rendered page; spoken speech)."""
    ops = plan.operators
    makers = ("render_text_image",) if kind == "image" else ("speak_dialogue", "speak_text")
    attached = [i for i, op in enumerate(ops) if op.op == "attach_media"
                and media_kind(card, op.params.get("path", "")) == kind]
    if attached:
        return attached[-1]
    made = [i for i, op in enumerate(ops) if op.op in makers]
    if kind == "audio":  # the dialogue (the content) before a question spoken after it
        dialogue = [i for i in made if ops[i].op == "speak_dialogue"]
        made = dialogue or made
    return made[-1] if made else None


def ladder_plan(plan: TransformPlan, card: CardView, asks: list[Ask], *, kind: str
                ) -> tuple[TransformPlan | None, str]:
    """The plan with the perturbation asks of one medium ("image": degradations; "audio": noise) as
    one step whose ladder holds every (kind, severity) asked; the item's ordinal picks its rung."""
    at = _subject_step(plan, card, kind)
    if at is None:
        return None, ("its items carry no image to degrade" if kind == "image"
                      else "its items carry no recording to mix noise into")
    if kind == "image":
        rungs = [{"kind": a.params["kind"], "severity": s} for a in asks for s in _severities(a)]
        label = ",".join(f"{r['kind']}{r['severity']}" for r in rungs)
        step = Operator(op="degrade_image", reads=["media"], writes=["media"],
                        params=rungs[0] if len(rungs) == 1 else {"ladder": rungs})
    else:
        rungs = [{"severity": s, "snr_db": SNR_BY_SEVERITY[s - 1]} for a in asks for s in _severities(a)]
        label = "noise" + ",".join(f"{r['snr_db']:g}dB" for r in rungs)
        step = Operator(op="mix_noise", reads=["media"], writes=["media"],
                        params=rungs[0] if len(rungs) == 1 else {"ladder": rungs})
    ops = list(plan.operators)
    ops.insert(at + 1, step)
    return plan.model_copy(update={"template": f"{plan.template}+{label}", "operators": ops}), ""


# --- the whole variant ---------------------------------------------------------------------------------

def _synthesised(plan: TransformPlan, card: CardView, synthesis: str, *, render_question: bool
                 ) -> tuple[TransformPlan | None, str]:
    """The route's media made from the dataset's text: a dialogue spoken, a passage (or, when the
    question is to be read, the question) rendered, the question spoken."""
    if synthesis == "speech":
        return speech_plan(plan, card)
    if synthesis == "render":
        if render_source(card) is None and render_question:
            return rendered_question_plan(plan)
        return render_plan(plan, card)
    if synthesis == "spoken_question":
        return spoken_question_plan(plan, card)
    if synthesis == "spoken_passage":
        return spoken_passage_plan(plan, card)
    return plan, ""


# --- language ----------------------------------------------------------------------------------------

LANGUAGE_SHARE = 0.9  # the share of a dataset's texts that must be in a language asked
MIXED_SHARE = 0.2  # a "several languages" ask: each of two languages holds at least this share


def _text_paths(card: CardView) -> list[str]:
    """The record paths of the card's own text (what an item shows and answers; media excluded)."""
    return [path for role, spec in card.fields.items() if spec.modality == "text"
            and role in {"question", "context", "dialog", "options", "answer"} for path in spec.paths]


def _record_text(record: RecordView, paths: list[str]) -> str:
    values = [get_path(record.payload, path) for path in paths]
    return " ".join(str(v) if not isinstance(v, list) else " ".join(map(str, v)) for v in values if v not in (None, ""))


def language_plan(plan: TransformPlan, card: CardView, records: list[RecordView], ask: Ask
                  ) -> tuple[TransformPlan | None, str]:
    """The plan keeping only items whose own text is in a language asked (`keep_language`), when the
    dataset's records are (agents.tools.language reads them); None and why not."""
    from agents.planner.asks import MULTI_LANGUAGE
    from agents.tools.language import profile

    field = _language_field(card, records)
    if field is not None:
        return _language_field_plan(plan, field, records, ask)
    paths = _text_paths(card)
    texts = [text for text in (_record_text(r, paths) for r in records[:400]) if text.strip()]
    if not texts:
        return None, "its records carry no text to tell the language of"
    found = profile(texts)
    if ask.params.get("language") == MULTI_LANGUAGE:
        several = [code for code, n in found.counts.most_common() if n / found.total >= MIXED_SHARE]
        if len(several) < 2:
            return None, f"its texts are in one language ({found.describe()})"
        wanted = several
    else:
        wanted = [str(code) for code in [ask.params.get("language"), *(ask.params.get("any_of") or [])] if code]
        if found.share(set(wanted)) < LANGUAGE_SHARE:
            return None, f"its texts are in {found.describe()}, not {' or '.join(dict.fromkeys(wanted))}"
    step = Operator(op="keep_language", reads=[f"record:{p}" for p in paths], writes=[],
                    params={"languages": list(dict.fromkeys(wanted)), "paths": paths, "serves": [ask.key]})
    return plan.model_copy(update={"template": f"{plan.template}+lang-{'-'.join(dict.fromkeys(wanted))}",
                                   "operators": [step, *plan.operators]}), ""


_LANGUAGE_PATH = re.compile(r"(?:^|[._])(?:lang|language|locale)s?$", re.IGNORECASE)


def _language_field(card: CardView, records: list[RecordView]) -> str | None:
    """The path of a field that names each record's language ("input.language": "French"), when the
    card maps one and nearly every record's value names a language: the language of a recording or of
    a one-letter text is read there, not guessed from the text."""
    from agents.tools.language import language_code

    for spec in card.fields.values():
        for path in spec.paths:
            if not _LANGUAGE_PATH.search(path):
                continue
            values = [get_path(r.payload, path) for r in records[:400]]
            if values and sum(bool(language_code(v)) for v in values) >= LANGUAGE_SHARE * len(values):
                return path
    return None


def _language_field_plan(plan: TransformPlan, path: str, records: list[RecordView], ask: Ask
                         ) -> tuple[TransformPlan | None, str]:
    from agents.planner.asks import MULTI_LANGUAGE
    from agents.tools.language import language_code

    counts = Counter(code for code in (language_code(get_path(r.payload, path)) for r in records[:400]) if code)
    total = sum(counts.values())
    described = ", ".join(f"{code} {n / total:.0%}" for code, n in counts.most_common(4))
    if ask.params.get("language") == MULTI_LANGUAGE:
        wanted = [code for code, n in counts.most_common() if n / total >= MIXED_SHARE]
        if len(wanted) < 2:
            return None, f"its {path.split('.')[-1]} field names one language ({described})"
        # Every language is kept: the items mix them.
    else:
        wanted = [str(code) for code in [ask.params.get("language"), *(ask.params.get("any_of") or [])] if code]
        if not any(counts[code] for code in wanted):
            return None, f"its {path.split('.')[-1]} field names {described}, not {' or '.join(dict.fromkeys(wanted))}"
    wanted = list(dict.fromkeys(wanted))
    step = Operator(op="keep_language", reads=[f"record:{path}"], writes=[],
                    params={"languages": wanted, "field": path, "serves": [ask.key]})
    return plan.model_copy(update={"template": f"{plan.template}+lang-{'-'.join(wanted)}",
                                   "operators": [step, *plan.operators]}), ""


def default_reason(ask: Ask, plan: TransformPlan, card: CardView) -> str:
    """Why a plan does not serve an ask no variant step was tried for."""
    if ask.kind == "input_modality":
        return f"its items carry no {ask.params.get('modality', 'such medium')}"
    if ask.kind == "answer_format":
        return f"its items are {plan.answer_type} items"
    if ask.kind == "material":
        return f"its items are read from {card.domain or card.name}, not {ask.params.get('material', 'what is asked')}"
    return "no operator of the plan library gives it from this dataset"


def plan_for_asks(plan: TransformPlan, card: CardView, records: list[RecordView], asks: list[Ask], *,
                  synthesis: str = "", reading: bool = False, request_text: str = ""
                  ) -> tuple[TransformPlan | None, str, dict[str, str]]:
    """The plan for this route with every change the per-item asks require that the records allow:
    (plan or None, why None, {ask key: why the plan does not serve it}). Records of sections the
    request does not name are left out when it names some (section_plan)."""
    reasons: dict[str, str] = {}
    plan, checked = section_plan(plan, card, records, request_text)

    def attempt(made: TransformPlan | None, why: str, keys: list[str], what: str) -> None:
        nonlocal plan
        if made is None:
            for key in keys:
                reasons[key] = why
            return
        problems = plan_validate(made, checked)
        why = "; ".join(problems) or _usable(made, records, what)
        if why:
            for key in keys:
                reasons[key] = why
        else:
            plan = made

    # What the items ask and answer first: a second hop, then the number of options.
    links = [a for a in asks if a.kind == "knowledge_link"]
    for i, ask in enumerate(links):
        if i:
            reasons[ask.key] = f"an item answers one knowledge link; its items ask for the {links[0].params.get('field')}"
            continue
        made, why, linked_card = link_plan(plan, card, records, ask)
        if made is not None:
            checked = linked_card
        attempt(made, why, [ask.key], f"asking for the {ask.params.get('field')}")
    for ask in [a for a in asks if a.kind == "answer_format" and a.params.get("labels")][:1]:
        if plan.answer_type != "binary":
            made, why = binary_labels_plan(plan, ask)
            attempt(made, why, [ask.key], f"a choice between {' and '.join(ask.params['labels'])}")
    for ask in [a for a in asks if a.kind == "option_count"][:1]:
        made, why = count_plan(plan, ask)
        attempt(made, why, [ask.key], f"{ask.params.get('count')} options")
    for ask in [a for a in asks if a.kind == "language"][:1]:
        made, why = language_plan(plan, card, records, ask)
        attempt(made, why, [ask.key], "the language asked")
    for ask in [a for a in asks if a.kind == "language"][1:]:
        reasons[ask.key] = "an item is in one language; the request's first language is asked of them"

    # Then the route's media made from text, and the question's own medium.
    medium = question_medium(asks)
    plan_or_none, why = _synthesised(plan, card, synthesis, render_question=medium == "image" or reading)
    if plan_or_none is None:
        return None, why, reasons
    plan = plan_or_none
    for ask in [a for a in asks if a.kind == "question_modality"][:1]:
        if ask.key in plan_serves(plan, [ask], card=card):
            continue
        if medium == "speech":
            made, why = spoken_question_plan(plan, card)
        elif medium == "image":
            made, why = rendered_question_plan(plan)
        else:
            made, why = None, f"no operator gives a question as {medium or 'that medium'}"
        attempt(made, why, [ask.key], f"the question as {medium}")

    # Last, the robustness conditions, on the medium the item is about.
    for kind in ("image", "audio"):
        wanted = [a for a in asks if a.kind == "perturbation"
                  and (a.params.get("kind") == "audio_noise") == (kind == "audio")]
        if wanted:
            made, why = ladder_plan(plan, card, wanted, kind=kind)
            attempt(made, why, [a.key for a in wanted], "the degradation" if kind == "image" else "the noise")

    for ask in [a for a in asks if a.kind == "no_textual_hints"][:1]:
        # Last: it reads the question, the options and the media the other steps have put together.
        made = plan.model_copy(update={"template": f"{plan.template}+nohints", "operators": [
            *plan.operators, Operator(op="no_text_hints", reads=["question", "options", "answer_index"], writes=[],
                                      params={})]})
        attempt(made, "", [ask.key], "items whose text does not name the answer")
    served = set(plan_serves(plan, asks, card=card))
    unserved = {a.key: reasons.get(a.key) or default_reason(a, plan, card) for a in asks if a.key not in served}
    return plan, "", unserved


__all__ = ["READING_CAPABILITIES", "item_asks", "needs_key", "plan_for_asks", "question_medium",
           "reading_asked"]
