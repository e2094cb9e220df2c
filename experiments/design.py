"""Experimental designs over scenario parameters: grid, Latin hypercube, Sobol (Saltelli), Morris.

Designs come from ``scipy.stats.qmc`` (Latin hypercube) and SALib (Sobol, Morris), seeded from the
sweep's seed, so the same sweep file always gives the same points.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from scipy.stats import qmc

MORRIS_LEVELS = 4


def problem(names: list[str], bounds: list[tuple[float, float]]) -> dict[str, Any]:
    """A SALib problem definition."""
    return {"num_vars": len(names), "names": names, "bounds": [list(b) for b in bounds]}


def grid(levels: list[list[Any]]) -> list[tuple[Any, ...]]:
    """Every combination of the levels (the first parameter varies slowest)."""
    return list(itertools.product(*levels))


def latin_hypercube(bounds: list[tuple[float, float]], samples: int, seed: int) -> np.ndarray:
    """``samples`` points of a Latin hypercube scaled to ``bounds``."""
    unit = qmc.LatinHypercube(d=len(bounds), seed=np.random.default_rng(seed)).random(samples)
    low, high = np.array(bounds, dtype=float).T
    return qmc.scale(unit, low, high)


def sobol(names: list[str], bounds: list[tuple[float, float]], samples: int, seed: int) -> np.ndarray:
    """Saltelli's design for first-order and total Sobol indices: ``samples × (d + 2)`` points."""
    from SALib.sample import sobol as salib_sobol

    return salib_sobol.sample(problem(names, bounds), samples, calc_second_order=False, seed=seed)


def morris(names: list[str], bounds: list[tuple[float, float]], trajectories: int, seed: int) -> np.ndarray:
    """Morris elementary-effects trajectories: ``trajectories × (d + 1)`` points."""
    from SALib.sample import morris as salib_morris

    return salib_morris.sample(problem(names, bounds), trajectories, num_levels=MORRIS_LEVELS, seed=seed)


def sobol_indices(names: list[str], bounds: list[tuple[float, float]], y: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """First-order (S1) and total (ST) Sobol indices with 95 % bootstrap half-widths."""
    from SALib.analyze import sobol as analyze

    result = analyze.analyze(problem(names, bounds), y, calc_second_order=False, conf_level=0.95, seed=seed)
    return {k: np.asarray(result[k]) for k in ("S1", "S1_conf", "ST", "ST_conf")}


def morris_indices(names: list[str], bounds: list[tuple[float, float]], x: np.ndarray, y: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """Morris mu* (with its 95 % half-width) and sigma."""
    from SALib.analyze import morris as analyze

    result = analyze.analyze(problem(names, bounds), x, y, conf_level=0.95, num_levels=MORRIS_LEVELS, seed=seed)
    return {k: np.asarray(result[k]) for k in ("mu_star", "mu_star_conf", "sigma")}
