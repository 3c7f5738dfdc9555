"""Statistics of evaluation results: bootstrap confidence intervals, Kendall's tau and the ranking
stability of models across bootstrap resamples, monotonic scaling within a model family, saturation."""
from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from itertools import combinations

BOOTSTRAP_RESAMPLES = 1000
SATURATION = 0.9


def bootstrap_ci(outcomes: Sequence[bool], *, resamples: int = BOOTSTRAP_RESAMPLES, level: float = 0.95,
                 seed: int = 0) -> tuple[float, float] | None:
    """Percentile bootstrap interval of the accuracy (seeded, so a page and the API agree)."""
    n = len(outcomes)
    if n == 0:
        return None
    values = [1 if o else 0 for o in outcomes]
    rng = random.Random(seed)
    means = sorted(sum(values[rng.randrange(n)] for _ in range(n)) / n for _ in range(resamples))
    low = means[int((1 - level) / 2 * resamples)]
    high = means[min(resamples - 1, int((1 + level) / 2 * resamples))]
    return round(low, 4), round(high, 4)


def kendall_tau(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Kendall's tau-b of two score lists over the same models (ties corrected); None below two."""
    n = len(a)
    if n < 2:
        return None
    concordant = discordant = ties_a = ties_b = 0
    for i, j in combinations(range(n), 2):
        da, db = a[i] - a[j], b[i] - b[j]
        if da == 0 and db == 0:
            continue
        if da == 0:
            ties_a += 1
        elif db == 0:
            ties_b += 1
        elif (da > 0) == (db > 0):
            concordant += 1
        else:
            discordant += 1
    denominator = ((concordant + discordant + ties_a) * (concordant + discordant + ties_b)) ** 0.5
    return None if denominator == 0 else (concordant - discordant) / denominator


def ranking_stability(results: Mapping[str, Mapping[str, bool]], *, resamples: int = 200,
                      seed: int = 0) -> float | None:
    """Mean Kendall's tau between the models' accuracies on the items all of them answered and on
    bootstrap resamples of those items: 1.0 when the ranking never changes."""
    models = sorted(results)
    if len(models) < 2:
        return None
    items = sorted(set.intersection(*(set(results[m]) for m in models)))
    if not items:
        return None
    full = [sum(results[m][i] for i in items) / len(items) for m in models]
    rng = random.Random(seed)
    taus = []
    for _ in range(resamples):
        drawn = [items[rng.randrange(len(items))] for _ in items]
        tau = kendall_tau(full, [sum(results[m][i] for i in drawn) / len(drawn) for m in models])
        if tau is not None:
            taus.append(tau)
    return round(sum(taus) / len(taus), 4) if taus else None


def scaling_violations(family: Sequence[tuple[str, float, float]]) -> list[str]:
    """(model, declared scale, accuracy) of one family: each step up the scale that scores lower
    than the step below it, as a sentence."""
    ordered = sorted(family, key=lambda row: row[1])
    return [f"{big} (scale {big_scale:g}) scores {big_acc:.1%}, below {small} (scale {small_scale:g}) at {small_acc:.1%}"
            for (small, small_scale, small_acc), (big, big_scale, big_acc) in zip(ordered, ordered[1:])
            if big_acc < small_acc]
