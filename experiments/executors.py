"""Running many runs: the local process pool, the default executor.

Progress bar, failure isolation and bounded in-flight work, so memory stays flat and results
stream into the store as they finish.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from mandosim.experiments.progress import progress_bar
from mandosim.experiments.store import RunKey
from mandosim.model.scenario import LoadedScenario

IN_FLIGHT_PER_WORKER = 2


def start_method() -> str:
    """How local workers start, chosen explicitly (Mesa's batch runner forces a global "spawn").

    On Linux, from a single-threaded process, workers are forked: they inherit the imported modules
    and the model's loaded compiled kernels, so a worker is ready in milliseconds instead of the ~2 s
    a fresh interpreter needs. Elsewhere, or when threads are running (forking them is unsafe),
    workers start fresh interpreters ("spawn"). Results do not depend on it: every run is seeded.
    """
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return "fork"
    return "spawn"


@dataclass(frozen=True)
class Task:
    """One run to do: its key, the resolved scenario and the seed."""

    key: RunKey
    scenario: LoadedScenario
    seed: int
    days: int | None = None


@dataclass
class Outcome:
    """What a task produced: tables to store, or an error."""

    key: RunKey
    tables: dict[str, Any] | None = None
    error: str | None = None
    detail: str = ""


def execute_task(task: Task, tables_of: Callable[[Task], dict[str, Any]]) -> Outcome:
    """Run one task in a worker; an exception becomes an ``Outcome`` with the error, not a crash."""
    try:
        return Outcome(task.key, tables=tables_of(task))
    except Exception as error:  # one failing run must not kill the batch
        return Outcome(task.key, error=f"{type(error).__name__}: {error}", detail=traceback.format_exc())


def run_local(
    tasks: list[Task],
    tables_of: Callable[[Task], dict[str, Any]],
    jobs: int,
    quiet: bool = False,
    desc: str = "runs",
    pool: ProcessPoolExecutor | None = None,
) -> Iterator[Outcome]:
    """Run ``tasks`` on ``jobs`` local processes (in this process when ``jobs == 1``).

    Yields outcomes as they finish; at most ``IN_FLIGHT_PER_WORKER × jobs`` tasks are in flight.
    ``pool`` (from ``local_pool``) keeps its warm workers across calls; without it a pool is
    started and stopped for this call.
    """
    with progress_bar(len(tasks), "run", desc, quiet, smoothing=0.1) as bar:
        if jobs <= 1 or len(tasks) <= 1:
            for task in tasks:
                yield execute_task(task, tables_of)
                bar.update()
            return
        if pool is not None:
            for outcome in _bounded(pool, iter(tasks), tables_of, IN_FLIGHT_PER_WORKER * jobs):
                yield outcome
                bar.update()
            return
        with local_pool(jobs) as own:
            for outcome in _bounded(own, iter(tasks), tables_of, IN_FLIGHT_PER_WORKER * jobs):
                yield outcome
                bar.update()


def local_pool(jobs: int) -> ProcessPoolExecutor:
    """A pool of ``jobs`` worker processes started the way ``run_local`` starts them (use it as a context manager)."""
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context(start_method()))


def _bounded(
    pool: ProcessPoolExecutor, tasks: Iterator[Task], tables_of: Callable[[Task], dict[str, Any]], limit: int
) -> Iterable[Outcome]:
    pending: set[Future] = set()
    for task in tasks:
        pending.add(pool.submit(execute_task, task, tables_of))
        if len(pending) >= limit:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            yield from (f.result() for f in finished)
    while pending:
        finished, pending = wait(pending, return_when=FIRST_COMPLETED)
        yield from (f.result() for f in finished)


# --- Dask distributed -----------------------------------------------------------------------------
DASK_MISSING = "the dask executors need Dask distributed: pip install 'mandosim[dask]'"


@dataclass(frozen=True)
class ExecutorSpec:
    """Where runs execute: ``local`` (process pool), ``dask`` (a running scheduler) or ``dask-local``."""

    kind: str = "local"
    jobs: int = 1
    scheduler: str | None = None
    workers: int = 2


def run_dask(
    tasks: list[Task],
    tables_of: Callable[[Task], dict[str, Any]],
    client: Any,
    quiet: bool = False,
    desc: str = "runs",
) -> Iterator[Outcome]:
    """Run ``tasks`` as futures on a Dask cluster; at most 2 per worker thread are in flight.

    A run on a worker that dies is rescheduled elsewhere by the scheduler; a run that keeps killing
    workers ends, after the scheduler's ``allowed-failures``, as ``KilledWorker`` and is returned as
    a failed ``Outcome``, never retried forever.
    """
    from distributed import as_completed

    threads = sum(client.nthreads().values()) or 1
    limit = IN_FLIGHT_PER_WORKER * threads
    pending = iter(tasks)
    keys: dict[Any, RunKey] = {}

    def submit(task: Task) -> Any:
        future = client.submit(execute_task, task, tables_of, key=f"mandosim-{task.key.stem}-{id(task)}", pure=False)
        keys[future.key] = task.key
        return future

    first = [submit(t) for _, t in zip(range(limit), pending, strict=False)]
    with progress_bar(len(tasks), "run", desc, quiet, smoothing=0.1) as bar:
        stream = as_completed(first)
        for future in stream:
            try:
                outcome = future.result()
            except Exception as error:  # KilledWorker and other scheduler-side failures
                outcome = Outcome(keys[future.key], error=f"{type(error).__name__}: {error}", detail="")
            future.release()
            nxt = next(pending, None)
            if nxt is not None:
                stream.add(submit(nxt))
            yield outcome
            bar.update()


def dask_client(spec: ExecutorSpec) -> Any:
    """A Dask client for ``spec`` (a context manager): a running scheduler or a local cluster on 127.0.0.1."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise RuntimeError(DASK_MISSING) from None
    if spec.kind == "dask":
        return Client(spec.scheduler, timeout="30s")
    cluster = LocalCluster(n_workers=spec.workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0")
    client = Client(cluster)
    client._mandosim_cluster = cluster  # closed with the client
    return client


@contextmanager
def held(spec: ExecutorSpec | int) -> Iterator[ExecutorSpec | int]:
    """The executor for several batches in a row: a ``dask-local`` cluster is started once and stopped at the end.

    Yields ``spec`` itself, or for ``dask-local`` the running cluster's address as a ``dask`` executor.
    """
    if not isinstance(spec, ExecutorSpec) or spec.kind != "dask-local":
        yield spec
        return
    client = dask_client(spec)
    cluster = client._mandosim_cluster
    try:
        yield ExecutorSpec("dask", jobs=spec.jobs, scheduler=cluster.scheduler_address, workers=spec.workers)
    finally:
        client.close()
        cluster.close()


def run_tasks(
    spec: ExecutorSpec, tasks: list[Task], tables_of: Callable[[Task], dict[str, Any]], quiet: bool, desc: str
) -> Iterator[Outcome]:
    """Run tasks on the executor ``spec`` names."""
    if spec.kind == "local":
        yield from run_local(tasks, tables_of, spec.jobs, quiet=quiet, desc=desc)
        return
    client = dask_client(spec)
    try:
        yield from run_dask(tasks, tables_of, client, quiet=quiet, desc=desc)
    finally:
        cluster = getattr(client, "_mandosim_cluster", None)
        client.close()
        if cluster is not None:
            cluster.close()
