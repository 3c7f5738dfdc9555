"""Baselines that must score at chance on a sound benchmark.

The odd-one-out baseline never reads the question: it picks the option least like the others (the
one whose mean closeness in meaning to the other options, by the packaged embedding model, is
lowest; for numbers, the one farthest from the others). When distractors are drawn from another
type than the key (a city among flowers, three country names beside a plural noun), or gathered
round it (3 among 2, 4, 5), it beats chance; a benchmark whose items it answers more often than
chance (one-sided binomial test at 5%) tells its items apart without the question."""
from __future__ import annotations

import random
import re
from dataclasses import dataclass

import numpy as np
from scipy.stats import binomtest

from agents.tools.embedding import Embedder

MAX_ITEMS = 400  # a seeded sample of a larger benchmark: enough for the test, bounded in cost
SIGNIFICANCE = 0.05
_NUMBER = re.compile(r"\s*[-+]?\d+(?:[.,]\d+)?\s*")


@dataclass(frozen=True)
class OddOneOut:
    correct: int
    total: int
    chance: float  # the mean of 1 / options over the items
    p_value: float  # of scoring this well or better by chance

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def at_chance(self) -> bool:
        return self.p_value >= SIGNIFICANCE

    def as_dict(self) -> dict:
        return {"correct": self.correct, "total": self.total, "accuracy": round(self.accuracy, 4),
                "chance": round(self.chance, 4), "p_value": round(self.p_value, 6), "at_chance": self.at_chance}


def _pick_numbers(values: list[float]) -> int:
    spread = [sum(abs(v - w) for w in values) for v in values]
    return int(np.argmax(spread))


def odd_one_out(items: list[tuple[list[str], int]], embedder: Embedder, *, seed: str = "") -> OddOneOut:
    """The baseline on items (options, key index); items with fewer than three options are left out
    (with two, "the odd one" means nothing)."""
    usable = [(options, key) for options, key in items if len(options) >= 3 and 0 <= key < len(options)]
    if len(usable) > MAX_ITEMS:
        usable = random.Random(f"odd-one-out:{seed}").sample(usable, MAX_ITEMS)
    if not usable:
        return OddOneOut(0, 0, 0.0, 1.0)
    texts = sorted({o for options, _ in usable for o in options if not _NUMBER.fullmatch(o)})
    vectors = dict(zip(texts, np.asarray(embedder.embed(texts), dtype=np.float32), strict=True)) if texts else {}
    correct = 0
    for options, key in usable:
        if all(_NUMBER.fullmatch(o) for o in options):
            pick = _pick_numbers([float(o.strip().replace(",", ".")) for o in options])
        else:
            matrix = np.stack([vectors[o] if o in vectors else np.zeros_like(next(iter(vectors.values())))
                               for o in options])
            matrix /= np.linalg.norm(matrix, axis=1, keepdims=True) + 1e-9
            sims = matrix @ matrix.T
            closeness = (sims.sum(axis=1) - np.diag(sims)) / (len(options) - 1)
            pick = int(np.argmin(closeness))
        correct += pick == key
    chance = float(np.mean([1 / len(options) for options, _ in usable]))
    p_value = float(binomtest(correct, len(usable), chance, alternative="greater").pvalue)
    return OddOneOut(correct, len(usable), chance, p_value)
