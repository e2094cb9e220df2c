import numpy as np
import pytest

from mandosim.model.errors import InputError
from mandosim.model.region import LAND_CLASSES, build_region, load_region_file
from tests.conftest import SCENARIOS

REGION = SCENARIOS / "regions" / "baja_sonora.toml"


@pytest.fixture(scope="module")
def region():
    return build_region(REGION, 2.5)


def test_every_zone_is_on_the_grid_with_its_census_population(region):
    spec = load_region_file(REGION)
    assert set(region.zone_names) == set(spec.zones)
    assert np.all(np.bincount(region.zone, minlength=len(region.zone_names)) > 0)
    expected = {name: z.rural_population for name, z in spec.zones.items()}
    for town in spec.towns:
        expected[town.zone] += town.population
    for name, people in zip(region.zone_names, region.zone_population(), strict=True):
        assert people == pytest.approx(expected[name], rel=1e-9)
    tijuana = region.zone_population()[region.zone_code("tijuana")]
    assert tijuana == pytest.approx(1_922_523)  # FACTS: Region


def test_jurisdictions_and_states(region):
    city, valley = region.zone_code("mexicali_city"), region.zone_code("mexicali_valley")
    assert region.zone_jurisdiction[city] == region.zone_jurisdiction[valley]  # one police for both
    slrc = region.zone_code("san_luis_rio_colorado")
    assert region.state_names[region.state[region.zone == slrc][0]] == "SON"
    assert region.state_names[region.state[region.zone == valley][0]] == "BC"


def test_ports_roads_and_land(region):
    assert len(region.port_cells) == 8
    assert region.port_weights.sum() == pytest.approx(1.0)
    assert region.road.sum() > 100
    assert (region.land == LAND_CLASSES.index("urban")).sum() > 50
    assert region.adjacency.shape == (region.n_cells, region.n_cells)
    assert np.all(region.adjacency.diagonal() == 1)


def test_resolution_scales_cells():
    coarse, fine = build_region(REGION, 5.0), build_region(REGION, 2.5)
    assert 3.3 < fine.n_cells / coarse.n_cells < 4.7
    assert fine.zone_population().sum() == pytest.approx(coarse.zone_population().sum())


def test_bad_region_file_is_an_input_error(write):
    path = write("r.toml", 'name = "x"\n[grid]\nlat_min = 1\n')
    with pytest.raises(InputError, match=r"r\.toml: grid\.lat_max: required key is missing"):
        load_region_file(path)


@pytest.mark.parametrize("cell_km", [0.625, 1.25, 2.5, 3.0, 5.0])
def test_stencils_cover_the_same_ground_at_every_resolution(cell_km):
    """The reach covers 7.5 × 7.5 km and the patrol 2.5 × 2.5 km whatever the cell size."""
    from mandosim.model.region import PATROL_KM, REACH_KM, stencil_offsets

    for side in (REACH_KM, PATROL_KM):
        offsets, weights = stencil_offsets(side, cell_km)
        assert weights.sum() * cell_km**2 == pytest.approx(side**2)
        assert tuple(offsets[0]) == (0, 0)
        assert np.all((weights > 0) & (weights <= 1))
        mirrored = {tuple(o): w for o, w in zip(-offsets, weights, strict=True)}
        assert all(mirrored[tuple(o)] == pytest.approx(w) for o, w in zip(offsets, weights, strict=True))  # symmetric


def test_at_the_reference_resolution_the_reach_is_the_moore_block_and_the_patrol_the_cell(region):
    assert np.array_equal(region.reach.cells[:, 0], np.arange(region.n_cells))
    assert np.array_equal(region.reach.cells[:, 1:], region.neighbours)
    assert np.all(region.reach.weights == 1.0)
    assert region.patrol.weights.tolist() == [1.0]
    piece, cell, share = region.patrol.spread(np.array([3, 7, 7]))
    assert piece.tolist() == [0, 1, 2] and cell.tolist() == [3, 7, 7] and share.tolist() == [1.0, 1.0, 1.0]


def test_officers_nearby_are_a_count_over_the_same_ground_at_any_resolution():
    """A uniform carpet of officers gives the same officers within reach at 1.25, 2.5 and 5 km (away from edges)."""
    from mandosim.model.kernels import neighbourhood_sum

    per_km2 = 2.0
    nearby = {}
    for cell_km in (1.25, 2.5, 5.0):
        r = build_region(REGION, cell_km)
        interior = (r.reach.cells >= 0).all(axis=1)
        officers = np.full(r.n_cells, per_km2 * cell_km**2)
        nearby[cell_km] = np.median(neighbourhood_sum(np.arange(r.n_cells), officers, *r.reach, r.n_cells)[interior])
    assert nearby[1.25] == pytest.approx(nearby[2.5]) and nearby[5.0] == pytest.approx(nearby[2.5])
    assert nearby[2.5] == pytest.approx(per_km2 * 7.5**2)
