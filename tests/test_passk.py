"""pass@k against hand-computed values (Chen et al. 2021)."""

from math import comb

import pytest

from polyglot_hrm.execution.passk import mean_pass_at_k, pass_at_k


@pytest.mark.parametrize("n,c,k,expected", [
    (5, 0, 1, 0.0),
    (5, 5, 1, 1.0),
    (5, 2, 1, 0.4),
    (5, 2, 2, 1 - 3 / 10),          # 1 - C(3,2)/C(5,2)
    (10, 3, 5, 1 - 21 / 252),       # 1 - C(7,5)/C(10,5)
    (3, 1, 3, 1.0),                 # n - c < k: a draw of all three must include the correct one
    (1, 1, 1, 1.0),
])
def test_pass_at_k_hand_values(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected)


def test_matches_the_combinatorial_definition_for_large_n():
    n, c, k = 200, 13, 10
    assert pass_at_k(n, c, k) == pytest.approx(1 - comb(n - c, k) / comb(n, k), rel=1e-12)


def test_fewer_samples_than_k_is_an_error_and_the_mean_is_omitted():
    with pytest.raises(ValueError, match="pass@5 needs at least 5 samples"):
        pass_at_k(3, 1, 5)
    assert mean_pass_at_k([3, 10], [1, 2], 5) is None
    assert mean_pass_at_k([10, 10], [0, 10], 5) == pytest.approx(0.5)


@pytest.mark.parametrize("n,c,k", [(2, 3, 1), (-1, 0, 1), (3, 1, 0)])
def test_invalid_arguments(n, c, k):
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)
