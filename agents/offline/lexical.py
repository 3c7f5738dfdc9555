"""Tokenisation, keyword extraction and BM25 ranking for the offline planner."""
from __future__ import annotations

import math
import re
from collections import Counter

STOPWORDS = frozenset(
    """
    a about above across after again against all almost also although always am among an and another any
    anyone anything are around as ask asked asks at be because been before being below benchmark
    benchmarks best between both build but by can could did do does doing done each either else etc even
    evaluate evaluates evaluating evaluation every example first for from further get given goal has have
    having he her here hers him his how however i if in include includes including into is it its itself
    just like make many may me might model models more most much must my need needs no nor not now of
    often on once one only or other others our out over own per rather related same should show so some
    such test tests than that the their them then there these they this those through thus to too under
    until up upon us use used uses using usually very want wants was we well were what when where whether
    which while who whom why will with within without would yet you your first then may also each sample
    samples question questions answer answers model's task tasks data dataset datasets
    """.split()
)

_TOKEN = re.compile(r"[a-z0-9]+")


def stem(token: str) -> str:
    """A light suffix stripper: enough to match 'perspectives'/'perspective', 'reasoning'/'reason'."""
    for suffix, min_len in (("ing", 5), ("ies", 5), ("es", 5), ("s", 4), ("ed", 5), ("al", 6), ("ly", 5)):
        if token.endswith(suffix) and len(token) >= min_len + len(suffix) - 2:
            base = token[: -len(suffix)]
            return base + "y" if suffix == "ies" else base
    return token


def tokens(text: str) -> list[str]:
    return [stem(t) for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS and len(t) > 1]


def keywords(text: str, *, limit: int = 8) -> list[str]:
    """Content words of the text, most frequent first, ties by first appearance (3..limit of them)."""
    words = [w for w in _TOKEN.findall(text.lower()) if w not in STOPWORDS and len(w) > 2 and not w.isdigit()]
    counts = Counter(stem(w) for w in words)
    first_form: dict[str, str] = {}
    order: dict[str, int] = {}
    for i, w in enumerate(words):
        first_form.setdefault(stem(w), w)
        order.setdefault(stem(w), i)
    ranked = sorted(counts, key=lambda s: (-counts[s], order[s]))
    return [first_form[s] for s in ranked[:limit]]


class BM25:
    """Okapi BM25 over pre-tokenised documents (k1 1.5, b 0.75, as the reference method uses)."""

    def __init__(self, documents: list[list[str]], *, k1: float = 1.5, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self.docs = [Counter(doc) for doc in documents]
        self.lengths = [len(doc) for doc in documents]
        self.avg_length = (sum(self.lengths) / len(self.lengths)) if documents else 0.0
        df: Counter[str] = Counter()
        for doc in self.docs:
            df.update(doc.keys())
        n = len(documents)
        self.idf = {term: math.log(1 + (n - freq + 0.5) / (freq + 0.5)) for term, freq in df.items()}

    def score(self, query: list[str], index: int) -> float:
        doc = self.docs[index]
        length_norm = 1 - self.b + self.b * (self.lengths[index] / self.avg_length if self.avg_length else 0)
        total = 0.0
        for term in set(query):
            tf = doc.get(term, 0)
            if tf:
                total += self.idf[term] * tf * (self.k1 + 1) / (tf + self.k1 * length_norm)
        return total

    def reference_score(self, query: list[str]) -> float:
        """What a document holding each query term once, at average length, would score: a
        yardstick that makes a one-word brush with a longer query look as weak as it is. A term no
        document holds counts at the idf of the rarest possible term."""
        unseen = math.log(1 + (len(self.docs) + 0.5) / 0.5)
        return sum(self.idf.get(term, unseen) for term in set(query))

    def matched_terms(self, query: list[str], index: int) -> list[str]:
        return sorted(term for term in set(query) if term in self.docs[index])
