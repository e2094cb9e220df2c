"""The scenario library: listing scenarios and showing one resolved (after ``extends``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mandosim.model.params import Scenario
from mandosim.model.scenario import LoadedScenario, default_scenarios_dir, load_scenario


def header_comment(path: Path) -> str:
    """First line of a scenario file's header comment (what it represents)."""
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
        if line.strip():
            break
    return ""


def list_scenarios(folder: Path | None = None) -> list[tuple[str, str, str]]:
    """(name, description, events) of every scenario file in ``folder`` (default: the library)."""
    rows = []
    for path in sorted((folder or default_scenarios_dir()).glob("*.toml")):
        loaded = load_scenario(path)
        events = ", ".join(f"{e.type}@{e.day}" for e in loaded.scenario.events) or "-"
        rows.append((path.stem, header_comment(path) or loaded.scenario.description, events))
    return rows


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str) or value is None:
        text = json.dumps(value or "", ensure_ascii=False)
    elif isinstance(value, dict):
        text = "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    elif isinstance(value, list):
        text = "[" + ", ".join(_toml_value(v) for v in value) + "]"
    else:
        text = repr(value)
    return text


def to_toml(data: dict[str, Any], prefix: str = "") -> str:
    """A TOML rendering of nested dicts with scalars, inline tables and arrays of tables."""
    scalars, tables, arrays = [], [], []
    for key, value in data.items():
        if value is None:
            continue
        holds_tables = isinstance(value, dict) and any(isinstance(v, dict) for v in value.values())
        if isinstance(value, dict) and (holds_tables or prefix == ""):
            tables.append((key, value))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            arrays.append((key, value))
        else:
            scalars.append(f"{key} = {_toml_value(value)}")
    out = "\n".join(scalars)
    for key, value in tables:
        name = f"{prefix}{key}"
        inner = {k: v for k, v in value.items() if not isinstance(v, dict) or not any(isinstance(x, dict) for x in v.values())}
        nested = {k: v for k, v in value.items() if k not in inner}
        body = to_toml(inner, prefix=f"{name}.")
        out += f"\n\n[{name}]\n{body}" if body else f"\n\n[{name}]"
        if nested:
            out += "\n" + to_toml(nested, prefix=f"{name}.")
    for key, items in arrays:
        for item in items:
            out += f"\n\n[[{prefix}{key}]]\n" + "\n".join(f"{k} = {_toml_value(v)}" for k, v in item.items() if v is not None)
    return out.strip("\n")


def _diff(data: dict[str, Any], default: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        base = default.get(key)
        if isinstance(value, dict) and isinstance(base, dict):
            inner = _diff(value, base)
            if inner:
                out[key] = inner
        elif value != base:
            out[key] = value
    return out


def show(loaded: LoadedScenario, changed_only: bool = False) -> str:
    """The resolved scenario as TOML (all parameters, or only those differing from the defaults)."""
    data = loaded.scenario.model_dump(mode="json", exclude={"extends"})
    data["region"] = str(loaded.region_path)
    if changed_only:
        default = Scenario().model_dump(mode="json")
        events = data.pop("events")
        data = {k: v for k, v in _diff(data, default).items() if k not in ("region",)}
        data["events"] = events
    lines = [
        f"# {loaded.scenario.name}: {loaded.scenario.description}",
        f"# file: {loaded.path}",
        f"# content hash: {loaded.content_hash}",
        "# timeline: " + ("; ".join(describe_event(e) for e in loaded.scenario.events) or "no events"),
        "",
        to_toml(data),
    ]
    return "\n".join(lines) + "\n"


def describe_event(event: Any) -> str:
    """One line for an event: ``day 60: announce_unified_command (area mexicali_valley)``."""
    fields = event.model_dump(exclude={"type", "day"})
    details = ", ".join(f"{k} {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in fields.items() if v not in (None, [], {}))
    return f"day {event.day}: {event.type}" + (f" ({details})" if details else "")


def self_contained_toml(loaded: LoadedScenario, folder: Path, name: str | None = None, description: str | None = None) -> str:
    """A scenario as TOML written whole, so it loads wherever ``folder`` goes.

    Every value is written; the region by the library's name, or copied into ``folder/regions/``
    when it is not the library's.
    """
    import os
    import shutil

    library = default_scenarios_dir()
    whole = loaded.scenario.model_dump(mode="python", exclude={"extends"})
    whole["name"] = name or whole["name"]
    whole["description"] = description or whole["description"]
    region = loaded.region_path.resolve()
    if region.is_relative_to(library):
        whole["region"] = os.path.relpath(region, library)
    else:
        (folder / "regions").mkdir(parents=True, exist_ok=True)
        shutil.copy(region, folder / "regions" / region.name)
        whole["region"] = f"regions/{region.name}"
    return to_toml(whole)
