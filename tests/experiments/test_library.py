"""`mandosim scenarios` and `mandosim show`."""

import tomllib

import pytest

from mandosim.experiments.cli import main
from mandosim.experiments.library import list_scenarios, show
from mandosim.model.params import Scenario
from mandosim.model.scenario import load_scenario
from tests.conftest import SCENARIOS

LIBRARY = {
    "baseline", "coordination_failure", "unified_command", "unified_command_retracted", "slrc_single_command_2024",
    "military_surge_2025", "leader_strike", "prevention", "vetting", "unified_plus_vetting",
}  # fmt: skip


def test_library_is_complete_and_every_file_says_what_it_represents():
    rows = list_scenarios()
    assert {name for name, _, _ in rows} >= LIBRARY
    for name, description, _ in rows:
        assert description, name
        text = (SCENARIOS / f"{name}.toml").read_text()
        assert text.startswith("#"), f"{name}: header comment first"
        assert "FACTS" in text or "assumption" in text, f"{name}: header names its source"


def test_scenarios_command_prints_one_line_each(capsys):
    assert main(["scenarios"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(list(SCENARIOS.glob("*.toml")))
    assert any(line.startswith("unified_command_retracted") for line in lines)


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_show_round_trips(name):
    loaded = load_scenario(SCENARIOS / f"{name}.toml")
    back = Scenario.model_validate(tomllib.loads(show(loaded)))
    assert back.model_dump(exclude={"region", "extends"}) == loaded.scenario.model_dump(exclude={"region", "extends"})


def test_show_changed_prints_overrides_and_timeline(capsys):
    assert main(["show", "unified_plus_vetting", "--changed"]) == 0
    out = capsys.readouterr().out
    assert "timeline: day 0: set_regime" in out
    assert 'type = "vetting"' in out
    assert "[intel]" not in out  # unchanged sections are left out


def test_events_inherit_along_extends():
    events = load_scenario(SCENARIOS / "unified_plus_vetting.toml").scenario.events
    assert [e.type for e in events] == ["set_regime", "vetting"]


def test_events_naming_unknown_agencies_or_groups_are_refused(write):
    from mandosim.model.errors import InputError

    base = f'extends = "{SCENARIOS / "baseline.toml"}"\n'
    with pytest.raises(InputError, match=r"events\[0\] \(deploy\): unknown agency 'sedna'; did you mean 'sedena'\?"):
        load_scenario(write("a.toml", base + "[[events]]\ntype = 'deploy'\nday = 1\nagency = 'sedna'\nofficers = {tijuana = 10}\n"))
    with pytest.raises(InputError, match=r"events\[0\]\.group: unknown group 'valey'; did you mean 'valley'\?"):
        load_scenario(write("b.toml", base + "[[events]]\ntype = 'leader_strike'\nday = 1\ngroup = 'valey'\n"))
    with pytest.raises(InputError, match=r"events\[0\]\.officers\.tijuan: unknown zone"):
        load_scenario(write("c.toml", base + "[[events]]\ntype = 'deploy'\nday = 1\nagency = 'sedena'\nofficers = {tijuan = 10}\n"))
