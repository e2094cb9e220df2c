import numpy as np
import pytest

from model.errors import InputError
from model.region import LAND_CLASSES, build_region, load_region_file
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
