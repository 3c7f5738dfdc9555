"""Which language a text is in: py3langid (langid.py's model, shipped inside the package; nothing is
downloaded). A short text ("Sea mammal") says too little to tell its language, so a dataset's
language is read from its records pooled: each text of at least `min_words` words on its own, the
shorter ones joined into passages of about that length."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

# Language names as teams and datasets write them -> ISO 639-1 codes.
LANGUAGE_NAMES = {
    "english": "en", "german": "de", "french": "fr", "spanish": "es", "italian": "it", "portuguese": "pt",
    "dutch": "nl", "swedish": "sv", "danish": "da", "norwegian": "no", "finnish": "fi", "polish": "pl",
    "czech": "cs", "greek": "el", "turkish": "tr", "russian": "ru", "ukrainian": "uk", "arabic": "ar",
    "hebrew": "he", "persian": "fa", "farsi": "fa", "hindi": "hi", "bengali": "bn", "urdu": "ur", "tamil": "ta",
    "chinese": "zh", "mandarin": "zh", "cantonese": "yue", "japanese": "ja", "korean": "ko", "vietnamese": "vi",
    "thai": "th", "indonesian": "id", "malay": "ms", "swahili": "sw", "hungarian": "hu", "romanian": "ro",
    "catalan": "ca", "yoruba": "yo", "amharic": "am",
}

MIN_WORDS = 5  # a text this long is classified on its own
POOLED_WORDS = 40  # short texts are joined into passages this long


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def word_count(text: str) -> int:
    return len(re.findall(r"\w+", text))


def identify(text: str) -> tuple[str, float]:
    """(ISO 639-1 code, probability) of the text's language."""
    code, probability = _identifier().classify(text)
    return str(code), float(probability)


@dataclass(frozen=True)
class LanguageProfile:
    """How a dataset's texts share out over languages: texts counted per language."""

    counts: Counter

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def share(self, languages: set[str] | frozenset[str]) -> float:
        return sum(n for code, n in self.counts.items() if code in languages) / self.total if self.total else 0.0

    def main(self) -> str:
        return self.counts.most_common(1)[0][0] if self.counts else ""

    def describe(self, limit: int = 3) -> str:
        return ", ".join(f"{code} {n / self.total:.0%}" for code, n in self.counts.most_common(limit)) or "no text"


def profile(texts: list[str], *, min_words: int = MIN_WORDS) -> LanguageProfile:
    """The languages of these texts (each text counts once, whether read alone or in a pooled passage)."""
    counts: Counter = Counter()
    pending: list[str] = []
    pending_words = 0

    def flush() -> None:
        nonlocal pending, pending_words
        if pending:
            counts[identify(" . ".join(pending))[0]] += len(pending)
        pending, pending_words = [], 0

    for text in texts:
        text = " ".join(str(text).split())
        words = word_count(text)
        if not words:
            continue
        if words >= min_words:
            counts[identify(text)[0]] += 1
            continue
        pending.append(text)
        pending_words += words
        if pending_words >= POOLED_WORDS:
            flush()
    if pending and (pending_words >= min_words or not counts):
        flush()
    return LanguageProfile(counts)


_CODES = frozenset(LANGUAGE_NAMES.values())


def language_code(value: object) -> str:
    """The ISO 639-1 code a record's language field names ("French", "fr", "fr-FR", "British English"),
    or "" when it names none or several."""
    words = re.findall(r"[a-z]+", str(value).lower())
    if len(words) in (1, 2) and words[0] in _CODES and (len(words) == 1 or len(words[1]) == 2):
        return words[0]  # a code, or a code and a region
    named = {LANGUAGE_NAMES[w] for w in words if w in LANGUAGE_NAMES}
    return named.pop() if len(named) == 1 else ""
