"""Rule-based verification of a sample draft (the checks that need no LLM)."""
from __future__ import annotations

import difflib
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from agents.operators import MAX_OPTIONS, has_blank, is_raw_structure, normalise
from agents.operators.distractors import answer_kind, is_paraphrase, root_shown
from agents.ports import Ledger, Tools
from agents.tools.asr import word_error_rate
from agents.tools.image import DEGRADATIONS, image_open
from agents.tools.media import PILLOW_VERSION
from agents.tools.screen import discernible_problem
from agents.types import Check, SampleDraft


def _schema(draft: SampleDraft) -> Check:
    if not draft.question.strip():
        return Check(name="schema", ok=False, detail="question is empty")
    if not 2 <= len(draft.options) <= MAX_OPTIONS:
        return Check(name="schema", ok=False, detail=f"{len(draft.options)} options (need 2 to {MAX_OPTIONS})")
    if any(not option.strip() for option in draft.options):
        return Check(name="schema", ok=False, detail="an option is empty")
    raw = next((option for option in draft.options if is_raw_structure(option)), None)
    if raw is not None:
        return Check(name="schema", ok=False, detail=f"option {raw[:60]!r} is raw structured data, not an answer a "
                                                     "person reads")
    if draft.answer_index is None or not 0 <= draft.answer_index < len(draft.options):
        return Check(name="schema", ok=False, detail="answer index names no option")
    if draft.answer != draft.options[draft.answer_index]:
        return Check(name="schema", ok=False, detail="answer is not the option the index names")
    return Check(name="schema", ok=True)


def _one_correct(draft: SampleDraft) -> Check:
    folded = [normalise(option) for option in draft.options]
    if len(set(folded)) != len(folded):
        return Check(name="one_correct_option", ok=False, detail="two options are the same")
    accepted = {normalise(a) for a in draft.accepted_answers} or {folded[draft.answer_index or 0]}
    correct = [i for i, option in enumerate(folded) if option in accepted]
    if correct != [draft.answer_index]:
        return Check(name="one_correct_option", ok=False,
                     detail=f"options {correct} match an accepted answer; exactly the keyed one should")
    key = draft.options[draft.answer_index or 0]
    restated = [o for i, o in enumerate(draft.options) if i != draft.answer_index and is_paraphrase(key, o)]
    if restated:
        return Check(name="one_correct_option", ok=False,
                     detail=f"option {restated[0]!r} restates the key {key!r} (one holds the other's words)")
    return Check(name="one_correct_option", ok=True)


# "The answer is A.", "the correct option is (B)", "Option C is correct", "Answer: D": a letter named
# as the answer.
_LETTER_ANSWER = re.compile(r"\b(?i:(?:the\s+)?(?:correct\s+|right\s+)?(?:answer|option|choice)\s+is:?\s+)"
                            r"\(?(?i:option\s+)?([A-H])\)?(?![\w'])|"
                            r"\b(?i:option|choice)\s+\(?([A-H])\)?\s+(?i:is\s+(?:the\s+)?(?:correct|right|answer))\b|"
                            r"\b(?i:answer)\s*:\s*\(?([A-H])\)?(?![\w'])")
NEAR_VERBATIM_MIN_WORDS = 4  # a phrase this long, copied with small changes, is the key written out
NEAR_VERBATIM_RATIO = 0.85


def near_verbatim(option: str, text: str) -> bool:
    """Whether a run of the text is the option copied with small changes ("the cat sat on a mat" in
    "...the cats sat on the mat..."): words compared as strings over windows of the option's length."""
    words, said = normalise(option).split(), normalise(text).split()
    if len(words) < NEAR_VERBATIM_MIN_WORDS or len(said) < len(words) - 1:
        return False
    target = " ".join(words)
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(target)
    for size in {len(words) - 1, len(words), len(words) + 1}:
        for start in range(0, max(1, len(said) - size + 1)):
            matcher.set_seq1(" ".join(said[start:start + size]))
            if matcher.real_quick_ratio() >= NEAR_VERBATIM_RATIO and matcher.ratio() >= NEAR_VERBATIM_RATIO:
                return True
    return False


def _leakage(draft: SampleDraft) -> Check:
    """The correct option written in the question or context while no distractor is gives it away."""
    text = normalise(f"{draft.question} {draft.context}")
    padded = f" {text} "
    said = _LETTER_ANSWER.search(f"{draft.question}\n{draft.context}")
    if said:
        return Check(name="answer_leakage", ok=False,
                     detail=f"the text names a letter as the answer ({said.group(0).strip()!r})")

    def shown(option: str, min_length: int) -> bool:
        folded = normalise(option)
        return len(folded) >= min_length and f" {folded} " in padded

    answer = draft.options[draft.answer_index or 0]
    distractors = [o for i, o in enumerate(draft.options) if i != draft.answer_index]
    # A short answer ("no", "B") appears in text by chance; a listed distractor of any length
    # shows the question enumerates its options, which is no leak.
    if shown(answer, 3) and not any(shown(d, 1) for d in distractors):
        return Check(name="answer_leakage", ok=False, detail="the answer is written in the question or context")
    # A cloze item asks for what its blank hides: the answer written elsewhere in its text (a passage
    # given twice, once unmasked) is a leak, whatever the distractors are.
    if has_blank(f"{draft.question} {draft.context}") and any(shown(a, 3) for a in [answer, *draft.accepted_answers]):
        return Check(name="answer_leakage", ok=False,
                     detail="the answer the blank hides is written elsewhere in the text")
    # A root the key shares with the question, while no distractor shares one: "cats" for "... as cat
    # is to what?", "chemist" for "Scientist who specializes in chemistry".
    if near_verbatim(answer, f"{draft.question} {draft.context}") and not any(
            near_verbatim(d, f"{draft.question} {draft.context}") or shown(d, 1) for d in distractors):
        return Check(name="answer_leakage", ok=False,
                     detail="the key is written in the question or context with small changes; no other option is")
    root = root_shown(answer, draft.question) if len(answer.split()) <= 3 else ""
    if root and not any(root_shown(d, draft.question) for d in distractors):
        return Check(name="answer_leakage", ok=False,
                     detail=f"the key's word {root!r} shares its root with a word of the question; no other option's does")
    odd = stands_out(answer, distractors)
    if odd:
        return Check(name="answer_leakage", ok=False, detail=f"the key stands out from the other options: {odd}")
    return Check(name="answer_leakage", ok=True)


_LEAD_SAYS = {"polar": "a yes or no", "reason": "a reason", "means": "a means", "time": "a time", "place": "a place",
              "clause": "a statement about someone"}
_LENGTH_CLASSES = ("1 char", "word", "2-3 words", "4-8 words", "sentence")
STANDS_OUT_RATIO, STANDS_OUT_CHARS = 2.0, 15  # a key this many times, and characters, longer than every other option
STANDS_OUT_MIN_OTHERS = 2
STANDOUT_LEADS = frozenset({"polar", "reason", "means"})  # a yes-or-no, a "because", a "by ..." among plain phrases  # with fewer distractors, "the only one of its kind" says nothing


def stands_out(key: str, others: list[str]) -> str:
    """How the key alone differs from the other options, all alike, so that it can be picked without
    reading ("a number among words", "a sentence among single words", "twice as long as any other");
    "" when it does not."""
    if len(others) < STANDS_OUT_MIN_OTHERS:
        return ""
    kind, kinds = answer_kind(key), [answer_kind(o) for o in others]
    for feature, say in (("form", "the only {key} among {other} options"),
                         ("lead", "the only option that gives {key}"),
                         ("numeral", "the only count in {key} among counts in {other}")):
        values = {k[feature] for k in kinds}
        if feature == "lead" and kind[feature] not in STANDOUT_LEADS:
            continue  # a time, a place or a statement among plain phrases may still be read as one of them
        if feature == "numeral" and not (kind[feature] and next(iter(values))):
            continue  # "split in two" among names is no count among counts
        if len(values) == 1 and kind[feature] != next(iter(values)) and (kind[feature] or feature == "form"):
            key_says = _LEAD_SAYS.get(kind[feature], kind[feature]) if feature == "lead" else kind[feature]
            return say.format(key=key_says or "plain", other=next(iter(values)) or "plain")
    if all(k["length"] in _LENGTH_CLASSES for k in [kind, *kinds]) and kind["length"] in _LENGTH_CLASSES:
        rank, ranks = _LENGTH_CLASSES.index(kind["length"]), [_LENGTH_CLASSES.index(k["length"]) for k in kinds]
        if rank - max(ranks) >= 2 or min(ranks) - rank >= 2:
            return f"a {kind['length']} option among options of {', '.join(sorted({k['length'] for k in kinds}))}"
    longest = max(len(o) for o in others)
    if len(key) >= STANDS_OUT_RATIO * longest and len(key) - longest >= STANDS_OUT_CHARS:
        return f"{len(key)} characters long, the others at most {longest}"
    return ""


def _media(draft: SampleDraft, modalities: list[str], tools: Tools, ledger: Ledger) -> Check:
    for needed in ("image", "audio"):
        if needed in modalities and not any(m.kind == needed for m in draft.media):
            return Check(name="media_present", ok=False, detail=f"the subtask needs {needed} and the sample has none")
    for ref in draft.media:
        started = time.perf_counter()
        result = tools.media_check(ref.abs_path, ref.kind)
        ledger.tool_call(tool=f"{ref.kind}_decode", version=f"pillow {PILLOW_VERSION}" if ref.kind == "image" else "wave",
                         ok=result.ok, latency_ms=int((time.perf_counter() - started) * 1000),
                         item_key=draft.item_key, detail={"file": ref.file, "detail": result.detail})
        if not result.ok:
            return Check(name="media_present", ok=False, detail=f"{ref.file}: {result.detail}")
    return Check(name="media_present", ok=True)


SPEECH_MAX_WER = 0.35  # espeak-ng heard by Whisper tiny.en: ~0.1-0.25 on clean dialogue lines


INTELLIGIBLE_MAX_WER = 0.6  # speech under noise on purpose must still be partly intelligible


def _read_back(draft: SampleDraft, ref, reference: str, *, tool: str, version: str, read: Callable[[str], str],
               ledger: Ledger) -> float | str:
    """The word error rate of what a tool (speech recognition, OCR) gets back from a made file
    against the text it was made from, or the failure's text; each reading is a ledger tool call."""
    started = time.perf_counter()
    try:
        got = read(ref.abs_path)
    except Exception as exc:  # noqa: BLE001 - a tool failure rejects this sample, never the cell
        ledger.tool_call(tool=tool, version=version, ok=False, item_key=draft.item_key,
                         latency_ms=int((time.perf_counter() - started) * 1000), detail={"error": str(exc)[:500]})
        return f"{tool} failed: {exc}"
    wer = word_error_rate(reference, got)
    ledger.tool_call(tool=tool, version=version, ok=True, item_key=draft.item_key,
                     latency_ms=int((time.perf_counter() - started) * 1000),
                     detail={"file": ref.file, "wer": round(wer, 4), "got": got[:1000]})
    return wer


def _asr_wer(draft: SampleDraft, ref, reference: str, tools: Tools, ledger: Ledger) -> float | str:
    return _read_back(draft, ref, reference, tool="asr", version=tools.asr_version(), read=tools.transcribe,
                      ledger=ledger)


def _speech_round_trip(draft: SampleDraft, tools: Tools, ledger: Ledger) -> list[Check]:
    """Synthesised speech must say what it was given: speech recognition hears the clean recording
    back within a word-error bound (speaker labels are not spoken, so they are left out of the
    reference); a recording with noise mixed in on purpose must stay partly intelligible."""
    audio = [m for m in draft.media if m.kind == "audio"]
    clean = draft.spoken_clean or (audio[-1] if audio else None)
    if clean is None:
        return [Check(name="speech_round_trip", ok=False, detail="no recording to hear back")]
    reference = " ".join(line.split(": ", 1)[-1] for line in draft.speech_text.splitlines())
    wer = _asr_wer(draft, clean, reference, tools, ledger)
    if isinstance(wer, str):
        return [Check(name="speech_round_trip", ok=False, detail=wer)]
    checks = [Check(name="speech_round_trip", ok=wer <= SPEECH_MAX_WER,
                    detail=f"word error rate {wer:.2f} (bound {SPEECH_MAX_WER:.2f})")]
    played = audio[-1] if audio else clean
    if checks[0].ok and played.sha256 != clean.sha256:
        wer = _asr_wer(draft, played, reference, tools, ledger)
        checks.append(Check(name="noisy_intelligible", ok=not isinstance(wer, str) and wer <= INTELLIGIBLE_MAX_WER,
                            detail=wer if isinstance(wer, str) else
                            f"word error rate {wer:.2f} under noise (bound {INTELLIGIBLE_MAX_WER:.2f})"))
    return checks


RENDER_MAX_WER = 0.05  # tesseract reads DejaVu Sans on white almost word for word
LEGIBLE_MAX_WER = 0.6  # a degraded page must still be partly legible, or the item cannot be answered


def _ocr_wer(draft: SampleDraft, ref, tools: Tools, ledger: Ledger) -> float | str:
    return _read_back(draft, ref, draft.rendered_text, tool="ocr", version=tools.ocr_version(), read=tools.ocr,
                      ledger=ledger)


KEY_MIN_CONFIDENCE = 60.0  # tesseract's word confidence (0-100) below which a word is a guess, not a reading


def _key_legible(draft: SampleDraft, shown, tools: Tools, ledger: Ledger) -> Check | None:
    """When the key stands in the page's text, the page as shown must let it be read: OCR finds each
    of its words with a confidence of at least KEY_MIN_CONFIDENCE. None when the key is not in the
    text (the item asks something the page does not spell out)."""
    key_words = [w for w in normalise(draft.answer or "").split() if len(w) >= 2]
    if not key_words or f" {' '.join(key_words)} " not in f" {normalise(draft.rendered_text)} ":
        return None
    started = time.perf_counter()
    try:
        words = tools.ocr_words(shown.abs_path)
    except Exception as exc:  # noqa: BLE001 - a failed reading is no verdict on the item
        ledger.tool_call(tool="ocr", version=tools.ocr_version(), ok=False, item_key=draft.item_key,
                         latency_ms=int((time.perf_counter() - started) * 1000), detail={"error": str(exc)[:500]})
        return Check(name="key_legible", ok=False, detail=f"ocr failed: {str(exc)[:200]}")
    confidence: dict[str, float] = {}
    for word, conf, _ in words:
        for folded in normalise(word).split():
            confidence[folded] = max(confidence.get(folded, -1.0), conf)
    ledger.tool_call(tool="ocr", version=tools.ocr_version(), ok=True, item_key=draft.item_key,
                     latency_ms=int((time.perf_counter() - started) * 1000),
                     detail={"file": shown.file, "purpose": "key_legible",
                             "key_words": {w: confidence.get(w) for w in key_words}})
    weak = [(w, confidence.get(w)) for w in key_words if confidence.get(w, -1.0) < KEY_MIN_CONFIDENCE]
    if weak:
        said = ", ".join(f"{w!r} " + ("not read" if c is None or c < 0 else f"read at {c:.0f}% confidence")
                         for w, c in weak[:4])
        return Check(name="key_legible", ok=False,
                     detail=f"the key's words cannot be read on the page as shown: {said} "
                            f"(at least {KEY_MIN_CONFIDENCE:.0f}% needed)")
    return Check(name="key_legible", ok=True, detail=f"the key's words are read at {KEY_MIN_CONFIDENCE:.0f}% "
                                                     "confidence or more")


def _render_round_trip(draft: SampleDraft, tools: Tools, ledger: Ledger) -> list[Check]:
    """A rendered page must show its text (OCR reads the clean page back within a tight bound); a
    page degraded on purpose must stay legible (OCR reads the degraded image within a loose bound)."""
    images = [m for m in draft.media if m.kind == "image"]
    page = draft.rendered_page or (images[-1] if images else None)
    if page is None:
        return [Check(name="render_round_trip", ok=False, detail="no rendered image to read back")]
    wer = _ocr_wer(draft, page, tools, ledger)
    if isinstance(wer, str):
        return [Check(name="render_round_trip", ok=False, detail=wer)]
    checks = [Check(name="render_round_trip", ok=wer <= RENDER_MAX_WER,
                    detail=f"word error rate {wer:.2f} (bound {RENDER_MAX_WER:.2f})")]
    # The page as the model sees it: degraded in place, or shown as rendered (beside the record's own
    # image, which is not a page to read: "the clock in the picture" next to the rendered question).
    shown = images[-1] if images and not any(m.sha256 == page.sha256 for m in images) else page
    if checks[0].ok and shown.sha256 != page.sha256:
        wer = _ocr_wer(draft, shown, tools, ledger)
        legible = not isinstance(wer, str) and wer <= LEGIBLE_MAX_WER
        checks.append(Check(name="degraded_legible", ok=legible,
                            detail=wer if isinstance(wer, str) else
                            f"word error rate {wer:.2f} on the degraded page (bound {LEGIBLE_MAX_WER:.2f})"))
    if all(c.ok for c in checks):
        legible_key = _key_legible(draft, shown, tools, ledger)
        if legible_key is not None:
            checks.append(legible_key)
    return checks


def _degraded_discernible(draft: SampleDraft) -> Check:
    """A photo degraded on purpose must still show something: not a uniform blur or a few grey
    blocks (the source screen's contrast and entropy floor, on the degraded image)."""
    images = [m for m in draft.media if m.kind == "image"]
    problem = discernible_problem(images[-1].abs_path) if images else "no degraded image"
    return Check(name="degraded_discernible", ok=not problem, detail=problem or "the degraded image still shows content")


OCR_MIN_SIDE = 48  # a smaller picture holds no legible word
OCR_SIDE = 640  # the longest side an image is read at


def _answer_in_image(draft: SampleDraft, tools: Tools, ledger: Ledger) -> Check:
    """The key written in the picture (a logo that spells the brand, a digital clock's digits) while
    no distractor is: the item then tests reading, not what it asks. OCR reads each image as the
    record gave it (before any degradation); a reading that fails is said, never taken for a verdict
    on the item."""
    key = draft.options[draft.answer_index or 0]
    distractors = [o for i, o in enumerate(draft.options) if i != draft.answer_index]
    # A degraded image is read as it was before: a blur that defeats OCR may not defeat a model.
    images = [m for m in draft.media if m.kind == "image"]
    if draft.image_clean is not None and images:
        images[-1] = draft.image_clean
    for ref in images:
        started = time.perf_counter()
        try:
            with image_open(ref.abs_path) as image, tempfile.TemporaryDirectory() as folder:
                if min(image.size) < OCR_MIN_SIDE:
                    continue
                # Read at a working size: a small badge enlarged (its letters legible), a large
                # painting reduced (tesseract's time grows with the pixels).
                scale = OCR_SIDE / max(image.size)
                copy = Path(folder) / "ocr.png"
                image.convert("RGB").resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                                            Image.LANCZOS).save(copy)
                version = tools.ocr_version()
                text = f" {normalise(tools.ocr(str(copy)))} "
        except Exception as exc:  # noqa: BLE001 - a failed reading is no verdict on the item
            ledger.tool_call(tool="ocr", version="unknown", ok=False, item_key=draft.item_key,
                             latency_ms=int((time.perf_counter() - started) * 1000), detail={"error": str(exc)[:500]})
            return Check(name="answer_in_image", ok=True, detail=f"not checked: OCR failed ({str(exc)[:120]})")
        ledger.tool_call(tool="ocr", version=version, ok=True, item_key=draft.item_key,
                         latency_ms=int((time.perf_counter() - started) * 1000),
                         detail={"file": ref.file, "got": text.strip()[:300], "purpose": "answer_in_image"})

        def written(option: str) -> bool:
            """The option in the OCR text, or, a single word, read with one letter mistaken: a
            logo's G read as C ("cmc" for GMC), its V as W ("wolvo")."""
            folded = normalise(option)
            if len(folded) < 3:
                return False
            return f" {folded} " in text or (" " not in folded and any(
                len(word) == len(folded) and sum(a != b for a, b in zip(word, folded, strict=True)) == 1
                for word in text.split()))
        if written(key) and not any(written(d) for d in distractors):
            return Check(name="answer_in_image", ok=False,
                         detail=f"the image shows the key {key!r} in writing (OCR read {text.strip()[:60]!r}), "
                                "and no other option")
    return Check(name="answer_in_image", ok=True)


def _text_checks(draft: SampleDraft) -> list[Check]:
    checks = [_schema(draft)]
    if checks[0].ok:
        checks += [_one_correct(draft), _leakage(draft)]
    return checks


TEXT_CHECKS = frozenset({"schema", "one_correct_option", "answer_leakage"})


def recheck_options(draft: SampleDraft, *, keep: list[Check] | None = None) -> SampleDraft:
    """After the options changed (a repair dropped some): the checks that read the options run
    again, the media checks stand (the media did not change), and `keep` goes in front."""
    earlier = [c for c in draft.checks if c.name == "repair"]
    others = [c for c in draft.checks if c.name not in TEXT_CHECKS and c.name != "repair"]
    checks = [*earlier, *(keep or []), *_text_checks(draft), *others]
    return draft.model_copy(update={"checks": checks, "status": "ok" if all(c.ok for c in checks) else "rejected"})


def _option_count(draft: SampleDraft, count: int) -> Check:
    return Check(name="option_count", ok=len(draft.options) == count,
                 detail=f"{len(draft.options)} options; the request asks for {count}")


def verify(draft: SampleDraft, *, modalities: list[str], tools: Tools, ledger: Ledger,
           option_count: int | None = None) -> SampleDraft:
    """Run every check; the draft comes back with its checks and status set. `option_count`: the
    number of options the request asks every item to have."""
    checks = _text_checks(draft)
    if option_count is not None and checks[0].ok:
        checks.append(_option_count(draft, option_count))
    media = _media(draft, modalities, tools, ledger)
    checks.append(media)
    if draft.speech_text and checks[-1].ok:
        checks += _speech_round_trip(draft, tools, ledger)
    if draft.rendered_text and checks[-1].ok:
        checks += _render_round_trip(draft, tools, ledger)
    elif checks[-1].ok and any(c.get("kind") in DEGRADATIONS for c in draft.conditions):
        checks.append(_degraded_discernible(draft))
    if not draft.rendered_text and media.ok and checks[0].ok and any(m.kind == "image" for m in draft.media):
        checks.append(_answer_in_image(draft, tools, ledger))
    return draft.model_copy(update={"checks": checks, "status": "ok" if all(c.ok for c in checks) else "rejected"})
