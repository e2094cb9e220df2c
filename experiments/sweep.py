"""Parameter sweeps: a sweep file → design points → runs in a store → responses and sensitivity.

A sweep file (TOML) names the base scenario, the parameters (dotted paths into the scenario, such
as ``institutions.trust_default`` or ``events[0].rate``) with levels or ranges, the design, the
replicates and the outcomes. Replicate k of every design point shares its seed (common random
numbers), so differences between points are paired.

With a ``[contrast]`` table (dotted paths → values, e.g. ``"command.regime" = "unified"``) every
design point also runs a second arm with those values, on the same seeds, and the responses are the
paired effects (contrast − base): the sensitivity of a policy's effect, not of a level.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import re
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from mandosim.experiments import design
from mandosim.experiments.batch import BatchReport, run_experiment
from mandosim.experiments.executors import ExecutorSpec, Task
from mandosim.experiments.runner import code_version
from mandosim.experiments.store import RunKey, Store, read_manifest, read_table
from mandosim.model.errors import InputError
from mandosim.model.limits import MAX_FILE_REFERENCE, MAX_HORIZON_DAYS, MAX_NAMED, Identifier, Text
from mandosim.model.rng import replicate_seeds
from mandosim.model.scenario import (
    LoadedScenario,
    allowed_roots,
    confined,
    find_in_folder,
    load_scenario,
    package_data,
    resolve,
)
from mandosim.model.validation import read_toml, validate

Scalar = float | int | bool | str
OUTCOME_CHOICES: tuple[str, ...] = (
    "homicides_annual",
    "disappearances_annual",
    "homicides_per_100k",
    "homicides",
    "disappearances",
    "extortions",
    "kidnappings",
    "arrests",
    "officer_deaths",
    "member_deaths",
    "civilian_deaths",
    "abuses",
    "officer_days",
)
#: Sizes a sweep file may ask for (assumption: a million runs is far beyond this machine's week).
MAX_SAMPLES = 100_000
MAX_REPLICATES = 10_000
MAX_LEVELS = 1_000
MAX_PARAMETER_PATH = 200
MAX_RUNS = 1_000_000
_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class SweepParameter(BaseModel):
    """One swept parameter: ``levels`` (grid) or a ``range`` (and ``steps`` for a grid)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    path: str = Field(max_length=MAX_PARAMETER_PATH)
    levels: list[Scalar] | None = Field(None, min_length=1, max_length=MAX_LEVELS)
    range: tuple[float, float] | None = None
    steps: int | None = Field(None, ge=2, le=MAX_LEVELS)

    @model_validator(mode="after")
    def _one_of(self) -> SweepParameter:
        if (self.levels is None) == (self.range is None):
            raise ValueError(f"{self.path}: give either levels or range")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError(f"{self.path}: range must be [low, high] with low < high")
        return self


class SweepFile(BaseModel):
    """Schema of a sweep TOML file."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    name: Identifier
    description: Text = ""
    base: str = Field(min_length=1, max_length=MAX_FILE_REFERENCE, pattern=r"^[^\x00]*$")
    design: Literal["grid", "lhs", "sobol", "morris"]
    samples: int = Field(16, ge=1, le=MAX_SAMPLES, description="lhs: points; sobol: base samples N; morris: trajectories")
    replicates: int = Field(1, ge=1, le=MAX_REPLICATES)
    seed: int = Field(1, ge=0, le=2**63 - 1)
    days: int | None = Field(None, ge=1, le=MAX_HORIZON_DAYS)
    outcomes: list[Literal[OUTCOME_CHOICES]] = Field(default_factory=lambda: ["homicides_annual", "disappearances_annual"], min_length=1)  # type: ignore[valid-type]
    units: list[str] = Field(default_factory=lambda: ["region"], min_length=1, max_length=MAX_NAMED)
    fixed: dict[str, Scalar | list[Scalar]] = Field({}, max_length=MAX_NAMED)
    contrast: dict[str, Scalar | list[Scalar]] = Field(
        default_factory=dict, max_length=MAX_NAMED, description="values of a second arm at every point; responses become its paired effect"
    )
    parameters: list[SweepParameter] = Field(min_length=1, max_length=MAX_NAMED)

    @model_validator(mode="after")
    def _design_needs(self) -> SweepFile:
        for i, p in enumerate(self.parameters):
            if self.design == "grid" and p.levels is None and p.steps is None:
                raise ValueError(f"parameters[{i}]: a grid needs levels, or range with steps")
            if self.design != "grid" and p.range is None:
                raise ValueError(f"parameters[{i}]: design {self.design!r} needs a range [low, high]")
        if self.design in ("sobol", "morris") and self.samples < 2:
            raise ValueError(f"samples: {self.design} needs at least 2 (indices and their spread need several samples)")
        if len({p.path for p in self.parameters}) != len(self.parameters):
            raise ValueError("parameters: each path may appear once")
        return self

    def levels(self) -> list[list[Scalar]]:
        """Grid levels of each parameter."""
        out = []
        for p in self.parameters:
            if p.levels is not None:
                out.append(list(p.levels))
            else:
                low, high = p.range  # type: ignore[misc]
                out.append([float(v) for v in np.linspace(low, high, p.steps)])  # type: ignore[arg-type]
        return out


# --- paths into a scenario ---------------------------------------------------------------------
def _tokens(path: str) -> list[str | int]:
    out: list[str | int] = []
    for name, index in _TOKEN.findall(path):
        out.append(int(index) if index else name)
    return out


def get_path(data: Any, path: str) -> Any:
    """The value at a dotted path (``events[0].rate``); ``KeyError`` naming the missing part."""
    node = data
    for token in _tokens(path):
        if isinstance(token, int):
            if not isinstance(node, list) or token >= len(node):
                raise KeyError(f"[{token}]")
            node = node[token]
        else:
            if not isinstance(node, dict) or token not in node:
                raise KeyError(token)
            node = node[token]
    return node


def set_path(data: Any, path: str, value: Any) -> None:
    """Set the value at a dotted path (which must exist)."""
    *parents, last = _tokens(path)
    node = data
    for token in parents:
        node = node[token]
    node[last] = value


def load_base(reference: str, file: Path) -> LoadedScenario:
    """The base scenario a sweep or study ``file`` names: a ``.toml`` beside it (or in the library), or a library name.

    Raises:
        InputError: Naming ``file`` and ``base``; a problem inside the base file is told with that file's message.
    """
    base_path = None
    try:
        base_path = confined(reference, file.parent, allowed_roots(file), file, "base")
        return load_scenario(base_path)
    except InputError as error:
        if base_path is None:  # refused by the confinement, which names this file and key already
            raise
        named_itself = error.path == str(base_path)
        raise InputError(file, "base", error.message if named_itself else str(error)) from None


def check_parameter_path(data: dict[str, Any], path: str, file: Path, key: str, valid: list[str]) -> None:
    """``InputError`` naming ``file`` and ``key`` unless ``path`` is a parameter (a leaf) of the scenario ``data``.

    Args:
        data: The base scenario's values.
        path: A dotted path (``events[0].rate``).
        file: The sweep or study file that names it.
        key: Where in that file.
        valid: Every leaf path of ``data`` (for a "did you mean" hint).
    """
    try:
        value = get_path(data, path)
    except KeyError:
        close = difflib.get_close_matches(path, valid, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else "see 'mandosim show' for the scenario's parameters"
        raise InputError(file, key, f"no parameter {path!r} in the base scenario; {hint}") from None
    if isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, dict) for v in value)):
        raise InputError(file, key, f"{path!r} is a table, not a parameter; name one of its keys")


def _leaf_paths(data: Any, prefix: str = "") -> list[str]:
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in _leaf_paths(v, f"{prefix}.{k}" if prefix else str(k))]
    if isinstance(data, list) and data and isinstance(data[0], dict):
        return [p for i, v in enumerate(data) for p in _leaf_paths(v, f"{prefix}[{i}]")]
    return [prefix]


# --- loading -----------------------------------------------------------------------------------
def sweeps_dir() -> Path:
    """The shipped sweep files (``experiments/sweeps/``, installed as ``mandosim/experiments/sweeps/``)."""
    return package_data("experiments", "sweeps")


def find_sweep(name: str | Path) -> Path:
    """A sweep file as given, or a shipped sweep's name.

    Raises:
        InputError: Neither exists (the message lists the shipped sweep files).
    """
    return find_in_folder(name, sweeps_dir(), "sweep")


def describe_sweep(sweep: Sweep, out: Path) -> str:
    """What a sweep would run (``mandosim sweep --dry-run``): parameters, design, runs, output folder."""
    spec = sweep.spec
    arms = 2 if spec.contrast else 1
    runs = len(sweep.points) * spec.replicates * arms
    lines = [
        f"{spec.name}: {spec.design} design over {len(spec.parameters)} parameters, base scenario {sweep.base.scenario.name}",
        *(f"  {p.path}: {list(p.range) if p.range is not None else p.levels}" for p in spec.parameters),
        f"{len(sweep.points)} points × {spec.replicates} replicates{' × 2 arms (contrast)' if arms == 2 else ''} = {runs:,} runs"
        f" of {spec.days or sweep.base.scenario.time.horizon_days} days (root seed {spec.seed})",
        f"outcomes: {', '.join(spec.outcomes)} in {', '.join(spec.units)}",
        f"would write {out}/",
    ]
    return "\n".join(lines)


class Sweep:
    """A validated sweep: its file, base scenario, design points and their scenarios.

    Args:
        path: The sweep TOML file.
        samples, replicates, days: Optional overrides of the file's values (quick tries).
    """

    def __init__(self, path: str | Path, samples: int | None = None, replicates: int | None = None, days: int | None = None) -> None:
        self.path = Path(path).resolve()
        raw = read_toml(self.path)
        for key, value in (("samples", samples), ("replicates", replicates), ("days", days)):
            if value is not None:
                raw[key] = value
        self.spec = validate(SweepFile, raw, self.path)
        self.base = load_base(self.spec.base, self.path)
        self.base_data = self.base.scenario.model_dump(mode="python")
        valid = _leaf_paths(self.base_data)
        for key, value in self.spec.fixed.items():
            self._check_path(key, f"fixed.{key}", valid)
            set_path(self.base_data, key, value)
        for i, p in enumerate(self.spec.parameters):
            self._check_path(p.path, f"parameters[{i}].path", valid)
        for key in self.spec.contrast:
            self._check_path(key, f"contrast.{key}", valid)
        self.names = [p.path for p in self.spec.parameters]
        self.points = self._points()
        runs = len(self.points) * self.spec.replicates * (2 if self.spec.contrast else 1)
        if runs > MAX_RUNS:
            raise InputError(self.path, "samples", f"the design asks for {runs:,} runs (at most {MAX_RUNS:,}): fewer samples or replicates")
        self.scenarios = [self._scenario(i, values) for i, values in enumerate(self.points)]
        self.contrast_scenarios = (
            [self._scenario(i, values, contrast=True) for i, values in enumerate(self.points)] if self.spec.contrast else []
        )

    def _check_path(self, path: str, key: str, valid: list[str]) -> None:
        check_parameter_path(self.base_data, path, self.path, key, valid)

    @property
    def bounds(self) -> list[tuple[float, float]]:
        return [tuple(p.range) for p in self.spec.parameters]  # type: ignore[misc]

    def _points(self) -> list[tuple[Scalar, ...]]:
        s = self.spec
        if s.design == "grid":
            raw: list[tuple[Scalar, ...]] | np.ndarray = design.grid(s.levels())
        elif s.design == "lhs":
            raw = design.latin_hypercube(self.bounds, s.samples, s.seed)
        elif s.design == "sobol":
            raw = design.sobol(self.names, self.bounds, s.samples, s.seed)
        else:
            raw = design.morris(self.names, self.bounds, s.samples, s.seed)
        points = []
        for row in raw:
            values = []
            for name, value in zip(self.names, row, strict=True):
                base_value = get_path(self.base_data, name)
                if isinstance(base_value, bool) or isinstance(value, str | bool):
                    values.append(value)
                elif isinstance(base_value, int):
                    values.append(round(float(value)))
                else:
                    values.append(float(value))
            points.append(tuple(values))
        return points

    @property
    def contrast_name(self) -> str:
        """Scenario name of the contrast arm in the store (the base arm is the sweep's name)."""
        return f"{self.spec.name}__contrast"

    def _scenario(self, index: int, values: tuple[Scalar, ...], contrast: bool = False) -> LoadedScenario:
        data = copy.deepcopy(self.base_data)
        for name, value in zip(self.names, values, strict=True):
            set_path(data, name, value)
        if contrast:
            for key, value in self.spec.contrast.items():
                set_path(data, key, value)
        data["name"] = f"{self.spec.name}_p{index}{'_contrast' if contrast else ''}"
        data["region"] = str(self.base.region_path)
        try:
            return resolve(data, self.base.path, self.base.region_path.parent, None)
        except InputError as error:
            where = ", ".join(f"{n} = {v!r}" for n, v in zip(self.names, values, strict=True))
            raise InputError(
                self.path, "parameters", f"design point {index} ({where}) is not a valid scenario: {error.key}: {error.message}"
            ) from None

    def identity(self) -> dict[str, Any]:
        """What defines this sweep (a store for anything else is refused)."""
        body = json.dumps({"spec": self.spec.model_dump(mode="json"), "base": self.base.content_hash}, sort_keys=True)
        return {"kind": "sweep", "sweep": hashlib.sha256(body.encode()).hexdigest()[:16], "code_version": code_version()}

    def design_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.points, columns=self.names)
        frame.insert(0, "point", range(len(self.points)))
        frame["scenario_hash"] = [s.content_hash for s in self.scenarios]
        return frame

    def tasks(self) -> list[Task]:
        seeds = replicate_seeds(self.spec.seed, self.spec.replicates)
        arms = [(self.spec.name, self.scenarios)] + ([(self.contrast_name, self.contrast_scenarios)] if self.spec.contrast else [])
        return [
            Task(RunKey(arm, p, k), scenario, seed, self.spec.days)
            for arm, scenarios in arms
            for p, scenario in enumerate(scenarios)
            for k, seed in enumerate(seeds)
        ]


def run_sweep(
    sweep: Sweep, out: Path, jobs: int | ExecutorSpec, command: list[str], force: bool = False, quiet: bool = False,
    allow_mixed: bool = False,
) -> tuple[Store, BatchReport]:  # fmt: skip
    """Run (or resume) a sweep into ``out``."""
    store = Store(out, sweep.identity(), force=force, allow_mixed=allow_mixed)
    manifest = {
        "command": command,
        "sweep_file": str(sweep.path),
        "sweep": sweep.spec.model_dump(mode="json"),
        "base_scenario": {
            "name": sweep.base.scenario.name,
            "hash": sweep.base.content_hash,
            "content": sweep.base.scenario.model_dump(mode="json"),
        },
        "seeds": replicate_seeds(sweep.spec.seed, sweep.spec.replicates),
        "region": {"path": str(sweep.base.region_path), "cell_km": sweep.base.scenario.space.cell_km},
        "runs_total": len(sweep.points) * sweep.spec.replicates * (2 if sweep.spec.contrast else 1),
    }
    store.write_manifest(manifest)  # first, so the directory is a store before anything else lands in it
    sweep.design_frame().to_csv(out / "design.csv", index=False)
    report = run_experiment(store, sweep.tasks(), jobs, manifest, quiet=quiet, desc=sweep.spec.name)
    return store, report


# --- analysis ----------------------------------------------------------------------------------
def responses(out: Path) -> pd.DataFrame:
    """Per design point, unit and outcome: mean over replicates, its 95 % half-width, and the design values."""
    from scipy import stats

    manifest = read_manifest(out)
    spec = SweepFile.model_validate(manifest["sweep"])
    runs = read_table(out, "runs", columns=["scenario", "point", "replicate", "unit", *spec.outcomes])
    runs = runs[runs["unit"].isin(spec.units)]
    if spec.contrast:  # the paired effect of the contrast arm, replicate by replicate
        keys = ["point", "replicate", "unit"]
        base = runs[runs["scenario"] == spec.name].set_index(keys)[list(spec.outcomes)]
        other = runs[runs["scenario"] != spec.name].set_index(keys)[list(spec.outcomes)]
        runs = (other - base.reindex(other.index)).dropna().reset_index()
    points = pd.read_csv(out / "design.csv")
    rows = []
    for (point, unit), block in runs.groupby(["point", "unit"], sort=True):
        for outcome in spec.outcomes:
            y = block[outcome].to_numpy(float)
            half = float(stats.t.ppf(0.975, y.size - 1) * y.std(ddof=1) / np.sqrt(y.size)) if y.size > 1 else float("nan")
            rows.append({"point": point, "unit": unit, "outcome": outcome, "mean": float(y.mean()), "ci_half": half, "replicates": y.size})
    return pd.DataFrame(rows).merge(points, on="point")


def sensitivity(out: Path, table: pd.DataFrame) -> pd.DataFrame:
    """Sobol (S1, ST with CIs) or Morris (mu*, sigma) indices per outcome and unit; empty for grid/lhs."""
    manifest = read_manifest(out)
    spec = SweepFile.model_validate(manifest["sweep"])
    if spec.design not in ("sobol", "morris"):
        return pd.DataFrame()
    names = [p.path for p in spec.parameters]
    bounds = [tuple(p.range) for p in spec.parameters]  # type: ignore[misc]
    rows = []
    for (unit, outcome), group in table.groupby(["unit", "outcome"], sort=False):
        block = group.sort_values("point")
        y = block["mean"].to_numpy(float)
        if spec.design == "sobol":
            idx = design.sobol_indices(names, bounds, y, spec.seed)
            for i, name in enumerate(names):
                rows.append(
                    {
                        "unit": unit,
                        "outcome": outcome,
                        "parameter": name,
                        "S1": idx["S1"][i],
                        "S1_conf": idx["S1_conf"][i],
                        "ST": idx["ST"][i],
                        "ST_conf": idx["ST_conf"][i],
                    }
                )
        else:
            x = block[names].to_numpy(float)
            idx = design.morris_indices(names, bounds, x, y, spec.seed)
            for i, name in enumerate(names):
                rows.append(
                    {
                        "unit": unit,
                        "outcome": outcome,
                        "parameter": name,
                        "mu_star": idx["mu_star"][i],
                        "mu_star_conf": idx["mu_star_conf"][i],
                        "sigma": idx["sigma"][i],
                    }
                )
    return pd.DataFrame(rows)


def write_sweep_outputs(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """responses.csv, indices.csv and figures of a sweep store."""
    from mandosim.experiments.plots import plot_sweep

    table = responses(out)
    table.to_csv(out / "responses.csv", index=False)
    indices = sensitivity(out, table)
    if not indices.empty:
        indices.to_csv(out / "indices.csv", index=False)
    plot_sweep(out, table, indices)
    return table, indices
