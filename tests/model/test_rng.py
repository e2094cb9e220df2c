import itertools

import numpy as np
import pytest

from mandosim.model.rng import STREAM_NAMES, Streams, replicate_seeds
from tests.conftest import short


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


def test_root_seed_takes_what_mesa_takes_reproducibly():
    from mandosim.model.rng import root_seed

    assert root_seed(5) == root_seed(rng=5) == 5
    assert root_seed(rng=np.int64(5)) == 5
    assert root_seed(rng=np.random.SeedSequence(5)) == root_seed(rng=np.random.SeedSequence(5))
    assert root_seed(rng=np.random.default_rng(5)) == root_seed(rng=np.random.default_rng(5))
    assert root_seed(rng=np.random.PCG64(5)) == root_seed(rng=np.random.default_rng(5))
    assert root_seed(rng=np.random.default_rng(5)) != root_seed(rng=np.random.default_rng(6))
    assert 0 <= root_seed() < 2**63


@pytest.mark.parametrize(
    ("seed", "rng", "error"),
    [
        (True, None, TypeError),
        (None, False, TypeError),
        (1.5, None, TypeError),
        (None, "5", TypeError),
        (None, __import__("random").Random(5), TypeError),
        (1, 1, TypeError),
        (-1, None, ValueError),
        (None, 2**63, ValueError),
    ],
)
def test_root_seed_refuses_other_types_clearly(seed, rng, error):
    from mandosim.model.rng import root_seed

    with pytest.raises(error, match=r"seed|rng"):
        root_seed(seed, rng)


@pytest.mark.parametrize("make", [lambda: 5, lambda: np.random.SeedSequence(5), lambda: np.random.default_rng(5)])
def test_the_model_seeded_through_mesas_rng_is_reproducible(make):
    from mandosim.model.model import BorderSecurityModel

    totals = []
    for _ in range(2):
        model = BorderSecurityModel(short("baseline", time={"burn_in_days": 2, "horizon_days": 3}), rng=make(), report_to_mesa=False)
        model.run()
        totals.append((model.seed_value, model.recorder.zone_frame().homicides.sum(), model.random.random()))
        model.release()
    assert totals[0] == totals[1]
