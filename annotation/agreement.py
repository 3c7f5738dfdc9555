"""Inter-annotator agreement, computed by us (Label Studio's community edition has none):
Krippendorff's alpha (nominal for verdicts, ordinal for intent alignment; any number of annotators,
missing ratings allowed) and Cohen's kappa for a pair of annotators. Plain Python, no Django.

Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": from the coincidence matrix
o_ck of the values paired within each unit (each pair weighted 1 / (m_u - 1), m_u the unit's
number of values), alpha = 1 - (n - 1) * sum(o_ck * d_ck) / sum(n_c * n_k * d_ck), with d_ck the
squared difference of the level of measurement. None where alpha is undefined: fewer than two
pairable values, or no variation at all (every value the same)."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from itertools import combinations
from typing import Literal

Level = Literal["nominal", "ordinal", "interval"]


def _coincidences(units: Iterable[Sequence[Hashable | None]]) -> dict[tuple[Hashable, Hashable], float]:
    matrix: dict[tuple[Hashable, Hashable], float] = defaultdict(float)
    for unit in units:
        values = [v for v in unit if v is not None]
        if len(values) < 2:
            continue  # a unit with one value pairs with nothing
        weight = 1.0 / (len(values) - 1)
        for i, c in enumerate(values):
            for j, k in enumerate(values):
                if i != j:
                    matrix[(c, k)] += weight
    return matrix


def _distance(level: Level, order: list[Hashable], totals: Mapping[Hashable, float]):
    if level == "nominal":
        return lambda c, k: 0.0 if c == k else 1.0
    if level == "interval":
        return lambda c, k: (float(c) - float(k)) ** 2  # type: ignore[arg-type]
    rank = {value: i for i, value in enumerate(order)}

    def ordinal(c, k) -> float:
        low, high = sorted((rank[c], rank[k]))
        between = sum(totals.get(order[g], 0.0) for g in range(low, high + 1))
        return (between - (totals.get(c, 0.0) + totals.get(k, 0.0)) / 2) ** 2

    return ordinal


def krippendorff_alpha(units: Iterable[Sequence[Hashable | None]], *, level: Level = "nominal",
                       order: Sequence[Hashable] | None = None) -> float | None:
    """Alpha over units (each the values its annotators gave, None where one gave none). For the
    ordinal level, `order` lists the categories from low to high (default: sorted values)."""
    matrix = _coincidences(units)
    totals: Counter = Counter()
    for (c, _k), weight in matrix.items():
        totals[c] += weight
    n = sum(totals.values())
    if n < 2:
        return None
    values = sorted(totals) if order is None else list(order)
    missing = set(totals) - set(values)
    if missing:
        raise ValueError(f"values {sorted(map(str, missing))} are not in the order given")
    delta = _distance(level, values, totals)
    observed = sum(weight * delta(c, k) for (c, k), weight in matrix.items())
    expected = sum(totals[c] * totals[k] * delta(c, k) for c in totals for k in totals)
    if expected == 0:
        return None
    return 1.0 - (n - 1) * observed / expected


def cohen_kappa(pairs: Iterable[tuple[Hashable, Hashable]]) -> float | None:
    """Cohen's kappa of two annotators over the items both rated: (p_o - p_e) / (1 - p_e). None
    for no items, or when chance agreement is already total (both gave one same value throughout)."""
    pairs = list(pairs)
    if not pairs:
        return None
    n = len(pairs)
    observed = sum(1 for a, b in pairs if a == b) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[v] * second[v] for v in first) / (n * n)
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


def pairwise_kappa(ratings: Mapping[Hashable, Mapping[Hashable, Hashable]], *,
                   min_shared: int = 2) -> dict[tuple[Hashable, Hashable], tuple[float | None, int]]:
    """Cohen's kappa for every pair of annotators ({annotator: {item: value}}) that share at least
    `min_shared` items: {(a, b): (kappa, shared items)}, a < b."""
    out: dict[tuple[Hashable, Hashable], tuple[float | None, int]] = {}
    for a, b in combinations(sorted(ratings, key=str), 2):
        shared = sorted(set(ratings[a]) & set(ratings[b]), key=str)
        if len(shared) >= min_shared:
            out[(a, b)] = (cohen_kappa((ratings[a][item], ratings[b][item]) for item in shared), len(shared))
    return out


def units_from(ratings: Mapping[Hashable, Mapping[Hashable, Hashable]]) -> list[list[Hashable]]:
    """{annotator: {item: value}} as alpha's units: per item, the values its annotators gave."""
    by_item: dict[Hashable, list[Hashable]] = defaultdict(list)
    for per_item in ratings.values():
        for item, value in per_item.items():
            by_item[item].append(value)
    return list(by_item.values())


def _ranks(values: Sequence[float]) -> list[float]:
    """Ranks from 1, ties given the mean of the ranks they span."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Spearman's rank correlation (Pearson's r of the ranks, ties averaged); None for fewer than
    two pairs or when either side does not vary."""
    if len(xs) != len(ys):
        raise ValueError("spearman needs two sequences of the same length")
    if len(xs) < 2:
        return None
    rx, ry = _ranks(xs), _ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    sxx, syy = sum((a - mx) ** 2 for a in rx), sum((b - my) ** 2 for b in ry)
    if sxx == 0 or syy == 0:
        return None
    return sxy / (sxx * syy) ** 0.5
