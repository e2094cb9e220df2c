"""Allocation: the greedy placement with diminishing returns is optimal."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mandosim.model.command import greedy_counts


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=30), k=st.integers(1, 40), factor=st.floats(0.05, 0.95))
def test_greedy_allocation_is_optimal_for_diminishing_returns(values, k, factor):
    values = np.array(values)
    top, counts = greedy_counts(values, k, factor)
    assert counts.sum() == k
    # optimal: the k largest marginal values over all (cell, level) pairs
    marginals = np.sort((values[:, None] * factor ** np.arange(k)[None, :]).ravel())[::-1][:k]
    achieved = sum(values[c] * factor**j for c, n in zip(top, counts, strict=True) for j in range(n))
    assert achieved == pytest.approx(marginals.sum(), rel=1e-9, abs=1e-9)
