"""The source screen's measurements: is a record's text, image or recording fit to make an item of?

Each function returns the problem in words ("" when there is none); the executor's screen
(agents.operators.screen) decides which field gets which test. Nothing here changes a file.

- Text: garble (the share of a text's words that an English dictionary does not know, from the
  packaged frequency list of `pyspellchecker`); a misspelt word in a question (an unknown word one
  edit from exactly one frequent word: "Cound you please..."), punctuation left broken (".?") and
  a verb a machine-written question left uninflected ("who stand in a field", lemminflect's
  tables), which `mend_spelling`, `repair_punctuation` and `mend_agreement` mend, being safe: one
  reading only.
- Images: decodes, a minimal size, a contrast and entropy floor (no discernible content), and 8-bit
  intensity wrap-around (values past 255 that came back near 0: neighbouring pixels jump by most of
  the range all over a mostly mid-grey picture).
- Recordings: decodes, duration bounds, silence, clipping.
"""
from __future__ import annotations

import re
import wave
from functools import lru_cache

import numpy as np

from agents.tools.image import ImageToolError, image_open

GARBLE_MIN_WORDS = 8
GARBLE_MAX_UNKNOWN = 0.4  # tweets with slang ("dont", "lol") stay well below; word salad does not
TYPO_MIN_FREQUENCY = 20_000  # the corrected word must be a frequent one ("could", not a rare name)
# A long word one edit from a known one has few readings: a less frequent word may be what was meant
# ("perfoming" -> "performing").
TYPO_LONG_WORD, TYPO_LONG_MIN_FREQUENCY = 8, 2_000
IMAGE_MIN_SIDE = 16
IMAGE_MIN_STD = 4.0  # grey levels: a blank or nearly uniform picture
IMAGE_MIN_ENTROPY = 0.5  # bits
WRAP_JUMP = 192  # neighbouring pixels this far apart are a wrap-around where mid-greys dominate
WRAP_MAX_JUMPS = 0.03
WRAP_MIN_MIDTONES = 0.5
AUDIO_MIN_SECONDS = 0.2
AUDIO_SILENCE_DBFS = -55.0
AUDIO_MAX_CLIPPED = 0.01  # share of samples at full scale

_WORD = re.compile(r"(?<![@#\w'])[a-z]+(?:'[a-z]+)?(?![\w@])")
_URL = re.compile(r"https?://\S+|www\.\S+")


@lru_cache(maxsize=1)
def _dictionary():
    from spellchecker import SpellChecker

    return SpellChecker(language="en", distance=1)


def is_word(word: str) -> bool:
    """Whether the English dictionary knows the word."""
    return bool(_dictionary().known([word.lower()]))


def word_frequency(word: str) -> int:
    """How often the dictionary's corpus has the (lower-case) word; 0 for an unknown one."""
    return int(_dictionary().word_frequency[word.lower()])


def dictionary_version() -> str:
    import importlib.metadata

    return f"pyspellchecker {importlib.metadata.version('pyspellchecker')} (en)"


def _common_words(text: str) -> list[str]:
    """The lower-case words of a text: names (capitalised), handles, tags, links and numbers are
    not dictionary words and are left out."""
    return _WORD.findall(_URL.sub(" ", text))


def _informal(word: str) -> bool:
    """A word written without its apostrophe ("dont", "im"): informal, not garbled."""
    return any(_dictionary().known([f"{word[:i]}'{word[i:]}"]) for i in range(1, len(word)))


def garble(text: str) -> str:
    words = [w for w in _common_words(text) if len(w) > 2]
    if len(words) < GARBLE_MIN_WORDS:
        return ""
    unknown = {w for w in _dictionary().unknown(words) if not _informal(w)}
    share = sum(w in unknown for w in words) / len(words)
    if share > GARBLE_MAX_UNKNOWN:
        shown = ", ".join(sorted(unknown)[:5])
        return f"{share:.0%} of its words are not English words ({shown})"
    return ""


def unreadable(text: str, *, min_words: int = 1) -> str:
    """Why a short text a model wrote is not language ("audiobrai", "1.0.0.0"), or "": it needs
    `min_words` dictionary words, and no more than half its words unknown. An unknown capitalised
    word is a name, not judged."""
    known, unknown = 0, 0
    for word in re.findall(r"[A-Za-z]+(?:'[a-z]+)?", text):
        if is_word(word) or _informal(word.lower()):
            known += 1
        elif not word[:1].isupper():
            unknown += 1
    if known < min_words:
        return f"{text[:60]!r} has no {'word' if min_words == 1 else f'{min_words} words'} of English"
    if known < unknown:
        return f"most of the words of {text[:60]!r} are not English words"
    return ""


def _corrections(word: str) -> list[str]:
    """The frequent words one edit from an unknown one, most frequent first."""
    dictionary = _dictionary()
    floor = TYPO_MIN_FREQUENCY if len(word) < TYPO_LONG_WORD else TYPO_LONG_MIN_FREQUENCY
    return sorted((w for w in dictionary.known(dictionary.edit_distance_1(word))
                   if dictionary.word_frequency[w] >= floor),
                  key=lambda w: (-dictionary.word_frequency[w], w))


def misspellings(text: str) -> dict[str, list[str]]:
    """Misspelt words in a sentence someone wrote as a question (unknown, one edit from a frequent
    word) and the words they may have meant. A capitalised word counts only at the start of a
    sentence (names are not typos); a word without its apostrophe is informal, not misspelt."""
    dictionary = _dictionary()
    starts = {m.group(1).lower() for m in re.finditer(r"(?:^|[.!?]\s+)([A-Z][a-z]+)\b", text)}
    words = [w for w in set(_common_words(text)) | starts if len(w) >= 3 and "'" not in w]
    found = {}
    for word in sorted(w for w in dictionary.unknown(words) if not _informal(w)):
        meant = _corrections(word)
        if meant:
            found[word] = meant
    return found


def mend_spelling(text: str) -> tuple[str, list[str], str]:
    """The text with the misspelt words that have one reading corrected (their case kept), what was
    corrected, and the first misspelling that has several readings ("cound": could? count? found?),
    which no one can mend safely ("" when none)."""
    repairs, unsure = [], ""
    for word, meant in misspellings(text).items():
        if len(meant) > 1:
            unsure = unsure or f"misspelt word {word!r} ({' or '.join(repr(m) for m in meant[:3])}?)"
            continue

        def fix(match: re.Match, corrected: str = meant[0]) -> str:
            return corrected.capitalize() if match.group(0)[0].isupper() else corrected
        text, n = re.subn(rf"\b{re.escape(word)}\b", fix, text, flags=re.IGNORECASE)
        if n:
            repairs.append(f"{word!r} -> {meant[0]!r}")
    return text, repairs, unsure


_BROKEN = ((re.compile(r"\s*\.\s*\?(\s*)$"), r"?\1"), (re.compile(r"\?\s*\.(\s*)$"), r"?\1"),
           (re.compile(r"\s+\?(\s*)$"), r"?\1"), (re.compile(r"([?!])\1+(\s*)$"), r"\1\2"))


# Machine-written questions made from captions keep their verbs uninflected ("what do a group of
# people sit on", "who stand in a field"). The mend is one reading only: the verb agrees with the
# singular subject the question asks about.
_AUXILIARIES = frozenset({"is", "are", "was", "were", "am", "be", "been", "do", "does", "did", "has", "have", "had",
                          "can", "could", "will", "would", "shall", "should", "may", "might", "must"})
_DO_SINGULAR = re.compile(r"^(\s*(?:what|who|whom|where|which|how|why|when)\s+)(do)(\s+(?:a|an|one|this|that|each|"
                          r"every|his|her|its|my|your)\b)", re.IGNORECASE)
_WH_VERB = re.compile(r"^(\s*(?:what|who)\s+)([a-z]+)(\s+([a-z]+))?", re.IGNORECASE)
# After a verb, not after a noun, in a question with no other verb: "what wear a hat", "who stand in".
_OBJECT_START = frozenset({"a", "an", "the", "his", "her", "their", "its", "my", "your", "our", "some", "him",
                           "them", "me", "us", "in", "on", "at", "next", "around", "behind", "near", "past",
                           "through", "with", "by", "under", "over", "into", "onto", "beside", "along", "across",
                           "up", "down", "inside", "outside", "against", "toward", "towards", "between", "among"})


@lru_cache(maxsize=4096)
def _verb_lemmas(word: str) -> tuple[tuple[str, ...], bool]:
    """The verb lemmas of a word and whether it can be a noun (lemminflect's tables)."""
    from lemminflect import getAllLemmas

    lemmas = getAllLemmas(word)
    return tuple(lemmas.get("VERB", ())), "NOUN" in lemmas


def _finite(word: str) -> bool:
    """A word that can only be a tensed verb or participle ("is", "contains", "won", "filled"): the
    question may already have its verb."""
    if word in _AUXILIARIES:
        return True
    lemmas, noun = _verb_lemmas(word)  # "ground", "dogs", "papers" are nouns here
    return not noun and any(lemma != word and not word.endswith("ing") for lemma in lemmas)


def mend_agreement(text: str) -> tuple[str, list[str]]:
    """A question whose verb was left uninflected, mended to agree with its singular subject
    ("what do a man sit on" -> "what does a man sit on", "who stand in a field" -> "who stands in a
    field"); and what was mended. Only where the uninflected word can be nothing but the verb: a noun
    reading ("what time in the morning", "what type of bird is it") or another verb leaves the text."""
    from lemminflect import getInflection

    found = _DO_SINGULAR.match(text)
    if found:
        does = "Does" if found.group(2)[0].isupper() else "does"
        return text[:found.start(2)] + does + text[found.end(2):], [f"{found.group(2)!r} -> {does!r}"]
    found = _WH_VERB.match(text)
    if not found:
        return text, []
    word, following = found.group(2).lower(), (found.group(4) or "").lower()
    lemmas, noun = _verb_lemmas(word)
    if word in _AUXILIARIES or word not in lemmas:
        return text, []
    if noun and following not in _OBJECT_START:
        return text, []
    rest = re.findall(r"[a-z]+", text[found.end(2):].lower())
    if any(_finite(w) for w in rest):
        return text, []
    inflected = getInflection(word, "VBZ")
    if not inflected or inflected[0] == word:
        return text, []
    verb = inflected[0]
    return text[:found.start(2)] + verb + text[found.end(2):], [f"{found.group(2)!r} -> {verb!r}"]


_WH_THE = re.compile(r"^\s*(?:what|which|who|where|when|why|how)\s+(?:the|a|an)\s", re.IGNORECASE)


def verbless_question(text: str) -> str:
    """A question that lost its verb ("What the largest source of energy in the body?": is? was?):
    no one can mend it safely. The problem in words, "" when there is none."""
    first = re.split(r"(?<=[.?!])\s+", text.strip(), maxsplit=1)[0]
    if not _WH_THE.match(first) or any(_finite(w) for w in re.findall(r"[a-z]+", first.lower())):
        return ""
    return f"the question has no verb ({first[:60]!r})"


_BE = re.compile(r"\b(is|are|was|were|am)\s+([a-z]+)\b", re.IGNORECASE)


def bare_verb_after_be(text: str) -> str:
    """A question whose verb stands bare after a form of "be" ("What does a group of people that are
    sit on?": sitting? seated?): a caption turned question lost its inflection and no single mend is
    safe. Only a word that can be nothing but a verb's base form counts ("are sit", "is eat"; not
    "are set", "is cut", "is play", whose other readings fit). The problem in words, "" when none."""
    from lemminflect import getAllLemmas, getInflection

    first = re.split(r"(?<=[.?!])\s+", text.strip(), maxsplit=1)[0]
    for found in _BE.finditer(first):
        word = found.group(2).lower()
        if word in _AUXILIARIES or getAllLemmas(word) != {"VERB": (word,)}:
            continue  # another reading fits ("are set", "is play", "is able")
        if word in getInflection(word, "VBN"):
            continue  # a participle like its base ("is come", "is put")
        return f"a bare verb after {found.group(1).lower()!r} ({found.group(0)!r})"
    return ""


_QUESTION_START = re.compile(r"^(what|who|whom|whose|which|where|when|why|how|is|are|was|were|do|does|did|can|could|"
                             r"will|would|should|has|have|had)\b", re.IGNORECASE)


def repair_punctuation(text: str) -> tuple[str, list[str]]:
    """The text with broken end punctuation mended (".?" -> "?", "word ?" -> "word?", "??" -> "?"),
    a lower-case first letter capitalised, and a question mark after a question that has none
    ("what sit on a couch" -> "What sit on a couch?"); and what was mended. Safe: no word changes."""
    repairs = []
    mended = text
    for pattern, replacement in _BROKEN:
        found = pattern.search(mended)
        if found:
            fixed = pattern.sub(replacement, found.group(0))
            repairs.append(f"{found.group(0).strip()!r} -> {fixed.strip()!r}")
            mended = pattern.sub(replacement, mended)
    stripped = mended.strip()
    for quote in "'\"":
        quotes = len(re.findall(rf"(?<![A-Za-z]){quote}|{quote}(?![A-Za-z])", stripped))  # not "Craig's"
        if stripped[-2:-1] in ("?", ".", "!") and stripped.endswith(quote) and quotes % 2:
            mended, stripped = mended.rstrip()[:-1], stripped[:-1]  # a stray closing quote ("...shorts?'")
            repairs.append(f"stray {quote} removed")
    if stripped and stripped[0].islower() and len(stripped.split()) >= 3:
        mended = mended.replace(stripped[0], stripped[0].upper(), 1)
        repairs.append("first letter capitalised")
    if "\n" not in stripped and _QUESTION_START.match(stripped) and stripped[-1:].isalnum():
        mended = mended.rstrip() + "?"
        repairs.append("question mark added")
    return mended, repairs


def _content_problem(grey: np.ndarray) -> str:
    counts = np.bincount(grey.ravel(), minlength=256) / grey.size
    entropy = float(-(counts[counts > 0] * np.log2(counts[counts > 0])).sum())
    if grey.std() < IMAGE_MIN_STD or entropy < IMAGE_MIN_ENTROPY:
        return f"the image shows no discernible content (contrast {grey.std():.1f}, entropy {entropy:.2f} bits)"
    return ""


def _grey(abs_path: str) -> np.ndarray | str:
    """The image's grey levels, or why it does not decode."""
    try:
        with image_open(abs_path) as image:
            return np.asarray(image.convert("L"), dtype=np.int16)
    except (ImageToolError, OSError, ValueError) as exc:
        return f"the image does not decode: {exc}"


def discernible_problem(abs_path: str) -> str:
    """For an image degraded on purpose: it decodes and still shows something (contrast, entropy)."""
    grey = _grey(abs_path)
    return grey if isinstance(grey, str) else _content_problem(grey)


def image_problem(abs_path: str) -> str:
    grey = _grey(abs_path)
    if isinstance(grey, str):
        return grey
    height, width = grey.shape
    if min(height, width) < IMAGE_MIN_SIDE:
        return f"the image is {width}x{height} pixels (at least {IMAGE_MIN_SIDE} on each side)"
    problem = _content_problem(grey)
    if problem:
        return problem
    jumps = float((np.abs(np.diff(grey, axis=1)) > WRAP_JUMP).mean())
    midtones = float(((grey > 32) & (grey < 224)).mean())
    if jumps > WRAP_MAX_JUMPS and midtones > WRAP_MIN_MIDTONES:
        return (f"the image's intensities wrapped around (8-bit overflow: {jumps:.1%} of neighbouring pixels jump "
                "across most of the range) and look like noise")
    return ""


def _samples(abs_path: str) -> tuple[np.ndarray, float, bool]:
    """The recording as floats in [-1, 1], its duration, and whether it is PCM whose full scale is known."""
    try:
        with wave.open(abs_path, "rb") as reader:
            width, rate, frames = reader.getsampwidth(), reader.getframerate(), reader.getnframes()
            raw = reader.readframes(frames)
        if width in (1, 2, 4):
            dtype = {1: np.uint8, 2: np.int16, 4: np.int32}[width]
            data = np.frombuffer(raw, dtype=dtype).astype(np.float64)
            if width == 1:
                data = data - 128.0
            full = float(2 ** (8 * width - 1))
            return data / full, frames / rate if rate else 0.0, True
    except (wave.Error, EOFError):
        pass
    from faster_whisper.audio import decode_audio

    data = decode_audio(abs_path, sampling_rate=16000)
    return np.asarray(data, dtype=np.float64), len(data) / 16000, False


def audio_problem(abs_path: str, *, max_seconds: float) -> str:
    try:
        data, seconds, pcm = _samples(abs_path)
    except Exception as exc:  # noqa: BLE001 - any decoder failure is this file's problem
        return f"the recording does not decode: {exc}"
    if seconds < AUDIO_MIN_SECONDS:
        return f"the recording lasts {seconds:.2f} s (at least {AUDIO_MIN_SECONDS} s)"
    if seconds > max_seconds:
        return f"the recording lasts {seconds:.0f} s (at most {max_seconds:.0f} s)"
    rms = float(np.sqrt(np.mean(data ** 2))) if data.size else 0.0
    dbfs = 20 * np.log10(rms) if rms > 0 else -120.0
    if dbfs < AUDIO_SILENCE_DBFS:
        return f"the recording is silent ({dbfs:.0f} dBFS)"
    if pcm:
        clipped = float((np.abs(data) >= 0.999).mean())
        if clipped > AUDIO_MAX_CLIPPED:
            return f"the recording is clipped ({clipped:.1%} of its samples at full scale)"
    return ""
