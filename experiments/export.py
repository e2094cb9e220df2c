"""``mandosim export``: a results folder's Parquet tables as CSV files, with a column dictionary."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow.parquet as pq

from mandosim.experiments.store import LEDGER, MANIFEST, TABLES, read_table
from mandosim.model.errors import InputError
from mandosim.model.metrics import COLUMNS

#: Parquet files ``mandosim run`` writes.
RUN_FILES: tuple[str, ...] = ("zones", "groups", "territory")


def export_csv(folder: Path, out: Path | None = None) -> list[Path]:
    """Write every table of ``folder`` (a store, or a ``mandosim run`` folder) as CSV, plus ``columns.csv``.

    Args:
        folder: A results folder.
        out: Where the CSV files go (default ``folder/csv``).

    Returns:
        The files written.

    Raises:
        InputError: ``folder`` holds no mandosim tables.
    """
    out = out or folder / "csv"
    is_store = (folder / MANIFEST).is_file() or (folder / LEDGER).is_file()
    names = TABLES if is_store else tuple(n for n in RUN_FILES if (folder / f"{n}.parquet").is_file())
    if not names:
        raise InputError(folder, "", "no mandosim results here: expected a store (manifest.json, runs/) or a run's zones.parquet")
    out.mkdir(parents=True, exist_ok=True)
    written, columns = [], []
    for name in names:
        frame = read_table(folder, name) if is_store else pq.read_table(folder / f"{name}.parquet").to_pandas()
        if frame.empty:
            continue
        path = out / f"{name}.csv"
        frame.to_csv(path, index=False)
        written.append(path)
        columns += [c for c in frame.columns if c not in columns]
    dictionary = out / "columns.csv"
    with dictionary.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["column", "unit", "description"])
        for column in columns:
            writer.writerow([column, *COLUMNS.get(column, ("", ""))])
    return [*written, dictionary]


def columns_markdown() -> str:
    """The column table of docs/experiments.md (from ``model.metrics.COLUMNS``)."""
    lines = ["| column | unit | meaning |", "|---|---|---|"]
    lines += [f"| `{name}` | {unit} | {meaning} |" for name, (unit, meaning) in COLUMNS.items()]
    return "\n".join(lines)
