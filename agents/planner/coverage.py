"""Coverage: for every ask of a request, whether the plan serves it — by which subtasks, datasets
and operators, with how many of the target's samples — or why not; and the end state that follows.

A capability ask is served by the subtasks designed for it (SubtaskDraft.serves) that got samples.
Every other ask applies to every item (images as input, blur, the question spoken, four options...):
it is served by the groundings whose plans satisfy it (GroundingPlan.serves, from `plan_serves`),
and served in full only when those groundings carry the whole target. `ok` means every ask is
served in full; anything less is `partial`, with the coverage saying what is missing and why."""
from __future__ import annotations

from agents.operators import SNR_BY_SEVERITY
from agents.types import (
    Ask,
    AskCoverage,
    CardView,
    Operator,
    SubtaskPlan,
    TransformPlan,
)

PER_ITEM_KINDS = frozenset({"input_modality", "question_modality", "perturbation", "option_count", "answer_format",
                            "difficulty", "language", "no_textual_hints", "adversarial_options", "knowledge_link",
                            "material"})
_IMAGE_MAKERS = frozenset({"render_text_image"})
_AUDIO_MAKERS = frozenset({"speak_dialogue", "speak_text"})


def _attached(plan: TransformPlan, card: CardView | None, modality: str) -> bool:
    """Does the plan attach a medium of this kind from the record?"""
    if card is None:
        return False
    paths = {path for spec in card.fields.values() if spec.modality == modality for path in spec.paths}
    return any(op.op == "attach_media" and op.params.get("path") in paths for op in plan.operators)


def _rungs(op: Operator) -> list[dict]:
    """The conditions a robustness step gives its items: its ladder's rungs, or its own parameters."""
    return list(op.params.get("ladder") or [op.params])


def _noise_severity(rung: dict) -> int | None:
    if rung.get("severity") is not None:
        return int(rung["severity"])
    snr = rung.get("snr_db")
    return SNR_BY_SEVERITY.index(float(snr)) + 1 if snr is not None and float(snr) in SNR_BY_SEVERITY else None


def _perturbation_served(ask: Ask, ops: list[Operator]) -> bool:
    """Some items get the kind, and the plan's steps cover every severity asked (a ladder spreads them
    over the items; one step without a ladder gives every item its one severity)."""
    kind = ask.params.get("kind")
    wanted = {int(s) for s in ask.params.get("severities") or []}
    if kind == "audio_noise":
        rungs = [r for op in ops if op.op == "mix_noise" for r in _rungs(op)]
        levels = {_noise_severity(r) for r in rungs}
    else:
        rungs = [r for op in ops if op.op == "degrade_image" for r in _rungs(op) if r.get("kind", "blur") == kind]
        levels = {int(r.get("severity", 3)) for r in rungs}
    return bool(rungs) and wanted <= levels


def _question_as(modality: str, ops: list[Operator]) -> bool:
    if modality == "speech":
        return any((op.op == "speak_text" and op.params.get("field") == "question")
                   or (op.op == "speak_dialogue" and op.params.get("with_question")) for op in ops)
    if modality == "image":
        return any(op.op == "render_text_image" and "question" in (op.params.get("fields") or [op.params.get("field")])
                   for op in ops)
    return False


_CHOICE_TYPES = frozenset({"choice", "label", "binary"})  # every item of these has options to choose from


def plan_serves(plan: TransformPlan, asks: list[Ask], *, card: CardView | None = None) -> list[str]:
    """The keys of the per-item asks every item of this plan satisfies, read from its operators
    (what a plan declares it does is what its operators do, nothing else)."""
    ops = plan.operators
    names = {op.op for op in ops}
    served: list[str] = []
    for ask in asks:
        if ask.kind == "input_modality":
            modality = ask.params.get("modality")
            ok = ((modality == "image" and (bool(names & _IMAGE_MAKERS) or _attached(plan, card, "image")))
                  or (modality == "audio" and (bool(names & _AUDIO_MAKERS) or _attached(plan, card, "audio"))))
        elif ask.kind == "perturbation":
            ok = _perturbation_served(ask, ops)
        elif ask.kind == "question_modality":
            ok = _question_as(ask.params.get("modality", ""), ops)
        elif ask.kind == "option_count":
            ok = any(op.op == "limit_options" and op.params.get("count") == ask.params.get("count") for op in ops)
        elif ask.kind == "knowledge_link":
            field = " ".join(str(ask.params.get("field") or "").lower().split())
            ok = bool(field) and any(op.op == "link_question" and op.params.get("field", "").lower() == field
                                     for op in ops)
        elif ask.kind == "no_textual_hints":
            ok = "no_text_hints" in names
        elif ask.kind == "material":
            ok = material_in_card(card, ask)
        elif ask.kind == "language":
            ok = any(op.op == "keep_language" and ask.key in (op.params.get("serves") or []) for op in ops)
        elif ask.kind == "answer_format":
            # The plan's answer type is what its items are: label and binary items are chosen among options too.
            wanted = ask.params.get("format")
            ok = (plan.answer_type == wanted or (wanted == "choice" and plan.answer_type in _CHOICE_TYPES)
                  or any(ask.key in (op.params.get("serves") or []) for op in ops))
        else:
            # Asks no operator states yet (language, difficulty...) are served only by a plan whose
            # operators say so explicitly.
            ok = any(ask.key in (op.params.get("serves") or []) for op in ops)
        if ok:
            served.append(ask.key)
    return served


def material_in_card(card: CardView | None, ask: Ask) -> bool:
    """Does the dataset's card say its records are the material asked (news, product reviews)?"""
    from agents.offline.lexicon import find, normalise

    if card is None:
        return False
    text = normalise(" ".join([card.name, card.domain, card.description, " ".join(card.tasks)]))
    return any(not h.negated for h in find(text, tuple(ask.params.get("card_cues") or [ask.params.get("material", "")])))


def _operators(subtasks: list[SubtaskPlan], keys: set[str]) -> list[str]:
    return sorted({op.op for s in subtasks for g in s.groundings if keys & set(g.serves) or keys & set(s.serves)
                   for op in g.plan.operators})


def _part_target(ask: Ask, subtasks: list[SubtaskPlan], target: int) -> int:
    """The samples an ask must reach: the whole target, or for a medium of a request in parts (some
    subtasks designed without it: "digits in images, and letters spoken"), the quotas of the parts
    designed with it."""
    if ask.kind == "material" and ask.params.get("skills"):  # the material of one part of the request
        return min(target, sum(s.quota for s in subtasks if set(s.serves) & set(ask.params["skills"])))
    if ask.kind != "input_modality":
        return target
    medium = ask.params.get("modality")
    parts = [s for s in subtasks if medium in s.modalities]
    if not parts or len(parts) == len(subtasks):
        return target
    return min(target, sum(s.quota for s in parts))


def plan_coverage(asks: list[Ask], subtasks: list[SubtaskPlan], *, target: int,
                  reasons: dict[str, str] | None = None) -> list[AskCoverage]:
    """Each ask's coverage by the allocated subtasks (quotas set). `reasons` says, per ask key, why
    design or grounding could not serve it (kept as the reason when it is not fully served)."""
    reasons = reasons or {}
    planned = sum(s.quota for s in subtasks)
    full_target = target
    out: list[AskCoverage] = []
    for ask in asks:
        target = full_target
        base = {"key": ask.key, "kind": ask.kind, "text": ask.text, "uncertain": ask.uncertain}
        if ask.kind == "capability":
            serving = [s for s in subtasks if ask.key in s.serves and s.quota > 0]
            samples = sum(s.quota for s in serving)
            status = "served" if serving else "not_served"
            reason = "" if serving else (reasons.get(ask.key) or "no subtask of the plan tests it")
            setting = ask.params.get("within")
            if serving and setting:  # asked within another skill's material: only items with both count
                joint = sum(g.quota for s in serving for g in s.groundings if setting in g.serves)
                apart = sorted({g.dataset_slug for s in serving for g in s.groundings
                                if g.quota > 0 and setting not in g.serves})
                if joint < samples:
                    name = next((a.text.split(" (")[0] for a in asks if a.key == setting), setting)
                    status = "partly"
                    reason = (f"asked within {name}, but only {joint} of its {samples} samples have both: "
                              f"the items of {', '.join(apart)} are not {name}")
                    samples = joint  # the samples that serve it as asked
            elif serving and any(a.params.get("within") == ask.key for a in asks):
                # The material another skill is asked within: only the datasets that have it give it.
                having = sum(g.quota for s in serving for g in s.groundings if ask.key in g.serves)
                apart = sorted({g.dataset_slug for s in serving for g in s.groundings
                                if g.quota > 0 and ask.key not in g.serves})
                if having < samples:
                    status = "partly" if having else "not_served"
                    reason = (f"only {having} of its {samples} samples have it: the items of {', '.join(apart)} "
                              f"are not {ask.text.split(' (')[0]}")
                    samples = having
            wanted = sum(s.quota for s in serving) if serving else target
            out.append(AskCoverage(**base, status=status, samples=samples, wanted=wanted,
                                   subtasks=[s.key for s in serving],
                                   datasets=sorted({g.dataset_slug for s in serving for g in s.groundings if g.quota}),
                                   operators=_operators(serving, {ask.key}), reason=reason))
            continue
        groundings = [(s, g) for s in subtasks for g in s.groundings if ask.key in g.serves and g.quota > 0]
        samples = sum(g.quota for _, g in groundings)
        target = _part_target(ask, subtasks, full_target)
        if groundings and samples >= target:
            status, reason = "served", ""
        elif groundings:
            missing = sorted({g.dataset_slug for s in subtasks for g in s.groundings
                              if g.quota > 0 and ask.key not in g.serves})
            status = "partly"
            reason = (reasons.get(ask.key) or "") + ("; " if reasons.get(ask.key) else "") + (
                f"only {samples} of the {target} samples have it" + (
                    f": the plans for {', '.join(missing)} cannot give it" if missing else
                    f" (the plan has {planned} samples)"))
        else:
            status = "not_served"
            reason = reasons.get(ask.key) or "no dataset's plan can give it"
        out.append(AskCoverage(**base, status=status, samples=samples, wanted=target,
                               subtasks=sorted({s.key for s, _ in groundings}),
                               datasets=sorted({g.dataset_slug for _, g in groundings}),
                               operators=sorted({op.op for _, g in groundings for op in g.plan.operators}),
                               reason=reason))
    return out


def coverage_end_state(coverage: list[AskCoverage], subtasks: list[SubtaskPlan], *, target: int) -> tuple[str, str]:
    """The end state a coverage gives: ok (every ask served in full and the target planned), partial
    (some are not, or fewer samples than the target), ungroundable (nothing planned)."""
    planned = sum(s.quota for s in subtasks)
    if not subtasks or planned == 0:
        missing = [c for c in coverage if c.status != "served"]
        return "ungroundable", "; ".join(f"{c.text}: {c.reason}" for c in missing) or "nothing in the pool fits"
    gaps = [c for c in coverage if c.status != "served"]
    notes = [f"{c.text}: {'not served' if c.status == 'not_served' else 'partly served'} ({c.reason})" for c in gaps]
    if planned < target:
        notes.append(f"{planned} of the {target} samples could be planned")
    return ("partial", "; ".join(notes)) if notes else ("ok", "")


def coverage_requoted(asks: list[Ask], stored: list[dict], subtasks: list[SubtaskPlan], *,
                      target: int) -> tuple[list[AskCoverage], str, str]:
    """The coverage (and end state, reason) after a reviewer's quota edit: which subtasks and
    groundings serve each ask is what planning stored (`stored`); the samples are the new quotas. An
    ask whose subtasks were dropped or set to 0 says so instead of keeping its planned status."""
    by_key = {c["key"]: c for c in stored}
    serving_subtasks = {c["key"]: set(c.get("subtasks") or []) for c in stored}
    serving_datasets = {c["key"]: set(c.get("datasets") or []) for c in stored}
    for subtask in subtasks:
        subtask.serves = [a.key for a in asks if a.kind == "capability" and subtask.key in serving_subtasks.get(a.key, ())]
        for grounding in subtask.groundings:
            grounding.serves = [a.key for a in asks if a.kind != "capability"
                                and subtask.key in serving_subtasks.get(a.key, ())
                                and grounding.dataset_slug in serving_datasets.get(a.key, ())]
    quota = {s.key: s.quota for s in subtasks}
    reasons: dict[str, str] = {}
    for ask in asks:
        was = by_key.get(ask.key, {})
        emptied = sorted(k for k in serving_subtasks.get(ask.key, ()) if not quota.get(k))
        if emptied and was.get("status") != "not_served":
            reasons[ask.key] = f"set to 0 in review: subtask {', '.join(emptied)}"
        elif was.get("reason"):
            reasons[ask.key] = was["reason"]
    coverage = plan_coverage(asks, subtasks, target=target, reasons=reasons)
    end_state, reason = coverage_end_state(coverage, subtasks, target=target)
    return coverage, end_state, reason
