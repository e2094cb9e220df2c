"""Scenario files: strict validation with one-line errors, extends, zone checks, hashing."""

import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mandosim.model.errors import InputError
from mandosim.model.scenario import load_scenario
from tests.conftest import SCENARIOS

BASE = f'extends = "{SCENARIOS / "baseline.toml"}"\n'


def error_of(write, text: str) -> str:
    path = write("s.toml", text)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    return message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (BASE + "[command]\nregime = 'unified'\nfoo = 1\n", "command.foo: unknown key; allowed keys:"),
        (BASE + "[command]\nregim = 'unified'\n", "command.regim: unknown key; did you mean 'regime'?"),
        (BASE + "[intell]\nmemory = 0.5\n", "intell: unknown key; did you mean 'intel'?"),
        (BASE + "[operations]\nleak_prob = 'high'\n", "operations.leak_prob: wrong type"),
        (BASE + "[operations]\nleak_prob = 1.5\n", "operations.leak_prob: value 1.5 out of range: must be <= 1"),
        (BASE + "[time]\nhorizon_days = 0\n", "time.horizon_days: value 0 out of range: must be >= 1"),
        (BASE + "[command]\nregime = 'martial'\n", "command.regime: value 'martial' not allowed"),
        (BASE + 'region = "regions/nowhere.toml"\n', "region: file not found: regions/nowhere.toml"),
        (
            BASE + "[command]\narea = ['mexicali_vally']\n",
            "command.area[0]: unknown zone 'mexicali_vally'; did you mean 'mexicali_valley'?",
        ),
        (
            BASE + "[[events]]\ntype = 'set_regime'\nday = 3\nregime = 'unified'\narea = ['tijuana', 'atlantis']\n",
            "events[0].area[1]: unknown zone 'atlantis'",
        ),
        (BASE + "[[events]]\ntype = 'curfew'\nday = 3\n", "events[0]"),
        (BASE + "[agencies.mun_tijuana]\nofficers = {tijuan = 10}\n", "agencies.mun_tijuana.officers.tijuan: unknown zone"),
        (BASE + "[groups.valley]\nrivals = ['nobody']\n", "groups.valley.rivals[0]: unknown group 'nobody'"),
        (BASE + "[command\nregime = 1\n", "TOML syntax error"),
        ('extends = "missing.toml"\n', "extends: file not found: missing.toml"),
    ],
)
def test_malformed_scenarios_get_one_line_errors(write, text, expected):
    assert expected in error_of(write, text)


def test_syntax_error_names_the_line(write):
    assert "line 3" in error_of(write, BASE + "[command]\nregime = \n")


def test_extends_merges_tables_and_hash_tracks_content(write):
    base = load_scenario(SCENARIOS / "baseline.toml")
    same = load_scenario(write("a.toml", BASE + 'name = "renamed"\ndescription = "other words"\n'))
    changed = load_scenario(write("b.toml", BASE + "[agencies.mun_mexicali]\ncollusion = 0.4\n"))
    assert same.content_hash == base.content_hash  # names and prose do not change results
    assert changed.content_hash != base.content_hash
    assert changed.scenario.agencies["mun_mexicali"].collusion == 0.4
    assert changed.scenario.agencies["mun_mexicali"].officers == base.scenario.agencies["mun_mexicali"].officers


def test_library_scenarios_resolve():
    unified = load_scenario(SCENARIOS / "unified_command.toml").scenario
    assert unified.events[0].regime == "unified"
    assert unified.events[0].area == ["mexicali_valley", "san_luis_rio_colorado"]
    failure = load_scenario(SCENARIOS / "coordination_failure.toml").scenario
    assert (
        failure.agencies["mun_mexicali"].collusion > load_scenario(SCENARIOS / "baseline.toml").scenario.agencies["mun_mexicali"].collusion
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.floats(min_value=0.0, max_value=1.0, allow_nan=False))
def test_any_probability_in_range_is_accepted(write, value):
    loaded = load_scenario(write("p.toml", BASE + f"[operations]\nleak_prob = {value!r}\n"))
    assert loaded.scenario.operations.leak_prob == value


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.one_of(st.floats(min_value=1.0001, max_value=1e6), st.floats(min_value=-1e6, max_value=-0.0001)))
def test_any_probability_out_of_range_is_refused(write, value):
    assert "operations.leak_prob: value" in error_of(write, BASE + f"[operations]\nleak_prob = {value!r}\n")


def test_cli_bad_scenario_exits_2_with_one_line_and_writes_nothing(write, tmp_path):
    path = write("bad.toml", BASE + "[command]\nregim = 'unified'\n")
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "mandosim.experiments.cli", "run", str(path), "--out", str(out)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "Traceback" not in proc.stderr
    assert "command.regim" in lines[0]
    assert "did you mean 'regime'" in lines[0]
    assert not out.exists()
    assert not any(p.name.startswith(".out.") for p in tmp_path.iterdir())


@pytest.mark.parametrize(
    ("text", "key", "given", "wanted"),
    [
        (BASE + "[time]\nhorizon_days = true\n", "time.horizon_days", "bool", "int"),
        (BASE + "[time]\nhorizon_days = 30.0\n", "time.horizon_days", "float", "int"),
        (BASE + "[agencies.mun_tijuana]\nofficers = {tijuana = '1'}\n", "agencies.mun_tijuana.officers.tijuana", "str", "float"),
        (BASE + "[channels]\nrifts = 'true'\n", "channels.rifts", "str", "bool"),
        (BASE + "[channels]\nrifts = 1\n", "channels.rifts", "int", "bool"),
        (BASE + "[operations]\nleak_prob = true\n", "operations.leak_prob", "bool", "float"),
        (BASE + "[space]\ncell_km = '2.5'\n", "space.cell_km", "str", "float"),
        (BASE + "[[events]]\ntype = 'leader_strike'\nday = '3'\ngroup = 'valley'\n", "events[0]", "str", "int"),
    ],
)
def test_types_are_checked_not_coerced(write, text, key, given, wanted):
    """A boolean is a TOML boolean and a number a TOML number: the error names the key and both types."""
    message = error_of(write, text)
    assert f": {key}" in message, message
    assert f"got {given}" in message and f"expected {wanted}" in message, message


def test_an_integer_is_a_number_where_a_float_is_wanted(write):
    loaded = load_scenario(write("s.toml", BASE + "[space]\ncell_km = 5\n[operations]\nleak_prob = 0\n"))
    assert loaded.scenario.space.cell_km == 5.0
