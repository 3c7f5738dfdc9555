"""Allocation, property-based: whatever the weights and capacities, quotas sum exactly to the target
(or to the whole supply when it falls short, with the gap reported) and never exceed a capacity."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.planner.allocation import Claim, allocate

claims = st.lists(
    st.tuples(st.floats(min_value=0.0, max_value=10.0, allow_nan=False), st.integers(min_value=0, max_value=500)),
    min_size=1, max_size=6,
).map(lambda items: [Claim(f"s{i}", weight, capacity) for i, (weight, capacity) in enumerate(items)])


@settings(max_examples=400, deadline=None)
@given(target=st.integers(min_value=1, max_value=2000), claims=claims)
def test_quotas_sum_to_the_target_within_capacity(target, claims):
    result = allocate(target, claims)
    supply = sum(c.capacity for c in claims)
    assert set(result.quotas) == {c.key for c in claims}
    assert all(0 <= result.quotas[c.key] <= c.capacity for c in claims)
    assert sum(result.quotas.values()) == min(target, supply)
    assert result.gap == max(0, target - supply)
    assert (result.diagnosis == "") == (result.gap == 0)


@settings(max_examples=200, deadline=None)
@given(target=st.integers(min_value=1, max_value=500), claims=claims)
def test_allocation_is_deterministic(target, claims):
    assert allocate(target, claims) == allocate(target, list(claims))
