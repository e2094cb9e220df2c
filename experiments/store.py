"""The results store: a directory with ``manifest.json`` and one Parquet part per run and table.

Layout::

    DIR/manifest.json     what was asked: command, scenarios (hash and resolved content), seeds,
                          design, code version, created/updated, runs done and failed
    DIR/runs/*.parquet    summary rows (scenario, point, replicate, unit, outcomes)  → pd.read_parquet(DIR / "runs")
    DIR/series/*.parquet  daily series per zone                                       → pd.read_parquet(DIR / "series")
    DIR/groups/*.parquet  daily membership flows per group                           → pd.read_parquet(DIR / "groups")
    DIR/failures/*.json   runs that raised, with the error (retried on the next resume)

Each part is written under a hidden temporary name and renamed into place, so a killed process
leaves no half-written part; a run is finished when its ``runs`` part exists (written last).
Memory stays flat: nothing is kept once a part is on disk. Re-running the same command resumes;
a directory made for other scenario content or another design is refused unless ``force``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from model.errors import InputError

TABLES: tuple[str, ...] = ("series", "groups", "runs")  # written in this order; "runs" marks completion
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class RunKey:
    """Identity of one run in a store: scenario (or design point) and replicate."""

    scenario: str
    point: int
    replicate: int

    @property
    def stem(self) -> str:
        return f"{self.scenario}__p{self.point:05d}__r{self.replicate:04d}"


def _atomic_write_bytes(path: Path, write: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


class Store:
    """A results directory.

    Args:
        root: The directory.
        identity: What defines the experiment (scenario hashes, seeds, design); a store made for a
            different identity is refused.
        force: Start over if the directory holds another experiment.
    """

    def __init__(self, root: str | Path, identity: dict[str, Any], force: bool = False) -> None:
        self.root = Path(root)
        self.identity = identity
        manifest = self.root / MANIFEST
        if manifest.is_file():
            old = json.loads(manifest.read_text())
            if old.get("identity") != identity:
                if not force:
                    raise InputError(
                        self.root,
                        "",
                        f"holds results of a different experiment ({_difference(old.get('identity', {}), identity)}); "
                        "use another --out or --force to start over",
                    )
                self._wipe()
        elif self.root.exists() and any(self.root.iterdir()):
            if not force:
                raise InputError(self.root, "", "exists and is not a mandosim results directory; use another --out or --force")
            self._wipe()

    def _wipe(self) -> None:
        for child in self.root.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()

    # --- manifest -----------------------------------------------------------------------------
    def write_manifest(self, extra: dict[str, Any]) -> None:
        """Write the manifest (identity plus ``extra``), keeping the original creation time."""
        path = self.root / MANIFEST
        created = json.loads(path.read_text()).get("created") if path.is_file() else _now()
        body = {"identity": self.identity, "created": created, "updated": _now(), **extra}
        _atomic_write_bytes(path, lambda tmp: tmp.write_text(json.dumps(body, indent=1, default=str)))

    def manifest(self) -> dict[str, Any]:
        return json.loads((self.root / MANIFEST).read_text())

    # --- parts ----------------------------------------------------------------------------------
    def part(self, table: str, key: RunKey) -> Path:
        return self.root / table / f"{key.stem}.parquet"

    def done(self, key: RunKey) -> bool:
        """True when the run's parts are all on disk."""
        return self.part("runs", key).is_file()

    def write_run(self, key: RunKey, tables: dict[str, pd.DataFrame]) -> None:
        """Write a finished run's tables (atomically, ``runs`` last) and clear any recorded failure."""
        for table in TABLES:
            frame = tables[table]
            _atomic_write_bytes(self.part(table, key), lambda tmp, f=frame: f.to_parquet(tmp, index=False))
        (self.root / "failures" / f"{key.stem}.json").unlink(missing_ok=True)

    def write_failure(self, key: RunKey, error: str, detail: str) -> None:
        body = {"scenario": key.scenario, "point": key.point, "replicate": key.replicate, "error": error, "traceback": detail, "at": _now()}
        _atomic_write_bytes(self.root / "failures" / f"{key.stem}.json", lambda tmp: tmp.write_text(json.dumps(body, indent=1)))

    def failures(self) -> list[dict[str, Any]]:
        folder = self.root / "failures"
        return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []

    def read(self, table: str) -> pd.DataFrame:
        """One table of every finished run, in a stable order."""
        return read_table(self.root, table)


def read_manifest(root: str | Path) -> dict[str, Any]:
    """The manifest of a store (``InputError`` if ``root`` is not one)."""
    path = Path(root) / MANIFEST
    if not path.is_file():
        raise InputError(root, "", f"not a mandosim results directory (no {MANIFEST})")
    return json.loads(path.read_text())


def read_table(root: str | Path, table: str, columns: list[str] | None = None) -> pd.DataFrame:
    """Read ``table`` ("runs", "series" or "groups") of a store, sorted into a stable order.

    Parts are read one at a time (only ``columns`` if given) and joined as Arrow tables: reading a
    folder of thousands of small parts as one dataset costs far more memory.
    """
    folder = Path(root) / table
    parts = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if not parts:
        return pd.DataFrame()
    frame = pa.concat_tables([pq.read_table(part, columns=columns) for part in parts]).to_pandas()
    keys = [c for c in ("scenario", "point", "replicate", "unit_order", "day", "zone", "group") if c in frame.columns]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def _difference(old: dict[str, Any], new: dict[str, Any]) -> str:
    keys = sorted(set(old) | set(new))
    changed = [k for k in keys if old.get(k) != new.get(k)]
    return "differs in " + ", ".join(changed) if changed else "unknown"
