"""A batch: tasks (scenario or design point × replicate) run into a store, skipping finished runs."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from mandosim.experiments.executors import ExecutorSpec, Task, run_tasks
from mandosim.experiments.runner import run
from mandosim.experiments.store import Store


def summary_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """A run summary flattened into one row per zone, state and region (``unit``, ``level``, ``unit_order``).

    ``level`` tells the rows apart: a sum over the rows of one level counts each event once.
    """
    units = [(unit, "zone", block) for unit, block in summary["zones"].items()]
    units += [(f"state {unit}", "state", block) for unit, block in summary["states"].items()]
    units.append(("region", "region", summary["region"]))
    return [{"unit": unit, "level": level, "unit_order": i, **block} for i, (unit, level, block) in enumerate(units)]


def run_tables(task: Task) -> dict[str, pd.DataFrame]:
    """Run one task and return its three tables, each with the run's key columns first."""
    result = run(task.scenario, task.seed, days=task.days)
    key = {"scenario": task.key.scenario, "point": task.key.point, "replicate": task.key.replicate, "seed": task.seed}

    def keyed(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        for i, (name, value) in enumerate(key.items()):
            out.insert(i, name, value)
        for name in ("zone", "group"):
            if name in out.columns:
                out[name] = out[name].astype(str)
        return out

    runs = keyed(pd.DataFrame(summary_rows(result.summary)))
    runs["scenario_hash"] = task.scenario.content_hash
    # Stored parts hold results only, so they are bit-identical on every executor; the run's wall
    # time travels beside them and is summed into the manifest.
    return {"series": keyed(result.zones), "groups": keyed(result.groups), "runs": runs, "wall_seconds": result.metadata["wall_seconds"]}


@dataclass
class BatchReport:
    total: int
    skipped: int
    done: int = 0
    compute_seconds: float = 0.0
    failed: list[dict[str, Any]] = field(default_factory=list)


def run_batch(store: Store, tasks: list[Task], executor: ExecutorSpec | int, quiet: bool = False, desc: str = "runs") -> BatchReport:
    """Run the tasks whose results are not in ``store`` yet on ``executor``, writing each as it finishes.

    Args:
        store: The results store.
        tasks: Every run of the experiment (finished ones are skipped).
        executor: Where to run; an integer means the local pool with that many processes.
        quiet: No progress bar.
        desc: Progress-bar label.
    """
    spec = executor if isinstance(executor, ExecutorSpec) else ExecutorSpec("local", jobs=int(executor))
    todo = [t for t in tasks if not store.done(t.key)]
    report = BatchReport(total=len(tasks), skipped=len(tasks) - len(todo))
    if not todo:
        return report
    for outcome in run_tasks(spec, todo, run_tables, quiet=quiet, desc=desc):
        if outcome.error is not None:
            store.write_failure(outcome.key, outcome.error, outcome.detail)
            report.failed.append({"run": outcome.key.stem, "error": outcome.error})
        else:
            tables = dict(outcome.tables or {})
            report.compute_seconds += float(tables.pop("wall_seconds", 0.0))
            store.write_run(outcome.key, tables)
            report.done += 1
    return report


def run_experiment(
    store: Store, tasks: list[Task], executor: ExecutorSpec | int, manifest: dict[str, Any], quiet: bool = False, desc: str = "runs"
) -> BatchReport:
    """Write the manifest, run what is not done yet into ``store``, and record the outcome in the manifest.

    Runs whose parts the store found damaged are reported (and redone); the store is closed at the end.
    """
    try:
        if store.damaged:
            shown = ", ".join(store.damaged[:5]) + (" …" if len(store.damaged) > 5 else "")
            print(f"mandosim: {store.root}: {len(store.damaged)} unfinished or damaged runs are redone ({shown})", file=sys.stderr)
        store.write_manifest(manifest)
        report = run_batch(store, tasks, executor, quiet=quiet, desc=desc)
        failures = store.failures()
        store.write_manifest(
            {
                **manifest,
                "runs_done": report.total - len(failures),
                "failed": failures,
                "compute_seconds_last_invocation": report.compute_seconds,
            }
        )
    finally:
        store.close()
    return report
