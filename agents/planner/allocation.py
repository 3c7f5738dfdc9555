"""Allocation: quotas that sum exactly to the target, proportional to importance, within each
cell's measured capacity; a diagnosis when the pool cannot supply the target."""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Claim:
    key: str
    weight: float
    capacity: int


@dataclass(frozen=True)
class Allocation:
    quotas: dict[str, int]
    gap: int  # how many of the target the pool cannot supply (0 when the target is met)
    diagnosis: str


def _largest_remainder(total: int, weights: dict[str, float]) -> dict[str, int]:
    weight_sum = sum(weights.values())
    if total <= 0 or not weights:
        return {key: 0 for key in weights}
    if weight_sum <= 0:
        weights = {key: 1.0 for key in weights}
        weight_sum = float(len(weights))
    raw = {key: total * w / weight_sum for key, w in weights.items()}
    quotas = {key: math.floor(value) for key, value in raw.items()}
    leftover = total - sum(quotas.values())
    for key in sorted(raw, key=lambda k: (-(raw[k] - quotas[k]), k))[:leftover]:
        quotas[key] += 1
    return quotas


def allocate(target: int, claims: list[Claim]) -> Allocation:
    supply = sum(c.capacity for c in claims)
    if supply <= target:
        gap = target - supply
        diagnosis = "" if gap == 0 else (
            f"insufficient supply: the chosen datasets hold {supply} usable records for {target} requested")
        return Allocation({c.key: c.capacity for c in claims}, gap, diagnosis)
    quotas = {c.key: 0 for c in claims}
    capacity = {c.key: c.capacity for c in claims}
    open_claims = {c.key: c.weight for c in claims if c.capacity > 0}
    remaining = target
    # Hand out proportionally; a claim that hits its capacity is closed and the rest re-shared.
    while remaining > 0 and open_claims:
        share = _largest_remainder(remaining, open_claims)
        for key, amount in share.items():
            take = min(amount, capacity[key] - quotas[key])
            quotas[key] += take
            remaining -= take
            if quotas[key] >= capacity[key]:
                open_claims.pop(key)
    return Allocation(quotas, 0, "")
