"""Study files: uncertainties, levers and outcomes, declared once for ``mandosim discover`` and ``optimise``.

A study file (TOML, as strict as sweep files) names a base scenario and

- ``[[uncertainties]]``: model parameters whose values are not known, each a dotted path into the
  scenario (``crime.killing_deterrence_half_officers``) with a ``range``;
- ``[[levers]]``: policy choices, each a dotted path with ``levels`` (``command.regime``:
  fragmented, coordinated, unified) or a ``range`` (``events[0].rate``, a vetting rate);
- ``[discover]``: a policy (dotted paths → values) compared with the base, the outcome and the
  threshold whose crossing ``discover`` explains;
- ``[optimise]``: the outcomes to minimise, the ensemble of uncertainty draws and the robustness
  criterion over it.

Every run of a study is the base scenario with the study's ``fixed`` values, one draw of the
uncertainties and (for a policy) the policy's values; replicate k of every draw and policy shares
its seed (common random numbers), so policies are compared on the same worlds.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from mandosim.experiments import design
from mandosim.experiments.runner import code_version
from mandosim.experiments.sweep import MAX_PARAMETER_PATH, OUTCOME_CHOICES, _leaf_paths, check_parameter_path, get_path, load_base, set_path
from mandosim.model.errors import InputError
from mandosim.model.limits import MAX_FILE_REFERENCE, MAX_HORIZON_DAYS, MAX_NAMED, Identifier, Text
from mandosim.model.params import Scenario
from mandosim.model.scenario import (
    LoadedScenario,
    find_in_folder,
    package_data,
    resolve,
)
from mandosim.model.validation import read_toml, validate

Scalar = float | int | bool | str
Value = Scalar | list[Scalar]
#: Outcomes a study may name: the summary's counts and rates, and the cost of the forces (officer-days).
STUDY_OUTCOMES: tuple[str, ...] = OUTCOME_CHOICES
#: Sizes a study may ask for (assumption: far beyond what this machine runs in a week).
MAX_DRAWS = 100_000
MAX_REPLICATES = 1_000
MAX_LEVELS = 1_000
MAX_POPULATION = 1_000
MAX_GENERATIONS = 1_000


class Uncertainty(BaseModel):
    """An uncertain parameter: a dotted path into the scenario and the range it may take."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    path: str = Field(max_length=MAX_PARAMETER_PATH)
    range: tuple[float, float]

    @model_validator(mode="after")
    def _ordered(self) -> Uncertainty:
        if not self.range[0] < self.range[1]:
            raise ValueError(f"{self.path}: range must be [low, high] with low < high")
        return self


class Lever(BaseModel):
    """A policy choice: a dotted path with ``levels`` (any values) or a numeric ``range``."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    path: str = Field(max_length=MAX_PARAMETER_PATH)
    levels: list[Value] | None = Field(None, min_length=2, max_length=MAX_LEVELS)
    range: tuple[float, float] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Lever:
        if (self.levels is None) == (self.range is None):
            raise ValueError(f"{self.path}: give either levels or range")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError(f"{self.path}: range must be [low, high] with low < high")
        return self


class Outcome(BaseModel):
    """An outcome: a summary metric in a unit (a zone, ``state BC``, ``state SON`` or ``region``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    metric: Literal[STUDY_OUTCOMES]  # type: ignore[valid-type]
    unit: str = Field("region", max_length=MAX_PARAMETER_PATH)

    @property
    def label(self) -> str:
        return f"{self.metric} in {self.unit}"


class Discovery(BaseModel):
    """What ``discover`` explains: when ``policy`` moves ``outcome`` past ``threshold``.

    The effect of a draw is the policy's relative change of the outcome against the base, mean over
    replicates (``-0.10``: 10 % lower). A draw is a *case of interest* when the effect is at most
    ``threshold`` (``direction = "below"``) or at least it (``"above"``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    policy: dict[str, Value] = Field(min_length=1, max_length=MAX_NAMED)
    outcome: Outcome
    threshold: float = Field(ge=-1.0, le=100.0, description="relative change, -0.10 = 10 % lower")
    direction: Literal["below", "above"] = "below"
    samples: int = Field(200, ge=10, le=MAX_DRAWS, description="Latin-hypercube draws of the uncertainties")
    min_density: float = Field(0.8, gt=0, le=1, description="the box shown: the widest whose density reaches this")
    label: Text = ""


class Optimisation(BaseModel):
    """What ``optimise`` searches: lever settings that minimise ``outcomes`` robustly over ``ensemble`` draws."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    outcomes: list[Outcome] = Field(min_length=1, max_length=MAX_NAMED)
    ensemble: int = Field(8, ge=1, le=MAX_DRAWS, description="uncertainty draws every policy is run on")
    robustness: Literal["mean", "percentile", "worst"] = "percentile"
    percentile: float = Field(90.0, ge=0, le=100)
    population: int = Field(12, ge=4, le=MAX_POPULATION)
    generations: int = Field(5, ge=1, le=MAX_GENERATIONS)


class StudyFile(BaseModel):
    """Schema of a study TOML file."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    name: Identifier
    description: Text = ""
    base: str = Field(min_length=1, max_length=MAX_FILE_REFERENCE, pattern=r"^[^\x00]*$")
    seed: int = Field(1, ge=0, le=2**63 - 1)
    days: int | None = Field(None, ge=1, le=MAX_HORIZON_DAYS)
    replicates: int = Field(2, ge=1, le=MAX_REPLICATES)
    fixed: dict[str, Value] = Field(default_factory=dict, max_length=MAX_NAMED)
    uncertainties: list[Uncertainty] = Field(min_length=1, max_length=MAX_NAMED)
    levers: list[Lever] = Field(default_factory=list, max_length=MAX_NAMED)
    discover: Discovery | None = None
    optimise: Optimisation | None = None

    @model_validator(mode="after")
    def _distinct(self) -> StudyFile:
        paths = [u.path for u in self.uncertainties] + [lever.path for lever in self.levers]
        if len(set(paths)) != len(paths):
            raise ValueError("uncertainties and levers: each path may appear once")
        return self


def studies_dir() -> Path:
    """The shipped study files (``experiments/studies/``)."""
    return package_data("experiments", "studies")


def find_study(name: str | Path) -> Path:
    """A study file as given, or a shipped study's name.

    Raises:
        InputError: Neither exists (the message lists the shipped study files).
    """
    return find_in_folder(name, studies_dir(), "study")


class Study:
    """A validated study: its file, base scenario, and the scenarios of draws and policies.

    Args:
        path: The study TOML file (or a shipped study's name).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = find_study(path).resolve()
        self.spec = validate(StudyFile, read_toml(self.path), self.path)
        self.base: LoadedScenario = load_base(self.spec.base, self.path)
        self.base_data = self.base.scenario.model_dump(mode="python")
        valid = _leaf_paths(self.base_data)
        for key, value in self.spec.fixed.items():
            self._check_path(key, f"fixed.{key}", valid)
            set_path(self.base_data, key, value)
        for i, u in enumerate(self.spec.uncertainties):
            self._check_path(u.path, f"uncertainties[{i}].path", valid)
        for i, lever in enumerate(self.spec.levers):
            self._check_path(lever.path, f"levers[{i}].path", valid)
        if self.spec.discover is not None:
            for key in self.spec.discover.policy:
                self._check_path(key, f"discover.policy.{key}", valid)
        self._check_values()
        units = set(self.base.region().zone_names) | {f"state {s}" for s in self.base.region().state_names} | {"region"}
        for section in (self.spec.discover, self.spec.optimise):
            outcomes = [] if section is None else [section.outcome] if isinstance(section, Discovery) else section.outcomes
            for outcome in outcomes:
                if outcome.unit not in units:
                    raise InputError(self.path, "outcome.unit", f"unknown unit {outcome.unit!r}; units: {', '.join(sorted(units))}")

    def _check_path(self, path: str, key: str, valid: list[str]) -> None:
        check_parameter_path(self.base_data, path, self.path, key, valid)

    def resize(self, **sizes: int) -> None:
        """Override the ``[optimise]`` section's ``population``, ``generations`` or ``ensemble`` (bounded like the file's values).

        Raises:
            InputError: The study has no ``[optimise]`` section, or a size is out of range.
        """
        if self.spec.optimise is None:
            raise InputError(self.path, "optimise", "the study has no [optimise] section to resize")
        data = self.spec.model_dump(mode="json")
        data["optimise"].update(sizes)
        self.spec = validate(StudyFile, data, "<command line>")

    def _check_values(self) -> None:
        """Every value the study may set (ranges' ends, levels, the policy), checked against its parameter's type and bounds now.

        A range's ends bound every draw and every searched setting, so a study whose values the
        scenario schema refuses fails when it is loaded, not when a generation reaches them.
        """
        checks: list[tuple[str, str, Any, bool]] = []
        for i, u in enumerate(self.spec.uncertainties):
            checks += [(f"uncertainties[{i}].range", u.path, value, True) for value in u.range]
        for i, lever in enumerate(self.spec.levers):
            if lever.range is not None:
                checks += [(f"levers[{i}].range", lever.path, value, True) for value in lever.range]
            else:
                checks += [(f"levers[{i}].levels", lever.path, value, False) for value in lever.levels or []]
        if self.spec.discover is not None:
            checks += [(f"discover.policy.{key}", key, value, False) for key, value in self.spec.discover.policy.items()]
        for key, path, given, drawn in checks:
            data = copy.deepcopy(self.base_data)
            base_value = get_path(data, path)
            integer = drawn and isinstance(base_value, int) and not isinstance(base_value, bool)
            value = round(given) if integer else given  # draws of an integer parameter are rounded (``draws``)
            set_path(data, path, value)
            try:
                validate(Scenario, data, self.path)
            except InputError as error:
                raise InputError(self.path, key, f"{value!r} is not allowed for {path}: {error.message}") from None

    @property
    def names(self) -> list[str]:
        """The uncertainties' paths, in file order."""
        return [u.path for u in self.spec.uncertainties]

    def draws(self, samples: int, stream: str) -> np.ndarray:
        """(samples, uncertainties) Latin-hypercube draws; integer parameters rounded. ``stream`` names the use."""
        seed = int(hashlib.sha256(f"{self.spec.seed}:{stream}".encode()).hexdigest()[:8], 16)
        raw = design.latin_hypercube([tuple(u.range) for u in self.spec.uncertainties], samples, seed)
        for j, name in enumerate(self.names):
            base_value = get_path(self.base_data, name)
            if isinstance(base_value, int) and not isinstance(base_value, bool):
                raw[:, j] = np.round(raw[:, j])
        return raw

    def scenario(self, label: str, draw: np.ndarray, settings: dict[str, Any] | None = None) -> LoadedScenario:
        """The base with ``fixed``, one draw of the uncertainties and a policy's ``settings`` (dotted paths)."""
        data = copy.deepcopy(self.base_data)
        for name, value in zip(self.names, draw, strict=True):
            base_value = get_path(data, name)
            set_path(data, name, int(value) if isinstance(base_value, int) and not isinstance(base_value, bool) else float(value))
        for key, value in (settings or {}).items():
            set_path(data, key, value)
        data["name"] = label
        data["region"] = str(self.base.region_path)
        try:
            return resolve(data, self.base.path, self.base.region_path.parent, None)
        except InputError as error:
            raise InputError(self.path, "uncertainties", f"{label} is not a valid scenario: {error.key}: {error.message}") from None

    def identity(self, kind: str, **extra: Any) -> dict[str, Any]:
        """What defines a discover or optimise store: only what changes its runs.

        A discovery's runs depend on the base, ``fixed``, the uncertainties, the policy, the draws and
        the seeds, not on the outcome or threshold it is analysed for: changing those reruns nothing.
        A search also depends on its levers and its ``[optimise]`` section (they steer which policies run).
        """
        spec = self.spec.model_dump(mode="json")
        runs = {key: spec[key] for key in ("base", "seed", "days", "replicates", "fixed", "uncertainties")}
        if kind == "discover":
            runs["policy"] = spec["discover"]["policy"]
        else:
            runs.update(levers=spec["levers"], optimise=spec["optimise"])
        body = json.dumps({"runs": runs, "base": self.base.content_hash, **extra}, sort_keys=True)
        return {"kind": kind, "study": hashlib.sha256(body.encode()).hexdigest()[:16], "code_version": code_version()}
