"""The results store: a directory with ``manifest.json``, a ledger and one Parquet part per run and table.

Layout::

    DIR/manifest.json     what was asked: command, scenarios (hash and resolved content), seeds,
                          design, code version, created/updated, runs done and failed
    DIR/ledger.jsonl      the experiment's identity, then one line per finished run: each part's
                          rows, bytes and SHA-256 (verified on every resume)
    DIR/runs/*.parquet    summary rows (scenario, point, replicate, unit, level, outcomes) → pd.read_parquet(DIR / "runs")
    DIR/series/*.parquet  daily series per zone                                       → pd.read_parquet(DIR / "series")
    DIR/groups/*.parquet  daily membership flows per group                           → pd.read_parquet(DIR / "groups")
    DIR/failures/*.json   runs that raised, with the error (retried on the next resume)
    DIR/.lock             held by the one command writing here

Each part is written under a hidden temporary name and renamed into place, so a killed process
leaves no half-written part. A run is finished when its ledger line is written (just before its
``runs`` part lands); on resume every recorded part is checked against its size and checksum, and a
damaged or unrecorded run is reported and redone. A damaged manifest is rebuilt from the ledger when
the same command runs again. Memory stays flat: nothing is kept once a part is on disk. A directory
made for other scenario content or another design is refused unless ``force``; a folder that is not
a store is never touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from filelock import FileLock, Timeout

from mandosim.experiments.provenance import differences, environment, results_versions
from mandosim.model.errors import InputError
from mandosim.model.metrics import COLUMNS

TABLES: tuple[str, ...] = ("series", "groups", "runs")  # written in this order; "runs" marks completion
MANIFEST = "manifest.json"
LEDGER = "ledger.jsonl"
LOCK = ".lock"
#: What made a store (its identity's ``kind``).
STORE_KINDS = ("compare", "sweep", "discover", "optimise")
#: Files a store may hold before its manifest exists (a new store, or one whose manifest was lost).
STORE_HOUSEKEEPING = (LOCK, LEDGER)


@dataclass(frozen=True)
class RunKey:
    """Identity of one run in a store: scenario (or design point) and replicate."""

    scenario: str
    point: int
    replicate: int

    @property
    def stem(self) -> str:
        return f"{self.scenario}__p{self.point:05d}__r{self.replicate:04d}"


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as Parquet with each known column's unit and meaning in its field metadata.

    ``pq.read_schema(path).field("homicides").metadata`` → ``{b"unit": b"people/day", b"description": ...}``
    (the same table as docs/experiments.md, from ``model.metrics.COLUMNS``).
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    fields = []
    for column in table.schema:
        unit, description = COLUMNS.get(column.name, ("", ""))
        fields.append(column.with_metadata({"unit": unit, "description": description}) if description else column)
    table = table.cast(pa.schema(fields, metadata=table.schema.metadata))
    pq.write_table(table, path)


#: Mode a store's files are created with, less the umask, like any file the user makes
#: (``tempfile.mkstemp`` gives 600 whatever the umask).
FILE_MODE = 0o666


def _temporary(path: Path) -> Path:
    """A new hidden file beside ``path``, to be renamed over it when complete (the umask applies)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = path.parent / f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
        except FileExistsError:  # pragma: no cover - 32 random bits taken by another writer
            continue
        return tmp


def _atomic_write_bytes(path: Path, write: Any) -> None:
    tmp = _temporary(path)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def _digest(path: Path, rows: int) -> dict[str, Any]:
    """What the ledger records of a part: rows, bytes, SHA-256."""
    return {"rows": int(rows), "bytes": path.stat().st_size, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def _intact(root: Path, table: str, stem: str, record: dict[str, Any], checksum: bool = True) -> bool:
    path = root / table / f"{stem}.parquet"
    if not path.is_file() or path.stat().st_size != record.get("bytes"):
        return False
    return not checksum or hashlib.sha256(path.read_bytes()).hexdigest() == record.get("sha256")


def read_ledger(root: str | Path) -> tuple[dict[str, Any] | None, dict[str, dict[str, Any]]]:
    """The identity a store's ledger starts with, and each recorded run's parts (the last line per run wins).

    A line that does not parse (a write cut short) is skipped: its run counts as not finished.
    """
    path = Path(root) / LEDGER
    identity, runs = None, {}
    if not path.is_file():
        return identity, runs
    for line in path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(entry, dict):
            continue
        if "identity" in entry and identity is None:
            identity = entry["identity"]
        elif isinstance(entry.get("run"), str) and isinstance(entry.get("parts"), dict):
            runs[entry["run"]] = entry["parts"]
    return identity, runs


class Store:
    """A results directory, written by one command at a time.

    Args:
        root: The directory.
        identity: What defines the experiment (scenario hashes, seeds, design); a store made for a
            different identity is refused.
        force: Start over if the directory holds another experiment (never if it is not a store).

    Raises:
        InputError: Another experiment (without ``force``), not a store, a damaged manifest that the
            ledger cannot restore, or another command writing here.
    """

    def __init__(self, root: str | Path, identity: dict[str, Any], force: bool = False, allow_mixed: bool = False) -> None:
        self.root = Path(root)
        self.identity = identity
        self.allow_mixed = allow_mixed
        self.earlier_environments: list[dict[str, Any]] = []  # recorded when a resume mixes versions (``allow_mixed``)
        self.damaged: list[str] = []  # runs whose parts failed verification (redone)
        self._check_folder()
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(self.root / LOCK)
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            raise InputError(
                self.root, "", "another mandosim command is writing here; wait for it to finish or use another --out"
            ) from None
        try:
            self._open(force)
        except BaseException:
            self.close()
            raise

    def _check_folder(self) -> None:
        """Refuse, before anything is changed, a folder that is not a store or holds what a store never makes."""
        if self.root.is_symlink():
            raise InputError(self.root, "", "is a symbolic link; a results store never follows links (give the real folder)")
        if self.root.exists() and not self.root.is_dir():
            raise InputError(self.root, "", "exists and is not a folder; use another --out")
        if self.root.is_dir():
            for child in sorted(self.root.iterdir()):
                if child.is_symlink():
                    raise InputError(
                        self.root, child.name, "is a symbolic link; a store never follows links out of itself (remove it; nothing changed)"
                    )
            for name in (LOCK, MANIFEST, LEDGER):
                if (self.root / name).exists() and not (self.root / name).is_file():
                    raise InputError(self.root, name, "is not a file (a store writes it as one); remove it (nothing was changed)")
            for name in (*TABLES, "failures"):
                if (self.root / name).exists() and not (self.root / name).is_dir():
                    raise InputError(self.root, name, "is not a folder (a store writes it as one); remove it (nothing was changed)")
        if (self.root / MANIFEST).is_file() or (self.root / LEDGER).is_file():
            return
        if self.root.is_dir() and any(not p.name.startswith(".") and p.name not in STORE_HOUSEKEEPING for p in self.root.iterdir()):
            raise InputError(self.root, "", "exists and is not a mandosim results directory; use another --out (nothing was changed)")

    def _open(self, force: bool) -> None:
        manifest = self.root / MANIFEST
        recorded_identity, _ = read_ledger(self.root)
        old: dict[str, Any] | None = None
        if manifest.is_file():
            try:
                old = json.loads(manifest.read_text())
            except (json.JSONDecodeError, UnicodeDecodeError):
                old = None
            if not isinstance(old, dict):
                if recorded_identity != self.identity and not force:
                    raise InputError(
                        manifest, "", "damaged (not valid JSON) and the ledger does not show the same experiment; "
                        "rerun with --force to start over, or remove the folder",
                    )  # fmt: skip
                old = {"identity": recorded_identity}  # rebuilt from the ledger; rewritten by write_manifest
                manifest.unlink()
        elif recorded_identity is not None:
            old = {"identity": recorded_identity}
        if old is not None and old.get("identity") != self.identity:
            if not force:
                raise InputError(
                    self.root,
                    "",
                    f"holds results of a different experiment ({_difference(old.get('identity') or {}, self.identity)}); "
                    "use another --out or --force to start over",
                )
            self._wipe()
        elif old is not None:
            self._check_versions(old)
        self._verify()

    def _check_versions(self, old: dict[str, Any]) -> None:
        """Refuse to resume runs made under other versions of what changes results (unless ``allow_mixed``, which records them)."""
        earlier = old.get("environment")
        recorded = earlier.get("results") if isinstance(earlier, dict) else None
        if not isinstance(recorded, dict):
            return
        changed = differences(recorded, results_versions())
        listed = old.get("earlier_environments")
        previous = [e for e in listed if isinstance(e, dict)] if isinstance(listed, list) else []
        if changed and not self.allow_mixed:
            raise InputError(
                self.root, "", f"its runs were made under other versions ({'; '.join(changed)}); resume under those versions, "
                "use another --out, --force to start over, or --allow-mixed to resume and record both",
            )  # fmt: skip
        self.earlier_environments = [*previous, earlier] if changed else previous

    def _verify(self) -> None:
        """Keep the runs whose recorded parts are intact; remove the parts of every other run (they are redone)."""
        identity, recorded = read_ledger(self.root)
        if identity is None:
            _append_line(self.root / LEDGER, {"identity": self.identity})
        self._finished: set[str] = set()
        for stem, parts in recorded.items():
            if all(_intact(self.root, table, stem, parts.get(table, {})) for table in TABLES):
                self._finished.add(stem)
            else:
                self.damaged.append(stem)
        reported = set(self.damaged)
        for table in TABLES:
            folder = self.root / table
            for part in folder.glob("*.parquet") if folder.is_dir() else []:
                if part.stem not in self._finished:
                    if part.stem not in reported:
                        reported.add(part.stem)
                        self.damaged.append(part.stem)
                    part.unlink()

    def close(self) -> None:
        """Let other commands write here again."""
        self._lock.release()

    def _wipe(self) -> None:
        for child in self.root.iterdir():
            if child.name == LOCK:
                continue
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()

    # --- manifest -----------------------------------------------------------------------------
    def write_manifest(self, extra: dict[str, Any]) -> None:
        """Write the manifest (identity plus ``extra``), keeping the original creation time."""
        path = self.root / MANIFEST
        created = json.loads(path.read_text()).get("created") if path.is_file() else _now()
        body = {"identity": self.identity, "created": created, "updated": _now(), "environment": environment(), **extra}
        if self.earlier_environments:
            body["earlier_environments"] = self.earlier_environments
        _atomic_write_bytes(path, lambda tmp: tmp.write_text(json.dumps(body, indent=1, default=str)))

    def manifest(self) -> dict[str, Any]:
        return read_manifest(self.root)

    # --- parts ----------------------------------------------------------------------------------
    def part(self, table: str, key: RunKey) -> Path:
        return self.root / table / f"{key.stem}.parquet"

    def done(self, key: RunKey) -> bool:
        """True when the run is recorded in the ledger with intact parts."""
        return key.stem in self._finished

    def write_run(self, key: RunKey, tables: dict[str, pd.DataFrame]) -> None:
        """Write a finished run's tables (atomically), record them in the ledger, then let its ``runs`` part land."""
        receipt: dict[str, Any] = {}
        for table in TABLES[:-1]:
            frame = tables[table]
            _atomic_write_bytes(self.part(table, key), lambda tmp, f=frame: write_parquet(f, tmp))
            receipt[table] = _digest(self.part(table, key), len(frame))
        last = TABLES[-1]
        final = self.part(last, key)
        tmp = _temporary(final)
        try:
            write_parquet(tables[last], tmp)
            receipt[last] = _digest(tmp, len(tables[last]))
            _append_line(self.root / LEDGER, {"run": key.stem, "parts": receipt})
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self._finished.add(key.stem)
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


def _append_line(path: Path, entry: dict[str, Any]) -> None:
    """Append one JSON line and make it durable before going on (after a line cut short, on a line of its own)."""
    cut = False
    if path.is_file() and path.stat().st_size > 0:
        with path.open("rb") as handle:
            handle.seek(-1, os.SEEK_END)
            cut = handle.read(1) != b"\n"
    with path.open("a") as handle:
        handle.write(("\n" if cut else "") + json.dumps(entry, default=str) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def read_manifest(root: str | Path) -> dict[str, Any]:
    """The manifest of a store (``InputError`` if ``root`` is not one)."""
    path = Path(root) / MANIFEST
    if not path.is_file():
        raise InputError(root, "", f"not a mandosim results directory (no {MANIFEST})")
    try:
        body = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise InputError(path, "", "damaged (not valid JSON); rerun the command that made it to rebuild it")
    identity = body.get("identity")
    if not isinstance(identity, dict) or identity.get("kind") not in STORE_KINDS:
        raise InputError(path, "identity.kind", f"missing or unknown; a store's manifest names one of: {', '.join(STORE_KINDS)}")
    return body


def manifest_file(root: str | Path, manifest: dict[str, Any], key: str, *folders: Path) -> Path:
    """A file a store's manifest names (``region.path``, ``study_file``), confined like a scenario's references.

    The file must be a ``.toml`` inside the library, a folder in ``MANDOSIM_SCENARIO_PATH``, the store
    itself or one of ``folders``; nothing outside is opened, and the message never shows its content.

    Raises:
        InputError: Missing, not a string, or outside those folders.
    """
    from mandosim.model.scenario import allowed_roots, confined

    node: Any = manifest
    for token in key.split("."):
        node = node.get(token) if isinstance(node, dict) else None
    path = Path(root) / MANIFEST
    if not isinstance(node, str):
        raise InputError(path, key, "missing or not a file name; rerun the command that made this folder")
    roots = [*allowed_roots(), Path(root).resolve(), *(f.resolve() for f in folders)]
    return confined(node, Path(root), roots, path, key)


def read_table(root: str | Path, table: str, columns: list[str] | None = None) -> pd.DataFrame:
    """Read ``table`` ("runs", "series" or "groups") of a store, sorted into a stable order.

    Parts are read one at a time (only ``columns`` if given) and joined as Arrow tables: reading a
    folder of thousands of small parts as one dataset costs far more memory.
    """
    folder = Path(root) / table
    parts = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    identity, recorded = read_ledger(root)
    if identity is not None:  # only runs the ledger records with parts of the recorded size
        parts = [p for p in parts if p.stem in recorded and _intact(Path(root), table, p.stem, recorded[p.stem].get(table, {}), False)]
    if not parts:
        return pd.DataFrame()
    frame = pa.concat_tables([pq.read_table(part, columns=columns) for part in parts]).to_pandas()
    keys = [c for c in ("scenario", "point", "replicate", "unit_order", "day", "zone", "group") if c in frame.columns]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def _difference(old: dict[str, Any], new: dict[str, Any]) -> str:
    keys = sorted(set(old) | set(new))
    changed = [k for k in keys if old.get(k) != new.get(k)]
    return "differs in " + ", ".join(changed) if changed else "unknown"
