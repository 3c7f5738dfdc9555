"""What a dataset's records are about, profiled as they stream past the importer.

A profile of field names and types says what shape the records have ("3435 records with answer,
context"), not what they are about; search then finds an upload only through the name its user
typed. This profile reads the content: the salient words of the records' text (TF-IDF over the
records: a word's number of records times its smoothed inverse record frequency, so the words of
a template every record repeats count once per record and words of one record count little),
the names in it (capitalised words that do not open a sentence), and the sizes of its media
(image pixels, audio seconds). `datapool.profiling.card_from_profile` writes the card's
description and domain from it.

Memory stays bounded: the word counters are pruned of words seen once when they grow past
MAX_WORDS, and only the first MAX_CHARS characters of each text are read.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

from agents.offline.lexical import STOPWORDS

MAX_WORDS = 50_000
MAX_CHARS = 4000
SALIENT = 12
NAMES = 8
MAX_WORD = 30  # longer runs of letters are not words (a base64 blob, a line of padding)
_WORD = re.compile(r"[A-Za-z][A-Za-z-]*[A-Za-z]")  # an apostrophe ends a word: "didn't" is "didn", "Ava's" "Ava"
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n]\s*|[\"'(\[]\s*)$")
# English function words (pronouns, auxiliaries, determiners, common adverbs) besides the planner's
# list, which keeps words that may matter to a query: they say nothing about what records are about.
_MORE_STOPWORDS = frozenset("""
    a about above after again all also although am an and any are aren around as at away back be became because
    become been before being below between both but by came can cannot come could couldn did didn does doesn doing
    done don down during each else enough even ever every few for from get gets getting go goes going gone got had
    hadn has hasn have haven having he her here hers herself him himself his how however i if in into is isn it its
    itself just know knew last least less let like made make makes many may me might mine more most much must my
    myself near need never new next no nor not now of off often old on once one only onto or other others ought our
    ours ourselves out over own per perhaps put quite rather really right said same saw say says see seen she should
    shouldn since so some something sometimes soon still such take taken than that the their theirs them themselves
    then there these they thing things this those though through thus till to together too toward towards two under
    until up upon us use used very via want wanted was wasn way we well went were weren what whatever when where
    whether which while who whoever whole whom whose why will with within without won would wouldn yes yet you your
    yours yourself three four five six first second third image images file png jpg jpeg wav mp3
""".split())


def _stop(word: str) -> bool:
    return word in STOPWORDS or word in _MORE_STOPWORDS or len(word) < 3


class ContentProfile:
    """Salient words and names of the records' text, and the media's sizes, in one pass."""

    def __init__(self) -> None:
        self.records = 0
        self.word_records: Counter[str] = Counter()  # records each (lower-cased) word occurs in
        self.name_records: Counter[str] = Counter()
        self.forms: dict[str, Counter[str]] = {}  # the spellings of a word, for showing it
        self.image_sizes: list[int] = [0, 0, 0, 0, 0]  # images, min width, max width, min height, max height
        self.pixel_sum = [0, 0]  # widths, heights (for the mean)
        self.audio: list[float] = [0, 0.0, 0.0, 0.0]  # recordings, min s, max s, total s

    # -- feeding -------------------------------------------------------------------------------

    def add_record(self, texts: list[str], measures: list[dict[str, Any]] | None = None) -> None:
        """One record's texts (its text fields, not its file names or ids) and its media's measures
        ({"width", "height"} of an image, {"seconds"} of a recording)."""
        self.records += 1
        words: set[str] = set()
        names: set[str] = set()
        for text in texts:
            text = text[:MAX_CHARS]
            for match in _WORD.finditer(text):
                raw = match.group(0)
                word = raw.lower()
                if _stop(word) or len(word) > MAX_WORD:
                    continue
                words.add(word)
                self.forms.setdefault(word, Counter())[raw] += 1
                if raw[0].isupper() and not raw.isupper() and not _SENTENCE_START.search(text[:match.start()]):
                    names.add(raw)
        self.word_records.update(words)
        self.name_records.update(names)
        if len(self.word_records) > MAX_WORDS:
            self._prune()
        for measure in measures or []:
            self._measure(measure)

    def _prune(self) -> None:
        for counter in (self.word_records, self.name_records):
            for word in [w for w, n in counter.items() if n <= 1]:
                del counter[word]
        self.forms = {w: f for w, f in self.forms.items() if w in self.word_records}

    def _measure(self, measure: dict[str, Any]) -> None:
        if measure.get("width") and measure.get("height"):
            w, h = int(measure["width"]), int(measure["height"])
            sizes = self.image_sizes
            if sizes[0] == 0:
                sizes[1:] = [w, w, h, h]
            else:
                sizes[1:] = [min(sizes[1], w), max(sizes[2], w), min(sizes[3], h), max(sizes[4], h)]
            sizes[0] += 1
            self.pixel_sum[0] += w
            self.pixel_sum[1] += h
        elif measure.get("seconds"):
            seconds = float(measure["seconds"])
            audio = self.audio
            audio[1] = seconds if audio[0] == 0 else min(audio[1], seconds)
            audio[2] = max(audio[2], seconds)
            audio[3] += seconds
            audio[0] += 1

    # -- reading -------------------------------------------------------------------------------

    def salient(self, limit: int = SALIENT) -> list[str]:
        """The words that say most about the records: TF-IDF summed over the records (binary term
        frequency, smoothed idf), words of a single record left out when there are five or more, and
        names (words nearly always capitalised) left to names()."""
        n = self.records
        least = 2 if n >= 5 else 1
        scored = [(df * (1.0 + math.log((1 + n) / (1 + df))), word) for word, df in self.word_records.items()
                  if df >= least and self._shown(word) == word]  # names are listed by names()
        scored.sort(key=lambda t: (-t[0], t[1]))
        return [word for _, word in scored[:limit]]

    def names(self, limit: int = NAMES) -> list[str]:
        least = 2 if self.records >= 5 else 1
        ranked = sorted(((df, name) for name, df in self.name_records.items() if df >= least),
                        key=lambda t: (-t[0], t[1]))
        return [name for _, name in ranked[:limit]]

    def _shown(self, word: str) -> str:
        forms = self.forms.get(word)
        if not forms:
            return word
        # The lower-case spelling unless the word is (nearly) always capitalised: a name keeps its capital.
        lower = forms.get(word, 0)
        return word if lower * 4 >= sum(forms.values()) else forms.most_common(1)[0][0]

    def media_summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        count, min_w, max_w, min_h, max_h = self.image_sizes
        if count:
            out["images"] = {"count": count, "width": {"min": min_w, "max": max_w, "mean": round(self.pixel_sum[0] / count)},
                             "height": {"min": min_h, "max": max_h, "mean": round(self.pixel_sum[1] / count)}}
        if self.audio[0]:
            n, low, high, total = self.audio
            out["audio"] = {"count": int(n), "seconds": {"min": round(low, 2), "max": round(high, 2),
                                                          "mean": round(total / n, 2)}}
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"salient_terms": self.salient(), "names": self.names(), **self.media_summary()}


def media_phrase(summary: dict[str, Any]) -> str:
    """The media's sizes in words, e.g. "an image (28x28 pixels)" or "an audio recording (2.1 to 4.8 seconds)"."""
    parts = []
    images = summary.get("images")
    if images:
        w, h = images["width"], images["height"]
        size = (f"{w['min']}x{h['min']} pixels" if (w["min"], h["min"]) == (w["max"], h["max"])
                else f"{w['min']}x{h['min']} to {w['max']}x{h['max']} pixels")
        parts.append(f"an image ({size})")
    audio = summary.get("audio")
    if audio:
        s = audio["seconds"]
        span = f"{s['min']:g} seconds" if s["min"] == s["max"] else f"{s['min']:g} to {s['max']:g} seconds"
        parts.append(f"an audio recording ({span})")
    return " and ".join(parts)
