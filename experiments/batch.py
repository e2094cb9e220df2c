"""A batch: tasks (scenario or design point × replicate) run into a store, skipping finished runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from experiments.executors import Task, run_local
from experiments.runner import run
from experiments.store import Store


def summary_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """A run summary flattened into one row per zone, state and region (``unit``, ``unit_order``)."""
    units = [(unit, block) for unit, block in summary["zones"].items()]
    units += [(f"state {unit}", block) for unit, block in summary["states"].items()]
    units.append(("region", summary["region"]))
    return [{"unit": unit, "unit_order": i, **block} for i, (unit, block) in enumerate(units)]


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
    runs["wall_seconds"] = result.metadata["wall_seconds"]
    return {"series": keyed(result.zones), "groups": keyed(result.groups), "runs": runs}


@dataclass
class BatchReport:
    total: int
    skipped: int
    done: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)


def run_batch(store: Store, tasks: list[Task], jobs: int, quiet: bool = False, desc: str = "runs") -> BatchReport:
    """Run the tasks whose results are not in ``store`` yet, writing each as it finishes."""
    todo = [t for t in tasks if not store.done(t.key)]
    report = BatchReport(total=len(tasks), skipped=len(tasks) - len(todo))
    for outcome in run_local(todo, run_tables, jobs, quiet=quiet, desc=desc):
        if outcome.error is not None:
            store.write_failure(outcome.key, outcome.error, outcome.detail)
            report.failed.append({"run": outcome.key.stem, "error": outcome.error})
        else:
            store.write_run(outcome.key, outcome.tables or {})
            report.done += 1
    return report
