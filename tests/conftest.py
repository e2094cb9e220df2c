"""Shared fixtures: short runs keep the suite fast."""

from __future__ import annotations

from pathlib import Path

import pytest

from mandosim.model.scenario import LoadedScenario, load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
SHORT = {"time": {"burn_in_days": 20, "horizon_days": 40}}


def short(name: str, **extra: dict) -> LoadedScenario:
    """A library scenario with a short burn-in and horizon, plus nested overrides."""
    from mandosim.model.scenario import deep_merge

    return load_scenario(SCENARIOS / f"{name}.toml", deep_merge(SHORT, extra))


def _compile_kernels() -> None:
    from mandosim.model.model import BorderSecurityModel

    model = BorderSecurityModel(short("baseline", time={"burn_in_days": 3, "horizon_days": 3}), seed=0)
    model.run()
    model.release()


def pytest_configure(config: pytest.Config) -> None:
    """With pytest-xdist, the controlling process fills the kernels' cache before it starts the test processes.

    On a new checkout the cache is empty; test processes that compile the same kernels at the same
    time would race to write it.
    """
    if not hasattr(config, "workerinput") and config.getoption("numprocesses", None) and not config.option.collectonly:
        _compile_kernels()


#: Test files that take minutes: started first, so that the test processes finish together.
LONG_FIRST = ("tests/test_wheel.py", "tests/experiments/test_calibrate.py", "tests/experiments/test_cli_fuzz.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the longest test files first (the rest keep their order)."""
    items.sort(key=lambda item: not item.nodeid.startswith(LONG_FIRST))


@pytest.fixture(scope="session", autouse=True)
def compiled_kernels() -> None:
    """Compile (or load) the model's kernels once, in this process, before any test forks workers or starts processes."""
    _compile_kernels()


#: Helpers the standard library keeps for the life of the test process (they end with it).
LIFELONG_HELPERS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (from /proc; empty where there is no /proc)."""
    parent_of = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent_of[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parent_of.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    """The processes of ``pids`` still running (not zombies)."""
    living = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            living.add(pid)
    return living


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


@pytest.fixture(scope="session", autouse=True)
def nothing_outlives_the_suite():
    """Whatever the tests start (servers, clusters, workers) has stopped when the suite ends."""
    yield
    import os
    import signal
    import time

    deadline = time.time() + 10
    left = set()
    while time.time() < deadline:
        left = {pid for pid in alive(descendants(os.getpid())) if not any(h in command_line(pid) for h in LIFELONG_HELPERS)}
        if not left:
            return
        time.sleep(0.2)
    lines = [f"{pid}: {command_line(pid)[:200]}" for pid in sorted(left)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    pytest.fail("processes started by the tests outlived them: " + "; ".join(lines))


@pytest.fixture
def write(tmp_path: Path):
    """Write a text file under tmp_path and return its path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    return _write
