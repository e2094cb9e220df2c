"""Dask distributed executors: same stored results as the local pool, surviving worker loss."""

import os
import signal
import threading
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed (pip install 'mandosim[dask]')")

from mandosim.experiments.cli import main  # noqa: E402
from mandosim.experiments.executors import Task, run_dask  # noqa: E402
from mandosim.experiments.store import RunKey  # noqa: E402
from tests.conftest import SCENARIOS, short  # noqa: E402

ARGS = ["compare", "baseline", "unified_command", "--reps", "3", "--days", "10", "--quiet"]


def new_cluster(workers: int = 2):
    return distributed.LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0"
    )


@pytest.fixture(scope="module")
def cluster():
    c = new_cluster()
    yield c
    c.close()


def parts(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for table in ("runs", "series", "groups") for p in sorted((root / table).glob("*.parquet"))
    }


def test_dask_and_local_pool_store_bit_identical_results(cluster, tmp_path):
    assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
    local, dask = tmp_path / "local", tmp_path / "dask"
    assert main([*ARGS, "--jobs", "2", "--out", str(local)]) == 0
    assert main([*ARGS, "--executor", "dask", "--scheduler", cluster.scheduler_address, "--out", str(dask)]) == 0
    local_parts, dask_parts = parts(local), parts(dask)
    assert len(local_parts) == 18
    assert local_parts == dask_parts


def test_dask_local_executor_and_resume(tmp_path, capsys):
    out = tmp_path / "dl"
    assert main([*ARGS, "--executor", "dask-local", "--workers", "2", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main([*ARGS, "--executor", "dask-local", "--workers", "2", "--out", str(out)]) == 0
    assert "resumed: 6 runs were already done, 0 run now" in capsys.readouterr().out


def test_dask_local_binds_scheduler_and_dashboard_to_loopback():
    from mandosim.experiments.executors import ExecutorSpec, dask_client

    client = dask_client(ExecutorSpec("dask-local", workers=1))
    cluster = client._mandosim_cluster
    try:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        assert cluster.dashboard_link.startswith("http://127.0.0.1:")
        bound = [sock.getsockname()[0] for sock in cluster.scheduler.http_server._sockets.values()]
        assert bound and set(bound) == {"127.0.0.1"}  # not every interface
    finally:
        client.close()
        cluster.close()


def test_a_worker_killed_mid_sweep_loses_nothing(tmp_path, write):
    sweep = write(
        "s.toml",
        f'name = "kill"\nbase = "{SCENARIOS / "baseline.toml"}"\ndesign = "grid"\nreplicates = 3\ndays = 30\n'
        '[[parameters]]\npath = "crime.rival_pull"\nlevels = [0.1, 0.3, 0.5, 0.7]\n',
    )
    out = tmp_path / "sweep"
    c = new_cluster()
    client = distributed.Client(c)
    result: dict[str, int] = {}
    runner = threading.Thread(
        target=lambda: result.setdefault(
            "code", main(["sweep", str(sweep), "--out", str(out), "--quiet", "--executor", "dask", "--scheduler", c.scheduler_address])
        )
    )
    try:
        runner.start()
        deadline = time.monotonic() + 120
        while len(list((out / "runs").glob("*.parquet"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        victim = next(iter(client.run(os.getpid).values()))
        os.kill(victim, signal.SIGKILL)
        killed_at = len(list((out / "runs").glob("*.parquet")))
        runner.join(timeout=300)
    finally:
        client.close()
        c.close()
    assert killed_at < 12, "the kill should land before the sweep ends"
    assert result.get("code") == 0
    stored = sorted(p.name for p in (out / "runs").glob("*.parquet"))
    assert len(stored) == 12
    assert len(set(stored)) == 12
    assert not list((out / "failures").glob("*.json"))


def test_a_run_that_keeps_killing_workers_is_recorded_failed():
    from dask import config

    from tests.experiments.dask_helpers import kill_my_worker

    with config.set({"distributed.scheduler.allowed-failures": 1}):
        c = new_cluster()
        client = distributed.Client(c)
        try:
            task = Task(RunKey("crash", 0, 0), short("baseline"), 1)
            outcomes = list(run_dask([task], kill_my_worker, client, quiet=True))
        finally:
            client.close()
            c.close()
    assert len(outcomes) == 1
    assert outcomes[0].tables is None
    assert "KilledWorker" in outcomes[0].error


@pytest.mark.parametrize(
    ("extra", "message"),
    [(["--executor", "dask"], "--executor dask needs --scheduler"), (["--scheduler", "tcp://127.0.0.1:1"], "goes with --executor dask")],
)
def test_executor_options_must_fit(extra, message, tmp_path, capsys):
    assert main([*ARGS, *extra, "--out", str(tmp_path / "x")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
