"""Agreement statistics on small cases computed by hand and on Krippendorff's own worked example."""
from __future__ import annotations

import pytest

from annotation.agreement import cohen_kappa, krippendorff_alpha, pairwise_kappa, units_from

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 observers, 12 units, gaps.
OBSERVERS = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]
UNITS = [list(unit) for unit in zip(*OBSERVERS)]


@pytest.mark.parametrize(("level", "expected"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)])
def test_krippendorffs_worked_example(level, expected):
    assert round(krippendorff_alpha(UNITS, level=level), 3) == expected


def test_alpha_by_hand_two_annotators_three_items():
    # Verdicts (a, a), (a, r), (r, r): o_aa = 2, o_ar = o_ra = 1, o_rr = 2; n_a = n_r = 3, n = 6.
    # D_o: 2 disagreeing pairings; D_e: 3 * 3 * 2 = 18 -> alpha = 1 - 5 * 2 / 18 = 4/9.
    assert krippendorff_alpha([["a", "a"], ["a", "r"], ["r", "r"]]) == pytest.approx(4 / 9)
    # Perfect agreement with variation: 1; a unit with one value pairs with nothing.
    assert krippendorff_alpha([["a", "a"], ["r", "r"], ["a", None]]) == 1.0
    # No variation, or nothing pairable: undefined.
    assert krippendorff_alpha([["a", "a"], ["a", "a"]]) is None
    assert krippendorff_alpha([["a"], ["r", None]]) is None


def test_ordinal_alpha_weighs_near_ratings_less_than_far_ones():
    near = krippendorff_alpha([[4, 5], [1, 1], [5, 5], [2, 2]], level="ordinal", order=[1, 2, 3, 4, 5])
    far = krippendorff_alpha([[1, 5], [1, 1], [5, 5], [2, 2]], level="ordinal", order=[1, 2, 3, 4, 5])
    assert near > far
    with pytest.raises(ValueError, match="not in the order"):
        krippendorff_alpha([[1, 7]], level="ordinal", order=[1, 2, 3])


def test_cohens_kappa_by_hand():
    # 50 items: yes/yes 20, yes/no 5, no/yes 10, no/no 15 -> p_o = 0.7, p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.5.
    pairs = [("y", "y")] * 20 + [("y", "n")] * 5 + [("n", "y")] * 10 + [("n", "n")] * 15
    assert cohen_kappa(pairs) == pytest.approx(0.4)
    assert cohen_kappa([("y", "y"), ("n", "n")]) == 1.0
    assert cohen_kappa([("y", "y"), ("y", "y")]) is None  # chance agreement is total
    assert cohen_kappa([]) is None


def test_pairwise_kappa_and_units_from_ratings():
    ratings = {"ann": {1: "a", 2: "a", 3: "r", 4: "r"}, "bob": {1: "a", 2: "r", 3: "r"}, "cy": {4: "a"}}
    assert pairwise_kappa(ratings) == {("ann", "bob"): (pytest.approx(0.4), 3)}
    assert sorted(map(sorted, units_from(ratings))) == [["a", "a"], ["a", "r"], ["a", "r"], ["r", "r"]]
