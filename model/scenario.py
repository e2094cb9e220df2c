"""Loading scenario TOML files: ``extends``, strict validation, zone checks, a stable content hash."""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from mandosim.model.errors import InputError
from mandosim.model.limits import IDENTIFIER_PATTERN, MAX_CRIMINAL_CELLS, MAX_FILE_REFERENCE, MAX_STATE_BYTES, MAX_UNITS
from mandosim.model.metrics import GROUP_METRICS, TERRITORY_METRICS, ZONE_METRICS
from mandosim.model.params import Scenario
from mandosim.model.region import Region, build_region, region_from_text
from mandosim.model.validation import read_toml, validate

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


#: Folders (``os.pathsep``-separated) whose scenario and region files ``extends`` and ``region`` may name.
SCENARIO_PATH_ENV = "MANDOSIM_SCENARIO_PATH"


def allowed_roots(named: Path | None = None) -> list[Path]:
    """Folders file references may point into: the named file's own folder tree, the library, ``MANDOSIM_SCENARIO_PATH``."""
    roots = [default_scenarios_dir()]
    if named is not None:
        roots.append(named.parent)
    roots += [Path(p) for p in os.environ.get(SCENARIO_PATH_ENV, "").split(os.pathsep) if p.strip()]
    return [root.resolve() for root in roots]


def confined(reference: object, base: Path, roots: list[Path], path: str | Path, key: str) -> Path:
    """The ``.toml`` file ``reference`` names (relative to ``base``), if it lies inside ``roots``; nothing is opened otherwise.

    A bare name means that ``.toml`` file; a relative name not found beside ``base`` is looked up in the
    library (``extends = "baseline"``, ``extends = "baseline.toml"`` and
    ``region = "regions/baja_sonora.toml"`` work from any folder).

    Raises:
        InputError: Not a string, not a ``.toml`` name, outside the allowed folders, or not found.
    """
    allowed = "a library scenario's name, or a .toml file inside the scenario's own folder, the library or a folder in " + SCENARIO_PATH_ENV
    if not isinstance(reference, str):
        raise InputError(path, key, f"wrong type: expected a file name (string), {allowed}")
    bare = bool(re.fullmatch(IDENTIFIER_PATTERN, reference))
    if bare:  # a bare name: extends = "baseline"
        reference = f"{reference}.toml"
    if not reference or len(reference) > MAX_FILE_REFERENCE or "\x00" in reference or not reference.endswith(".toml"):
        raise InputError(path, key, f"not a usable file name; expected {allowed}")
    try:
        candidates = [(base / reference).resolve()]
        if not Path(reference).is_absolute():
            candidates.append((default_scenarios_dir() / reference).resolve())
        for candidate in candidates:
            inside = any(candidate.is_relative_to(root) for root in roots)
            if inside and candidate.is_file():
                return candidate
        if not any(any(c.is_relative_to(root) for root in roots) for c in candidates):
            raise InputError(path, key, f"{reference!r} lies outside the allowed folders; expected {allowed}")
    except (OSError, ValueError):
        raise InputError(path, key, f"not a usable file name; expected {allowed}") from None
    shipped = "; shipped scenario files: " + ", ".join(sorted(p.stem for p in default_scenarios_dir().glob("*.toml"))) if bare else ""
    raise InputError(path, key, f"file not found: {reference}{shipped}")


Origins = dict[str, Path]  # dotted key → the file that set it


def _record_origins(data: dict[str, Any], path: Path, origins: Origins, first_event: int, prefix: str = "") -> None:
    for key, value in data.items():
        dotted_key = f"{prefix}.{key}" if prefix else str(key)
        if not prefix and key == "events" and isinstance(value, list):
            for i in range(len(value)):
                origins[f"events[{first_event + i}]"] = path
            continue
        origins[dotted_key] = path
        if isinstance(value, dict):
            _record_origins(value, path, origins, first_event, dotted_key)


def _raw_chain(path: Path, roots: list[Path], depth: int = 0) -> tuple[dict[str, Any], Path | None, Origins]:
    """The file's data merged over everything it ``extends``; the file defining ``region``; where each key was set.

    Tables merge key by key, other values replace the parent's, and ``[[events]]`` accumulate: a
    child's events are added to its parent's timeline. Every file lies inside ``roots``.
    """
    data = read_toml(path)
    region_owner: Path | None = path if "region" in data else None
    parent = data.get("extends")
    origins: Origins = {}
    if not isinstance(data.get("events", []), list):
        raise InputError(path, "events", "wrong type: expected a list of [[events]] tables")
    if parent is not None:
        if depth >= MAX_EXTENDS_DEPTH:
            raise InputError(path, "extends", f"more than {MAX_EXTENDS_DEPTH} levels (a cycle?)")
        parent_path = confined(parent, path.parent, roots, path, "extends")
        base, parent_owner, origins = _raw_chain(parent_path, roots, depth + 1)
        inherited = len(base.get("events", []))
        _record_origins(data, path, origins, inherited)
        events = [*base.get("events", []), *data.get("events", [])]
        data = deep_merge(base, data)
        if events:
            data["events"] = events  # a timeline accumulates along ``extends``
        region_owner = region_owner or parent_owner
    else:
        _record_origins(data, path, origins, 0)
    return data, region_owner, origins


def _origin(error: InputError, origins: Origins) -> InputError:
    """The error, naming the file that set its key (so a value it shows is from the file it names)."""
    key = error.key
    while key:
        if key in origins:
            return error if str(origins[key]) == error.path else InputError(origins[key], error.key, error.message)
        cut = max(key.rfind("."), key.rfind("["))
        key = key[:cut] if cut > 0 else ""
    return error


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


@dataclass(frozen=True)
class SizeEstimate:
    """What a run would hold at its largest (estimated before anything is built)."""

    units: int
    criminal_cells: int
    grid_cells: int
    state_bytes: int


#: Bytes per grid cell and agency of beliefs, observation masks and per-cell scratch (float64 arrays).
BYTES_PER_AGENCY_CELL = 5 * 8
#: Bytes the recorder keeps per day and zone, per day and group row, per day, zone and group row (8-byte numbers).
RECORD_BYTES_PER_ZONE_DAY = len(ZONE_METRICS) * 8
RECORD_BYTES_PER_GROUP_DAY = len(GROUP_METRICS) * 8
RECORD_BYTES_PER_ZONE_GROUP_DAY = len(TERRITORY_METRICS) * 8
#: Splinter rows kept per group (``model.model.SPLINTER_ROWS_PER_GROUP``) plus the group itself.
GROUP_ROWS_PER_GROUP = 3


def estimate_size(scenario: Scenario, region: Region, days: int | None = None) -> SizeEstimate:
    """Units, criminal cells (at the groups' capacity), grid cells and bytes of state a run would reach."""
    unit_size = scenario.operations.unit_size
    officer_rows = [o for a in scenario.agencies.values() for o in a.officers.values()]
    officer_rows += [o for e in scenario.events for o in getattr(e, "officers", {}).values()]
    units = sum(max(1, round(o / unit_size)) for o in officer_rows if o > 0)
    members = sum(m for g in scenario.groups.values() for m in g.members.values())
    criminal_cells = int(members * scenario.dynamics.capacity_headroom / scenario.crime.cell_size) + len(scenario.groups)
    total_days = scenario.time.burn_in_days + (scenario.time.horizon_days if days is None else days)
    zones, group_rows = len(region.zone_names), GROUP_ROWS_PER_GROUP * len(scenario.groups)
    state_bytes = (
        (len(scenario.agencies) + 1) * region.n_cells * BYTES_PER_AGENCY_CELL
        + total_days * zones * RECORD_BYTES_PER_ZONE_DAY
        + total_days * group_rows * RECORD_BYTES_PER_GROUP_DAY
        + total_days * zones * group_rows * RECORD_BYTES_PER_ZONE_GROUP_DAY
    )
    return SizeEstimate(units, criminal_cells, region.n_cells, int(state_bytes))


def check_size(scenario: Scenario, region: Region, path: str | Path, days: int | None = None) -> SizeEstimate:
    """Refuse a scenario too large for this machine, with the estimate and the limit (``model.limits``)."""
    size = estimate_size(scenario, region, days)
    checks = (
        ("agencies", size.units, MAX_UNITS, "security units (officers / operations.unit_size)"),
        ("groups", size.criminal_cells, MAX_CRIMINAL_CELLS, "criminal cells (members × capacity headroom / crime.cell_size)"),
        ("time", size.state_bytes, MAX_STATE_BYTES, "bytes of beliefs and daily records"),
    )
    for key, value, limit, what in checks:
        if value > limit:
            raise InputError(path, key, f"the run would need about {value:,} {what}; the limit is {limit:,}")
    return size


def content_hash(scenario: Scenario, region_path: Path) -> str:
    """SHA-256 of the resolved scenario (minus name, description, file links) and the region file."""
    body = scenario.model_dump(mode="json", exclude={"name", "description", "extends", "region"})
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode())
    digest.update(region_path.read_bytes())
    return digest.hexdigest()[:16]


def resolve(
    data: dict[str, Any], path: Path | None, region_base: Path, overrides: dict[str, Any] | None = None, origins: Origins | None = None
) -> LoadedScenario:
    """Validate raw scenario data (already merged with its parents) and check it against its region.

    ``origins`` (from the ``extends`` chain) lets an error name the file that set the offending key.
    """
    label = path if path is not None else "<scenario>"
    if overrides:
        data = deep_merge(data, overrides)
    merged = deep_merge(Scenario().model_dump(mode="python", exclude={"events"}), data)
    try:
        scenario = validate(Scenario, merged, label)
        region_path = confined(scenario.region, region_base, [*allowed_roots(path), region_base.resolve()], label, "region")
        region = build_region(region_path, scenario.space.cell_km)
        check_zones(scenario, region, label)
        check_event_references(scenario, label)
        check_size(scenario, region, label)
    except InputError as error:
        if origins and not overrides and error.path == str(label):
            raise _origin(error, origins) from None
        raise
    return LoadedScenario(scenario, path, region_path, content_hash(scenario, region_path), region_path.read_text())


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> LoadedScenario:
    """Load a scenario file: follow ``extends``, validate strictly, check zones, hash.

    Args:
        path: Scenario TOML file.
        overrides: Nested dict merged over the file (e.g. ``{"command": {"regime": "unified"}}``).

    Raises:
        InputError: On any problem, naming the file and the key.
    """
    try:
        path = Path(path).resolve()
    except (OSError, ValueError):
        raise InputError(str(path)[:MAX_FILE_REFERENCE], "", "not a usable file name") from None
    data, region_owner, origins = _raw_chain(path, allowed_roots(path))
    base = region_owner.parent if region_owner is not None else default_scenarios_dir()
    return resolve(data, path, base, overrides, origins)


def as_loaded(scenario: LoadedScenario | Scenario | str | Path, overrides: dict[str, Any] | None = None) -> LoadedScenario:
    """A ``LoadedScenario`` from a loaded one, a ``Scenario``, a file or a library name, with nested ``overrides`` merged.

    Raises:
        InputError: Unknown key or value out of range, naming the key.
    """
    overrides = overrides or {}
    if isinstance(scenario, LoadedScenario):
        if not overrides:
            return scenario
        data = scenario.scenario.model_dump(mode="python")
        data["region"] = str(scenario.region_path)
        return resolve(data, scenario.path, scenario.region_path.parent, overrides)
    if isinstance(scenario, Scenario):
        return resolve(scenario.model_dump(mode="python"), None, default_scenarios_dir(), overrides)
    return load_scenario(find_scenario(scenario), overrides)


def package_data(*parts: str) -> Path:
    """A folder or file shipped with mandosim (``package_data("scenarios")``).

    The shipped data lies beside the code in the source tree (``scenarios/``, ``experiments/sweeps/``)
    and in an installed wheel alike (``mandosim/scenarios/``, ``mandosim/experiments/sweeps/``), so
    it is found from the ``mandosim.model`` package's location, wherever it is installed.
    """
    root = Path(str(resources.files("mandosim.model"))).resolve().parent
    return root.joinpath(*parts)


def default_scenarios_dir() -> Path:
    """The ``scenarios/`` folder shipped with the package (library scenarios, regions, observed data)."""
    return package_data("scenarios")


def find_in_folder(name: str | Path, folder: Path, what: str) -> Path:
    """A ``.toml`` file as given, or a bare name looked up in a shipped ``folder`` (``baseline`` → ``baseline.toml``).

    Args:
        name: A file, or a name (an identifier, with or without ``.toml``).
        folder: The shipped folder a name is looked up in.
        what: What the files are, for the message ("scenario", "sweep", "study").

    Raises:
        InputError: Neither exists (the message lists the shipped files).
    """
    path = Path(name)
    shown = str(name)[:MAX_FILE_REFERENCE]
    try:
        if path.is_file():
            return path
    except (OSError, ValueError):
        raise InputError(shown, "", "not a usable file name") from None
    if re.fullmatch(IDENTIFIER_PATTERN, path.stem) and path.name in (path.stem, f"{path.stem}.toml"):  # a shipped name
        candidate = folder / f"{path.stem}.toml"
        if candidate.is_file():
            return candidate
    shipped = ", ".join(sorted(p.stem for p in folder.glob("*.toml")))
    raise InputError(shown, "", f"{what} file not found; shipped {what} files: {shipped}")


def find_scenario(name: str | Path) -> Path:
    """A path as given, or a name looked up in ``scenarios/`` (``baseline`` → ``scenarios/baseline.toml``).

    Raises:
        InputError: Neither exists (the message lists the library).
    """
    return find_in_folder(name, default_scenarios_dir(), "scenario")
