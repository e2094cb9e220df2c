import itertools

import numpy as np
import pytest

from mandosim.model.rng import STREAM_NAMES, Streams, replicate_seeds


def test_same_seed_same_draws_per_stream():
    a, b = Streams(7), Streams(7)
    for name in STREAM_NAMES:
        assert np.array_equal(a[name].random(5), b[name].random(5))


def test_streams_do_not_shift_each_other():
    a, b = Streams(7), Streams(7)
    a["fights"].random(1000)  # drawing more from one stream ...
    assert np.array_equal(a["recruitment"].random(5), b["recruitment"].random(5))  # ... leaves others alone


def test_streams_differ_by_name_and_seed():
    s = Streams(7)
    assert not np.array_equal(s["fights"].random(5), s["recruitment"].random(5))
    assert not np.array_equal(Streams(7)["fights"].random(5), Streams(8)["fights"].random(5))


def test_unknown_stream_is_refused():
    with pytest.raises(KeyError, match="unknown random stream"):
        Streams(1)["weather"]


def test_replicate_seeds_are_spawned_not_consecutive():
    seeds = replicate_seeds(1, 50)
    assert len(set(seeds)) == 50
    assert seeds == replicate_seeds(1, 50)
    assert seeds[:10] == replicate_seeds(1, 10)
    assert all(b - a != 1 for a, b in itertools.pairwise(seeds))
