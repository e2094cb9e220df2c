"""Region files (TOML) and their rasterisation onto a grid of ``cell_km`` square cells.

A region file gives zones as lat/lon polygons (each with a police jurisdiction, whose state it
inherits), towns with population and radius, roads as polylines, ports of entry and entry points for
product. ``build_region`` turns it into flat arrays over the *domain cells* (land cells inside a
zone); everything else in the model indexes those arrays.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np
from matplotlib.path import Path as PolygonPath
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy import sparse

from mandosim.model.errors import InputError
from mandosim.model.limits import (
    MAX_FEATURES,
    MAX_GRID_CELLS,
    MAX_NAMED,
    MAX_POINT_WEIGHT,
    MAX_POINTS,
    MAX_TOWN_RADIUS_KM,
    Identifier,
    Latitude,
    Longitude,
    Population,
    Text,
    ceiling,
)
from mandosim.model.validation import parse_toml, read_toml, validate

KM_PER_DEGREE_LAT = 111.32
#: Cell side at which counts "in a 3×3 neighbourhood" are defined (the default ``space.cell_km``): such
#: parameters are per the 56.25 km² around a cell, whatever the resolution.
REFERENCE_CELL_KM = 2.5
LAND_CLASSES: tuple[str, ...] = ("urban", "rural", "mountain", "desert")
#: Side of the square a criminal cell or a unit "sees around it" (the reference 3×3 neighbourhood):
#: who fights whom, officers nearby, what is observed. Assumption (the 3×3 block at 2.5 km).
REACH_KM = 3 * REFERENCE_CELL_KM
#: Side of the square one unit patrols in a day, where it can engage a criminal cell. Assumption
#: (one 2.5-km cell: a patrol sector of ~6 km², the order of a Tijuana police *cuadrante*).
PATROL_KM = REFERENCE_CELL_KM
#: Neighbour offsets (row, col) of the 8-neighbourhood.
MOORE_OFFSETS: tuple[tuple[int, int], ...] = (
    (-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1),
)  # fmt: skip

LatLon = tuple[Latitude, Longitude]


@lru_cache(maxsize=8)
def _whole_items(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(item index, weight 1) of ``n`` items each one piece (read-only: shared by every call)."""
    index, weight = np.arange(n), np.ones(n)
    index.flags.writeable = weight.flags.writeable = False
    return index, weight


class Stencil(NamedTuple):
    """A square of fixed side in km around each cell, as grid cells with their overlap.

    ``cells[c, k]`` is the domain cell at the k-th offset from c (-1 outside the domain; column 0 is
    c itself) and ``weights[k]`` the share of that cell's area inside the square centred on c's
    centre. At 2.5 km the reach (7.5 km) is the 3×3 block with weights 1; at 1.25 km it is 7×7 with
    half-weight edges; at 5 km it is 3×3 with weight 1/4 on the sides and 1/16 on the corners. Sums over
    a stencil are counts over the same area of ground at every resolution.
    """

    cells: np.ndarray
    weights: np.ndarray

    @property
    def single(self) -> bool:
        """One cell with weight 1 (the patrol square at 2.5 km): every item is one piece, as it is."""
        return self.weights.size == 1 and self.weights[0] == 1.0

    def spread(self, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Items standing on ``pos`` spread over their squares: (item index, cell, weight) per piece.

        A stencil of one cell with weight 1 (the patrol square at 2.5 km) returns the items as they are.
        """
        if self.single:
            index, weight = _whole_items(pos.size)
            return index, pos, weight
        cells = self.cells[pos]
        inside = cells >= 0
        source = np.broadcast_to(np.arange(pos.size)[:, None], cells.shape)[inside]
        return source, cells[inside], np.broadcast_to(self.weights, cells.shape)[inside]


def stencil_offsets(side_km: float, cell_km: float) -> tuple[np.ndarray, np.ndarray]:
    """(K, 2) row/column offsets and (K,) area weights of a ``side_km`` square centred on a cell.

    Offset (0, 0) comes first, then the others in row-major order; offsets whose weight is 0 are left out.
    """
    half = side_km / (2.0 * cell_km)  # half-side in cells
    reach = int(np.ceil(half - 0.5 - 1e-9))
    steps = np.arange(-reach, reach + 1)
    overlap = np.clip(np.minimum(steps + 0.5, half) - np.maximum(steps - 0.5, -half), 0.0, 1.0)
    rr, cc = np.meshgrid(steps, steps, indexing="ij")
    ww = np.outer(overlap, overlap)
    offsets = np.column_stack([rr.ravel(), cc.ravel()])
    weights = ww.ravel()
    keep = weights > 1e-12
    offsets, weights = offsets[keep], weights[keep]
    centre = int(np.flatnonzero((offsets == 0).all(axis=1))[0])
    order = np.r_[centre, np.delete(np.arange(weights.size), centre)]
    return offsets[order].astype(np.int64), weights[order]


def _stencil(index_grid: np.ndarray, domain_rc: np.ndarray, side_km: float, cell_km: float) -> Stencil:
    rows, cols = index_grid.shape
    offsets, weights = stencil_offsets(side_km, cell_km)
    cells = np.full((domain_rc.shape[0], weights.size), -1, dtype=np.int64)
    for k, (dr, dc) in enumerate(offsets):
        rr = domain_rc[:, 0] + dr
        cc = domain_rc[:, 1] + dc
        ok = (rr >= 0) & (rr < rows) & (cc >= 0) & (cc < cols)
        cells[ok, k] = index_grid[rr[ok], cc[ok]]
    return Stencil(cells, weights)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class GridSpec(_Strict):
    lat_min: Latitude
    lat_max: Latitude
    lon_min: Longitude
    lon_max: Longitude
    urban_people_per_km2: float = Field(1000.0, gt=0, le=ceiling(1000.0))


class StateSpec(_Strict):
    label: Text


class JurisdictionSpec(_Strict):
    label: Text
    state: Identifier


class ZoneSpec(_Strict):
    label: Text
    jurisdiction: Identifier
    rural_population: Population
    polygon: list[LatLon] = Field(min_length=3, max_length=MAX_POINTS)


class TerrainSpec(_Strict):
    name: Text
    land: Literal["mountain", "desert"]
    polygon: list[LatLon] = Field(min_length=3, max_length=MAX_POINTS)


class TownSpec(_Strict):
    name: Text
    zone: Identifier
    lat: Latitude
    lon: Longitude
    population: Population
    radius_km: float = Field(gt=0, le=MAX_TOWN_RADIUS_KM)


class RoadSpec(_Strict):
    name: Text
    points: list[LatLon] = Field(min_length=2, max_length=MAX_POINTS)


class PointSpec(_Strict):
    name: Text
    lat: Latitude
    lon: Longitude
    weight: float = Field(gt=0, le=MAX_POINT_WEIGHT)


class RegionFile(_Strict):
    """Schema of a region TOML file (every value bounded: ``model.limits``)."""

    name: Text
    grid: GridSpec
    states: dict[Identifier, StateSpec] = Field(min_length=1, max_length=MAX_NAMED)
    jurisdictions: dict[Identifier, JurisdictionSpec] = Field(min_length=1, max_length=MAX_NAMED)
    zones: dict[Identifier, ZoneSpec] = Field(min_length=1, max_length=MAX_NAMED)
    terrain: list[TerrainSpec] = Field([], max_length=MAX_FEATURES)
    towns: list[TownSpec] = Field([], max_length=MAX_FEATURES)
    roads: list[RoadSpec] = Field([], max_length=MAX_FEATURES)
    ports: list[PointSpec] = Field(min_length=1, max_length=MAX_FEATURES)
    entry_points: list[PointSpec] = Field(min_length=1, max_length=MAX_FEATURES)

    @model_validator(mode="after")
    def _references(self) -> RegionFile:
        for name, jur in self.jurisdictions.items():
            if jur.state not in self.states:
                raise ValueError(f"jurisdictions.{name}.state: unknown state {jur.state!r}")
        for name, zone in self.zones.items():
            if zone.jurisdiction not in self.jurisdictions:
                raise ValueError(f"zones.{name}.jurisdiction: unknown {zone.jurisdiction!r}")
        for i, town in enumerate(self.towns):
            if town.zone not in self.zones:
                raise ValueError(f"towns[{i}].zone: unknown zone {town.zone!r}")
        if self.grid.lat_min >= self.grid.lat_max or self.grid.lon_min >= self.grid.lon_max:
            raise ValueError("grid: lat_min/lon_min must be below lat_max/lon_max")
        return self


@dataclass(eq=False)
class Region:
    """A rasterised region. Arrays of length ``n_cells`` describe the domain cells.

    Attributes:
        name: Region name.
        cell_km: Cell side, km.
        shape: (rows, cols) of the full grid; row 0 is the northern edge.
        cell_rc: (n_cells, 2) row and column of each domain cell.
        cell_latlon: (n_cells, 2) centre of each domain cell, degrees.
        index_grid: (rows, cols) domain index of each grid square, -1 outside the domain.
        zone, jurisdiction, state: integer codes per cell into ``zone_names`` etc.
        zone_jurisdiction: jurisdiction code of each zone; ``jurisdiction_state`` likewise.
        land: code into ``LAND_CLASSES``.
        population: people per cell.
        road: True where a road passes.
        port_cells, port_weights, port_names; entry_cells, entry_weights, entry_names.
        neighbours: (n_cells, 8) domain index of each Moore neighbour, -1 where none.
        adjacency: sparse (n_cells, n_cells) 0/1 matrix of the 3×3 neighbourhood including self.
        reach: ``Stencil`` of the ``REACH_KM`` square (what is "nearby").
        patrol: ``Stencil`` of the ``PATROL_KM`` square (where a unit can engage).
        roads: road polylines (lat/lon) for drawing.
    """

    name: str
    cell_km: float
    shape: tuple[int, int]
    bounds: tuple[float, float, float, float]
    cell_rc: np.ndarray
    cell_latlon: np.ndarray
    index_grid: np.ndarray
    zone: np.ndarray
    jurisdiction: np.ndarray
    state: np.ndarray
    land: np.ndarray
    population: np.ndarray
    road: np.ndarray
    zone_names: list[str]
    zone_labels: list[str]
    zone_jurisdiction: np.ndarray
    jurisdiction_names: list[str]
    jurisdiction_state: np.ndarray
    state_names: list[str]
    port_cells: np.ndarray
    port_weights: np.ndarray
    port_names: list[str]
    entry_cells: np.ndarray
    entry_weights: np.ndarray
    entry_names: list[str]
    neighbours: np.ndarray
    adjacency: sparse.csr_matrix
    reach: Stencil
    patrol: Stencil
    roads: list[tuple[str, np.ndarray]] = field(default_factory=list)
    towns: list[tuple[str, float, float]] = field(default_factory=list)

    @property
    def n_cells(self) -> int:
        return int(self.zone.size)

    @property
    def cell_area_km2(self) -> float:
        return self.cell_km**2

    @property
    def reference_cell_scale(self) -> float:
        """Reference cells' area per cell's area, ``(REFERENCE_CELL_KM / cell_km)²``: 1 at 2.5 km, 4 at 1.25 km.

        Turns a per-cell quantity (people) into the same density per reference cell, so parameters set
        per reference cell do not change with resolution.
        """
        return (REFERENCE_CELL_KM / self.cell_km) ** 2

    @property
    def moves_per_reference_move(self) -> float:
        """Moves at this resolution that spread a criminal cell as far as one move at the reference, ``(2.5 / cell_km)²``.

        A random walk's spread (km² per day) grows with moves × step²; a logit's drift toward a
        gradient likewise. So the daily chance to move scales with the cell area ratio (4× at
        1.25 km, 1/4 at 5 km), capped at one move a day (below ~0.65 km the spread falls short).
        """
        return (REFERENCE_CELL_KM / self.cell_km) ** 2

    def zone_population(self) -> np.ndarray:
        """People per zone (float array in ``zone_names`` order)."""
        return np.bincount(self.zone, weights=self.population, minlength=len(self.zone_names))

    def zone_code(self, name: str) -> int:
        return self.zone_names.index(name)


def _polygon_mask(polygon: list[LatLon], lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    path = PolygonPath(np.array([(p[1], p[0]) for p in polygon]))
    return path.contains_points(np.column_stack([lon.ravel(), lat.ravel()])).reshape(lat.shape)


def _nearest_domain_cell(index_grid: np.ndarray, row: float, col: float) -> int:
    rows, cols = np.nonzero(index_grid >= 0)
    k = int(np.argmin((rows - row) ** 2 + (cols - col) ** 2))
    return int(index_grid[rows[k], cols[k]])


def load_region_file(path: str | Path) -> RegionFile:
    """Read and validate a region TOML file (``InputError`` on any problem)."""
    return validate(RegionFile, read_toml(path), path)


@lru_cache(maxsize=16)
def _build_cached(path: str, mtime: float, cell_km: float) -> Region:
    return rasterise(load_region_file(path), cell_km, path)


@lru_cache(maxsize=16)
def region_from_text(text: str, cell_km: float, label: str = "<region>") -> Region:
    """Rasterise a region file's text (cached per text and resolution); ``label`` names it in errors."""
    return rasterise(validate(RegionFile, parse_toml(text, label), label), cell_km, label)


def build_region(path: str | Path, cell_km: float) -> Region:
    """Load and rasterise a region file at ``cell_km`` (cached per file version and resolution)."""
    path = Path(path).resolve()
    if not path.is_file():
        raise InputError(path, "", "region file not found")
    return _build_cached(str(path), path.stat().st_mtime, float(cell_km))


def _clip_segment(ra: float, ca: float, rb: float, cb: float, rows: int, cols: int) -> tuple[float, float, float, float] | None:
    """The part of the segment (row, col) a→b inside the grid's box (Liang–Barsky), or ``None``."""
    t0, t1 = 0.0, 1.0
    dr, dc = rb - ra, cb - ca
    for p, q in ((-dr, ra + 0.5), (dr, rows - 0.5 - ra), (-dc, ca + 0.5), (dc, cols - 0.5 - ca)):
        if p == 0:
            if q < 0:
                return None
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return None
    return ra + t0 * dr, ca + t0 * dc, ra + t1 * dr, ca + t1 * dc


def _segment_cells(segment: tuple[float, float, float, float] | None, index_grid: np.ndarray) -> np.ndarray:
    """Domain cells a clipped segment (row, col) a→b passes through (sampled three times per cell)."""
    if segment is None:
        return np.zeros(0, dtype=np.int64)
    ra, ca, rb, cb = segment
    rows, cols = index_grid.shape
    steps = int(np.ceil(3 * max(abs(rb - ra), abs(cb - ca)))) + 1
    rr = np.rint(np.linspace(ra, rb, steps)).astype(int)
    cc = np.rint(np.linspace(ca, cb, steps)).astype(int)
    ok = (rr >= 0) & (rr < rows) & (cc >= 0) & (cc < cols)
    idx = index_grid[rr[ok], cc[ok]]
    return idx[idx >= 0]


def rasterise(spec: RegionFile, cell_km: float, label: str | Path = "<region>") -> Region:  # noqa: PLR0915 - one linear recipe
    """Rasterise a validated region at ``cell_km``.

    Args:
        spec: The validated region file.
        cell_km: Cell side in km (> 0).
        label: The file, as errors name it.

    Returns:
        The rasterised ``Region``.
    """
    grid = spec.grid
    mean_lat = 0.5 * (grid.lat_min + grid.lat_max)
    dlat = cell_km / KM_PER_DEGREE_LAT
    dlon = cell_km / (KM_PER_DEGREE_LAT * np.cos(np.radians(mean_lat)))
    rows = max(1, int(np.ceil((grid.lat_max - grid.lat_min) / dlat)))
    cols = max(1, int(np.ceil((grid.lon_max - grid.lon_min) / dlon)))
    if rows * cols > MAX_GRID_CELLS:
        raise InputError(
            label, "grid", f"{rows:,} × {cols:,} = {rows * cols:,} cells at cell_km={cell_km:g} (at most {MAX_GRID_CELLS:,}): "
            "a smaller box or larger cells",
        )  # fmt: skip
    lat = grid.lat_max - (np.arange(rows) + 0.5) * dlat
    lon = grid.lon_min + (np.arange(cols) + 0.5) * dlon
    lat2, lon2 = np.meshgrid(lat, lon, indexing="ij")

    zone_names = list(spec.zones)
    jur_names = list(spec.jurisdictions)
    state_names = list(spec.states)
    zone_grid = np.full((rows, cols), -1, dtype=np.int64)
    for code, zone in enumerate(spec.zones.values()):
        inside = _polygon_mask(zone.polygon, lat2, lon2) & (zone_grid < 0)
        zone_grid[inside] = code
    covered = np.bincount(zone_grid[zone_grid >= 0], minlength=len(zone_names))
    for code, name in enumerate(zone_names):
        if covered[code] == 0:
            raise InputError(
                label, f"zones.{name}.polygon", f"covers no cell of the grid at cell_km={cell_km:g}: it lies outside [grid], "
                "is smaller than a cell, or an earlier zone covers it",
            )  # fmt: skip

    land_grid = np.full((rows, cols), LAND_CLASSES.index("rural"), dtype=np.int64)
    for terrain in spec.terrain:
        land_grid[_polygon_mask(terrain.polygon, lat2, lon2)] = LAND_CLASSES.index(terrain.land)

    index_grid = np.full((rows, cols), -1, dtype=np.int64)
    domain_rc = np.argwhere(zone_grid >= 0)
    index_grid[domain_rc[:, 0], domain_rc[:, 1]] = np.arange(len(domain_rc))
    n = len(domain_rc)
    zone = zone_grid[domain_rc[:, 0], domain_rc[:, 1]]
    zone_jur = np.array([jur_names.index(z.jurisdiction) for z in spec.zones.values()])
    jur_state = np.array([state_names.index(j.state) for j in spec.jurisdictions.values()])
    land = land_grid[domain_rc[:, 0], domain_rc[:, 1]]
    cell_lat = lat[domain_rc[:, 0]]
    cell_lon = lon[domain_rc[:, 1]]

    def to_rc(p_lat: float, p_lon: float) -> tuple[float, float]:
        return (grid.lat_max - p_lat) / dlat - 0.5, (p_lon - grid.lon_min) / dlon - 0.5

    # Population: towns as truncated Gaussians (sd = radius / 2) inside their own zone; the rest of
    # each zone's people spread evenly over its land, a tenth as dense on mountain and desert.
    population = np.zeros(n)
    cell_x = domain_rc[:, 1] * cell_km
    cell_y = domain_rc[:, 0] * cell_km
    for town in spec.towns:
        town_r, town_c = to_rc(town.lat, town.lon)
        dist2 = (cell_x - town_c * cell_km) ** 2 + (cell_y - town_r * cell_km) ** 2
        weight = np.exp(-dist2 / (2 * (town.radius_km / 2) ** 2))
        weight[(dist2 > town.radius_km**2) | (zone != zone_names.index(town.zone))] = 0.0
        if weight.sum() == 0:
            weight[_nearest_domain_cell(np.where(zone_grid == zone_names.index(town.zone), index_grid, -1), town_r, town_c)] = 1.0
        population += town.population * weight / weight.sum()
    harsh = np.isin(land, [LAND_CLASSES.index("mountain"), LAND_CLASSES.index("desert")])
    for code, zspec in enumerate(spec.zones.values()):
        weight = np.where(zone == code, np.where(harsh, 0.1, 1.0), 0.0)
        if weight.sum() > 0:
            population += zspec.rural_population * weight / weight.sum()
    urban = population / cell_km**2 >= grid.urban_people_per_km2
    land = np.where(urban, LAND_CLASSES.index("urban"), land)

    road = np.zeros(n, dtype=bool)
    road_lines = [(road_spec.name, np.array(road_spec.points, dtype=float)) for road_spec in spec.roads]
    for _, pts in road_lines:
        for (a_lat, a_lon), (b_lat, b_lon) in itertools.pairwise(pts):
            road[_segment_cells(_clip_segment(*to_rc(a_lat, a_lon), *to_rc(b_lat, b_lon), rows, cols), index_grid)] = True

    def snap(points: list[PointSpec]) -> tuple[np.ndarray, np.ndarray, list[str]]:
        cells = np.array([_nearest_domain_cell(index_grid, *to_rc(p.lat, p.lon)) for p in points])
        weights = np.array([p.weight for p in points], dtype=float)
        return cells, weights / weights.sum(), [p.name for p in points]

    port_cells, port_weights, port_names = snap(spec.ports)
    entry_cells, entry_weights, entry_names = snap(spec.entry_points)

    neighbours = np.full((n, len(MOORE_OFFSETS)), -1, dtype=np.int64)
    for k, (dr, dc) in enumerate(MOORE_OFFSETS):
        rr = domain_rc[:, 0] + dr
        cc = domain_rc[:, 1] + dc
        ok = (rr >= 0) & (rr < rows) & (cc >= 0) & (cc < cols)
        neighbours[ok, k] = index_grid[rr[ok], cc[ok]]
    src = np.repeat(np.arange(n), len(MOORE_OFFSETS))
    dst = neighbours.ravel()
    keep = dst >= 0
    src = np.concatenate([src[keep], np.arange(n)])
    dst = np.concatenate([dst[keep], np.arange(n)])
    adjacency = sparse.csr_matrix((np.ones(src.size), (src, dst)), shape=(n, n))

    return Region(
        name=spec.name,
        cell_km=float(cell_km),
        shape=(rows, cols),
        bounds=(grid.lat_min, grid.lat_max, grid.lon_min, grid.lon_max),
        cell_rc=domain_rc,
        cell_latlon=np.column_stack([cell_lat, cell_lon]),
        index_grid=index_grid,
        zone=zone,
        jurisdiction=zone_jur[zone],
        state=jur_state[zone_jur[zone]],
        land=land,
        population=population,
        road=road,
        zone_names=zone_names,
        zone_labels=[z.label for z in spec.zones.values()],
        zone_jurisdiction=zone_jur,
        jurisdiction_names=jur_names,
        jurisdiction_state=jur_state,
        state_names=state_names,
        port_cells=port_cells,
        port_weights=port_weights,
        port_names=port_names,
        entry_cells=entry_cells,
        entry_weights=entry_weights,
        entry_names=entry_names,
        neighbours=neighbours,
        adjacency=adjacency,
        reach=_stencil(index_grid, domain_rc, REACH_KM, cell_km),
        patrol=_stencil(index_grid, domain_rc, PATROL_KM, cell_km),
        roads=road_lines,
        towns=[(t.name, t.lat, t.lon) for t in spec.towns],
    )
