"""Fuzzing the loader: every scenario or region file is accepted as valid or refused with one line.

Two sources of input: mutations of the shipped files (``tests/fuzz.py``: dropped, duplicated and
garbled lines, non-finite and extreme numbers, deep nesting, odd names and paths), and scenarios
drawn from the schema with arbitrary values at arbitrary keys. Nothing here may raise anything but
``InputError``, and an accepted scenario holds only finite numbers.
"""

from __future__ import annotations

import math
import random
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mandosim.model.errors import InputError
from mandosim.model.params import Scenario
from mandosim.model.scenario import load_scenario
from tests.fuzz import LIBRARY, mutate

LEAVES = []


def _leaves(data, prefix=()):
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, (*prefix, key))
    else:
        yield prefix


LEAVES = sorted(_leaves(Scenario().model_dump(mode="python", exclude={"events"})))
VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.booleans(),
    st.text(max_size=300),
    st.lists(st.floats(allow_nan=True), max_size=5),
    st.dictionaries(st.text(max_size=20), st.floats(allow_nan=True), max_size=3),
    st.sampled_from(["/etc/passwd", "../../x.toml", "regions/baja_sonora.toml", "a" * 2000, "unified", "fragmented"]),
)


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("library")
    shutil.copytree(LIBRARY, folder, dirs_exist_ok=True)
    return folder


def finite_everywhere(value) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(finite_everywhere(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(finite_everywhere(v) for v in value)
    return True


def accepted_or_one_line(path: Path, overrides: dict | None = None) -> None:
    try:
        loaded = load_scenario(path, overrides)
    except InputError as error:
        text = str(error)
        assert "\n" not in text and len(text) < 1200, text[:300]
        assert text.startswith(error.path) and error.path, text[:300]
        return
    assert finite_everywhere(loaded.scenario.model_dump(mode="python"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_mutated_shipped_files_load_or_fail_in_one_line(library, seed):
    rng = random.Random(seed)
    if rng.random() < 0.3:
        region = library / "regions" / f"h{seed}.toml"
        region.write_text(mutate((library / "regions" / "baja_sonora.toml").read_text(), rng), errors="surrogatepass")
        path = library / f"h{seed}.toml"
        path.write_text(f'extends = "baseline.toml"\nregion = "regions/{region.name}"\n')
    else:
        source = rng.choice(sorted(library.glob("*.toml")))
        path = library / f"h{seed}.toml"
        path.write_text(mutate(source.read_text(), rng), errors="surrogatepass")
    accepted_or_one_line(path)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(st.tuples(st.sampled_from(LEAVES), VALUES), min_size=1, max_size=4))
def test_schema_drawn_values_load_or_fail_in_one_line(library, changes):
    overrides: dict = {}
    for path, value in changes:
        node = overrides
        for key in path[:-1]:
            node = node.setdefault(key, {}) if isinstance(node.get(key, {}), dict) else {}
        node[path[-1]] = value
    accepted_or_one_line(library / "baseline.toml", overrides)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('extends = "baseline.toml"\n[operations]\nencounter_rate = nan\n', "operations.encounter_rate"),
        ('extends = "baseline.toml"\n[community.zone_trust]\ntijuana = inf\n', "community.zone_trust.tijuana"),
        ('extends = "baseline.toml"\n[community.zone_trust]\ntijuana = -100\n', "community.zone_trust.tijuana"),
        ('extends = "baseline.toml"\n[community.zone_trust]\ntijuana = 1e12\n', "community.zone_trust.tijuana"),
        ('extends = "baseline.toml"\n[agencies.sedena.officers]\ntijuana = 1e12\n', "agencies.sedena.officers.tijuana"),
        ('extends = "baseline.toml"\n[agencies.sedena.officers]\ntijuana = nan\n', "agencies.sedena.officers.tijuana"),
        ('extends = "baseline.toml"\n[groups.valley.members]\nmexicali_valley = 1e7\n', "groups.valley.members.mexicali_valley"),
        ('extends = "baseline.toml"\nevents = 5\n', "events"),
        ('extends = "baseline.toml"\nname = "/some/dir/x"\n', "name"),
        ('extends = "baseline.toml"\nname = "../../escape"\n', "name"),
        ('extends = "/etc/passwd"\n', "extends"),
        ('extends = "/proc/self/environ"\n', "extends"),
        ('extends = "' + "x" * 5000 + '.toml"\n', "extends"),
        ('extends = "a\\u0000b.toml"\n', "extends"),
        ('extends = "baseline.toml"\nregion = "/etc/passwd"\n', "region"),
        ('extends = "baseline.toml"\n[time]\nhorizon_days = 1000000000\n', "time.horizon_days"),
        ('extends = "baseline.toml"\n[operations]\nunit_size = 1\n[agencies.sedena.officers]\ntijuana = 99999\n', "agencies"),
        ("deep = " + "[" * 495 + "]" * 495 + "\n", ""),
    ],
)
def test_the_reported_cases_are_refused_in_one_line(library, text, key):
    path = library / "case.toml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    assert caught.value.key == key
    assert "\n" not in str(caught.value)


def test_a_file_outside_the_allowed_folders_is_neither_opened_nor_echoed(library, tmp_path):
    secret = tmp_path / "elsewhere" / "secret.toml"
    secret.parent.mkdir()
    secret.write_text('[command]\nregime = "TOP-SECRET-VALUE-123"\n')
    path = library / "leak.toml"
    path.write_text(f'extends = "{secret}"\n')
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    assert "TOP-SECRET" not in str(caught.value)
    assert "outside the allowed folders" in str(caught.value)


def test_a_user_folder_may_extend_the_library_by_name(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('extends = "unified_command.toml"\nname = "mine"\n')
    events = load_scenario(path).scenario.events
    assert [(e.type, getattr(e, "regime", None)) for e in events] == [("set_regime", "unified")]


def test_more_folders_are_allowed_through_the_environment(library, tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "base.toml").write_text('extends = "baseline.toml"\nname = "shared_base"\n')
    path = tmp_path / "project" / "mine.toml"
    path.parent.mkdir()
    path.write_text(f'extends = "{shared / "base.toml"}"\n')
    with pytest.raises(InputError):
        load_scenario(path)
    monkeypatch.setenv("MANDOSIM_SCENARIO_PATH", str(shared))
    assert load_scenario(path).scenario.name == "shared_base"


def test_an_error_names_the_file_that_set_the_key(tmp_path):
    parent = tmp_path / "parent.toml"
    parent.write_text('extends = "baseline.toml"\n[command]\nregime = "TOP-SECRET-VALUE-123"\n')
    child = tmp_path / "child.toml"
    child.write_text('extends = "parent.toml"\nname = "child"\n')
    with pytest.raises(InputError) as caught:
        load_scenario(child)
    assert caught.value.path == str(parent) and caught.value.key == "command.regime"


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("polygon = [[32.651, -115.60], [32.675, -115.28], [32.55, -115.28], [32.55, -115.60]]",
         "polygon = [[10.0, 10.0], [10.1, 10.0], [10.0, 10.1]]", "zones.mexicali_city.polygon"),
        ("polygon = [[32.651, -115.60], [32.675, -115.28], [32.55, -115.28], [32.55, -115.60]]",
         "polygon = [[32.6, -115.5], [32.6, -115.5], [32.6, -115.5]]", "zones.mexicali_city.polygon"),
        ("points = [[32.53, -117.02], [32.45, -117.08]", "points = [[1e12, -1e12], [32.45, -117.08]", "roads[0].points[0][0]"),
        ("lat_min = 31.80\nlat_max = 32.75\nlon_min = -117.15\nlon_max = -114.60",
         "lat_min = -80.0\nlat_max = 80.0\nlon_min = -170.0\nlon_max = 170.0", "grid"),
    ],
)  # fmt: skip
def test_damaged_regions_are_refused_in_one_line(library, old, new, key):
    text = (library / "regions" / "baja_sonora.toml").read_text()
    assert old in text
    region = library / "regions" / f"case_{abs(hash(new))}.toml"
    region.write_text(text.replace(old, new))
    path = library / "region_case.toml"
    path.write_text(f'extends = "baseline.toml"\nregion = "regions/{region.name}"\n')
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    assert caught.value.key == key and caught.value.path == str(region)
    assert "\n" not in str(caught.value)
