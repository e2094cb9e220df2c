"""Loading scenario TOML files: ``extends``, strict validation, zone checks, a stable content hash."""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.errors import InputError
from model.params import Scenario
from model.region import Region, build_region, region_from_text
from model.validation import read_toml, validate

MAX_EXTENDS_DEPTH = 10


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Recursively merge ``override`` into a copy of ``base`` (tables merge, everything else replaces)."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with its file, resolved region path and content hash."""

    scenario: Scenario
    path: Path | None
    region_path: Path
    content_hash: str
    region_text: str = ""

    def region(self) -> Region:
        """The rasterised region: from the file's text carried along (so a remote worker needs no files)."""
        if self.region_text:
            return region_from_text(self.region_text, self.scenario.space.cell_km, str(self.region_path))
        return build_region(self.region_path, self.scenario.space.cell_km)


def _raw_chain(path: Path, depth: int = 0) -> tuple[dict[str, Any], Path | None]:
    """The file's data merged over everything it ``extends``; also the file defining ``region``.

    Tables merge key by key, other values replace the parent's, and ``[[events]]`` accumulate: a
    child's events are added to its parent's timeline.
    """
    data = read_toml(path)
    region_owner: Path | None = path if "region" in data else None
    parent = data.get("extends")
    if parent is not None:
        if not isinstance(parent, str):
            raise InputError(path, "extends", "wrong type: expected a file name (string)")
        if depth >= MAX_EXTENDS_DEPTH:
            raise InputError(path, "extends", f"more than {MAX_EXTENDS_DEPTH} levels (a cycle?)")
        parent_path = (path.parent / parent).resolve()
        if not parent_path.is_file():
            raise InputError(path, "extends", f"file not found: {parent}")
        base, parent_owner = _raw_chain(parent_path, depth + 1)
        events = [*base.get("events", []), *data.get("events", [])]
        data = deep_merge(base, data)
        if events:
            data["events"] = events  # a timeline accumulates along ``extends``
        region_owner = region_owner or parent_owner
    return data, region_owner


def _unknown(path: str | Path, key: str, what: str, name: str, known: list[str]) -> InputError:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else f"{what}s: " + ", ".join(known)
    return InputError(path, key, f"unknown {what} {name!r}; {hint}")


def check_zones(scenario: Scenario, region: Region, path: str | Path) -> None:
    """Every zone, jurisdiction and state named in the scenario exists in the region."""
    zones = region.zone_names

    def check(name: str, key: str) -> None:
        if name not in zones:
            raise _unknown(path, key, "zone", name, zones)

    for i, zone in enumerate(scenario.command.area):
        check(zone, f"command.area[{i}]")
    for zone in scenario.community.zone_trust:
        check(zone, f"community.zone_trust.{zone}")
    for name, agency in scenario.agencies.items():
        for zone in agency.officers:
            check(zone, f"agencies.{name}.officers.{zone}")
        if agency.kind == "municipal" and agency.jurisdiction not in region.jurisdiction_names:
            raise _unknown(path, f"agencies.{name}.jurisdiction", "jurisdiction", str(agency.jurisdiction), region.jurisdiction_names)
        if agency.kind == "state" and agency.jurisdiction not in region.state_names:
            raise _unknown(path, f"agencies.{name}.jurisdiction", "state", str(agency.jurisdiction), region.state_names)
    for name, group in scenario.groups.items():
        for zone in group.members:
            check(zone, f"groups.{name}.members.{zone}")
    for i, event in enumerate(scenario.events):
        for j, zone in enumerate(event.named_zones()):
            check(zone, f"events[{i}].area[{j}]" if hasattr(event, "area") else f"events[{i}].officers.{zone}")


def check_event_references(scenario: Scenario, path: str | Path) -> None:
    """Every agency and group an event names exists in the scenario."""
    for i, event in enumerate(scenario.events):
        for name in event.named_agencies():
            if name not in scenario.agencies:
                raise _unknown(path, f"events[{i}] ({event.type})", "agency", name, list(scenario.agencies))
        for name in event.named_groups():
            if name not in scenario.groups:
                raise _unknown(path, f"events[{i}].group", "group", name, list(scenario.groups))


def content_hash(scenario: Scenario, region_path: Path) -> str:
    """SHA-256 of the resolved scenario (minus name, description, file links) and the region file."""
    body = scenario.model_dump(mode="json", exclude={"name", "description", "extends", "region"})
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode())
    digest.update(region_path.read_bytes())
    return digest.hexdigest()[:16]


def resolve(data: dict[str, Any], path: Path | None, region_base: Path, overrides: dict[str, Any] | None = None) -> LoadedScenario:
    """Validate raw scenario data (already merged with its parents) and check it against its region."""
    label = path if path is not None else "<scenario>"
    if overrides:
        data = deep_merge(data, overrides)
    merged = deep_merge(Scenario().model_dump(mode="python", exclude={"events"}), data)
    scenario = validate(Scenario, merged, label)
    region_path = (region_base / scenario.region).resolve()
    if not region_path.is_file():
        raise InputError(label, "region", f"region file not found: {scenario.region}")
    region = build_region(region_path, scenario.space.cell_km)
    check_zones(scenario, region, label)
    check_event_references(scenario, label)
    return LoadedScenario(scenario, path, region_path, content_hash(scenario, region_path), region_path.read_text())


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> LoadedScenario:
    """Load a scenario file: follow ``extends``, validate strictly, check zones, hash.

    Args:
        path: Scenario TOML file.
        overrides: Nested dict merged over the file (e.g. ``{"command": {"regime": "unified"}}``).

    Raises:
        InputError: On any problem, naming the file and the key.
    """
    path = Path(path).resolve()
    data, region_owner = _raw_chain(path)
    base = region_owner.parent if region_owner is not None else default_scenarios_dir()
    return resolve(data, path, base, overrides)


def default_scenarios_dir() -> Path:
    """The ``scenarios/`` folder shipped with the package."""
    return Path(__file__).resolve().parent.parent / "scenarios"


def find_scenario(name: str | Path) -> Path:
    """A path as given, or a name looked up in ``scenarios/`` (``baseline`` → ``scenarios/baseline.toml``).

    Raises:
        InputError: Neither exists (the message lists the library).
    """
    path = Path(name)
    if path.is_file():
        return path
    for candidate in (default_scenarios_dir() / path, default_scenarios_dir() / f"{path}.toml"):
        if candidate.is_file():
            return candidate
    library = ", ".join(sorted(p.stem for p in default_scenarios_dir().glob("*.toml")))
    raise InputError(path, "", f"scenario file not found; library scenarios: {library}")
