"""The ``mandosim`` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mandosim.experiments.outdir import OUTPUT_MARK, atomic_output, check_replaceable, resolve_out
from mandosim.model.errors import InputError
from mandosim.model.limits import MAX_HORIZON_DAYS

EXIT_INPUT_ERROR = 2
DEFAULT_OUT = Path("results")


def _fail(message: str) -> int:
    print(f"mandosim: error: {message}", file=sys.stderr)
    return EXIT_INPUT_ERROR


def summary_table(summary: dict, labels: dict[str, str]) -> str:
    """A short text table of annualised outcomes per zone, state and region."""
    head = f"{'zone':<24}{'population':>12}{'homicides/yr':>14}{'per 100k':>10}{'disappeared/yr':>16}{'extortions':>12}{'arrests':>9}"
    lines = [head, "-" * len(head)]

    def row(name: str, block: dict) -> str:
        return (
            f"{name:<24}{block['population']:>12,.0f}{block['homicides_annual']:>14,.0f}{block['homicides_per_100k']:>10.1f}"
            f"{block['disappearances_annual']:>16,.0f}{block['extortions']:>12,.0f}{block['arrests']:>9,.0f}"
        )

    for zone, block in summary["zones"].items():
        lines.append(row(labels.get(zone, zone), block))
    lines.append("-" * len(head))
    for state, block in summary["states"].items():
        lines.append(row(f"state {state}", block))
    lines.append(row("region", summary["region"]))
    return "\n".join(lines)


def cmd_run(args: argparse.Namespace) -> int:
    """``mandosim run``: one scenario, one seed → Parquet series, JSON summary, PNG, table."""
    from mandosim.experiments.plots import plot_run
    from mandosim.experiments.progress import progress_bar
    from mandosim.experiments.provenance import environment
    from mandosim.experiments.runner import run
    from mandosim.experiments.store import write_parquet
    from mandosim.model.metrics import summary_units
    from mandosim.model.scenario import find_scenario, load_scenario

    loaded = load_scenario(find_scenario(args.scenario))
    out = resolve_out(args.out, DEFAULT_OUT / f"{loaded.scenario.name}_seed{args.seed}")
    check_replaceable(out)
    total = loaded.scenario.time.burn_in_days + (args.days or loaded.scenario.time.horizon_days)
    with progress_bar(total, "day", loaded.scenario.name, args.quiet, leave=False) as bar:
        result = run(loaded, args.seed, days=args.days, progress=bar.update)
    with atomic_output(out) as tmp:
        write_parquet(result.zones, tmp / "zones.parquet")
        write_parquet(result.groups, tmp / "groups.parquet")
        write_parquet(result.territory, tmp / "territory.parquet")
        metadata = {**result.metadata, "environment": environment()}
        (tmp / "summary.json").write_text(json.dumps({"metadata": metadata, "units": summary_units(), **result.summary}, indent=2))
        region = loaded.region()
        labels = dict(zip(region.zone_names, region.zone_labels, strict=True))
        title = f"{loaded.scenario.name} (seed {args.seed}): {loaded.scenario.description}"
        plot_run(result.zones, labels, tmp / "timeseries.png", title=title)
    meta = result.metadata
    header = f"{meta['scenario']} · seed {meta['seed']} · {meta['horizon_days']} days after {meta['burn_in_days']} burn-in"
    print(f"{header} · hash {meta['scenario_hash']}")
    print(summary_table(result.summary, labels))
    print(f"wrote {out}/ (zones.parquet, groups.parquet, territory.parquet, summary.json, timeseries.png)")
    return 0


def _labels(region_path: Path, cell_km: float) -> dict[str, str]:
    from mandosim.model.region import build_region

    region = build_region(region_path, cell_km)
    return dict(zip(region.zone_names, region.zone_labels, strict=True))


def _executor(args: argparse.Namespace) -> Any:
    """The executor the options name (``InputError`` when they do not fit together)."""
    from mandosim.experiments.executors import DASK_MISSING, ExecutorSpec

    if args.executor == "dask" and not args.scheduler:
        raise InputError("<command line>", "--scheduler", "--executor dask needs --scheduler tcp://HOST:PORT")
    if args.scheduler and args.executor != "dask":
        raise InputError("<command line>", "--scheduler", "goes with --executor dask")
    for option in ("jobs", "workers"):
        if getattr(args, option) < 1:
            raise InputError("<command line>", f"--{option}", f"must be >= 1, got {getattr(args, option)}")
    if args.executor != "local":
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise InputError("<command line>", "--executor", DASK_MISSING) from None
    return ExecutorSpec(args.executor, jobs=args.jobs, scheduler=args.scheduler, workers=args.workers)


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    """Options every batch command shares: where runs execute, starting over, quiet."""
    parser.add_argument("--force", action="store_true", help="start over if --out holds another experiment")
    parser.add_argument(
        "--allow-mixed",
        action="store_true",
        help="resume into --out although its runs were made under other versions of Python or the libraries (recorded in the manifest)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="local worker processes (default: all cores)")
    parser.add_argument(
        "--executor",
        choices=["local", "dask", "dask-local"],
        default="local",
        help="local process pool (default); 'dask' on a running cluster (--scheduler); 'dask-local' starts a local Dask cluster",
    )
    parser.add_argument("--scheduler", default=None, help="Dask scheduler address, tcp://HOST:PORT (with --executor dask)")
    parser.add_argument("--workers", type=int, default=2, help="workers of --executor dask-local (default 2)")


def _report_failures(failed: list[dict], total: int) -> int:
    if not failed:
        return 0
    print(f"mandosim: {len(failed)} of {total} runs failed (recorded in failures/; a re-run retries them):", file=sys.stderr)
    for item in failed[:10]:
        print(f"  {item['run']}: {item['error']}", file=sys.stderr)
    return 1


def cmd_compare(args: argparse.Namespace) -> int:
    """``mandosim compare``: scenarios × replicates with common random numbers → paired effects."""
    from mandosim.experiments.compare import OUTCOMES, markdown_table, run_comparison, write_outputs
    from mandosim.model.scenario import find_scenario, load_scenario

    if args.reps < 2:
        raise InputError("<command line>", "--reps", f"must be >= 2 to give a confidence interval, got {args.reps}")
    scenarios = [load_scenario(find_scenario(name)) for name in args.scenarios]
    names = [s.scenario.name for s in scenarios]
    if len(set(names)) != len(names):
        raise InputError("<command line>", "SCENARIO", f"scenario names must differ, got {', '.join(names)}")
    reference = args.reference or names[0]
    if reference not in names:
        matches = [s.scenario.name for s in scenarios if s.path is not None and s.path.stem == reference]
        if not matches:
            raise InputError(
                "<command line>", "--reference", f"{args.reference!r} is not among the compared scenarios ({', '.join(names)})"
            )
        reference = matches[0]
    out = resolve_out(args.out, DEFAULT_OUT / "compare")
    command = ["mandosim", *sys.argv[1:]] if sys.argv and "mandosim" in sys.argv[0] else ["mandosim", "compare", *args.scenarios]
    _, report = run_comparison(
        scenarios,
        args.reps,
        args.seed,
        _executor(args),
        out,
        reference,
        command,
        days=args.days,
        force=args.force,
        quiet=args.quiet,
        allow_mixed=args.allow_mixed,
    )
    labels = _labels(scenarios[0].region_path, scenarios[0].scenario.space.cell_km)
    done = report.total - len(report.failed)
    if done and not report.failed:
        effects = write_outputs(out, labels, scenarios[0].region_path)
        print(f"{len(scenarios)} scenarios × {args.reps} replicates (common random numbers, root seed {args.seed}); reference {reference}")
        if report.skipped:
            print(f"resumed: {report.skipped} runs were already done, {report.done} run now")
        print(markdown_table(effects, OUTCOMES[0], labels))
        print(f"wrote {out}/ (manifest.json, runs/, series/, groups/, effects.csv, effects.md, figures/)")
    return _report_failures(report.failed, report.total)


def cmd_explain(args: argparse.Namespace) -> int:
    """``mandosim explain``: a policy's paired effect decomposed into the regime's channels."""
    from mandosim.experiments.explain import CHANNELS, dose_markdown, dose_response, failure_levers, markdown, run_explain
    from mandosim.experiments.plots import plot_dose_response, plot_explanation
    from mandosim.model.scenario import find_scenario, load_scenario

    if args.reps < 2:
        raise InputError("<command line>", "--reps", f"must be >= 2 to give a confidence interval, got {args.reps}")
    reference = load_scenario(find_scenario(args.reference))
    policy = load_scenario(find_scenario(args.policy))
    if reference.scenario.name == policy.scenario.name:
        raise InputError("<command line>", "POLICY", f"the policy and the reference are both {policy.scenario.name!r}")
    channels = tuple(c.strip() for c in args.channels.split(",")) if args.channels else CHANNELS
    for channel in channels:
        if channel not in CHANNELS:
            raise InputError("<command line>", "--channels", f"unknown channel {channel!r}; channels: {', '.join(CHANNELS)}")
    labels = _labels(reference.region_path, reference.scenario.space.cell_km)
    units = _explain_units(args.zones, policy, labels)
    out = resolve_out(args.out, DEFAULT_OUT / f"explain_{policy.scenario.name}_vs_{reference.scenario.name}")
    check_replaceable(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / OUTPUT_MARK).write_text("written by mandosim explain; its stores resume, its pages are rewritten\n")
    explanation, report = run_explain(
        reference, policy, args.reps, args.seed, _executor(args), out / "runs_store", units, channels, args.days,
        ["mandosim", *sys.argv[1:]] if len(sys.argv) > 1 else None, force=args.force, quiet=args.quiet, allow_mixed=args.allow_mixed,
    )  # fmt: skip
    if explanation is None:
        return _report_failures(report.failed, report.total)
    text = markdown(explanation, labels)
    explanation.table.to_csv(out / "explain.csv", index=False)
    title = f"{policy.scenario.name} vs {reference.scenario.name}: homicides in {' + '.join(labels.get(u, u) for u in units)}"
    plot_explanation(explanation.table, title, out / "explain")
    sections = [text]
    if args.dose:
        tables = [
            dose_response(
                reference,
                policy,
                lever,
                levels,
                args.reps,
                args.seed,
                _executor(args),
                out / "dose_store" / str(i),
                units,
                args.days,
                args.quiet,
            )
            for i, (lever, levels) in enumerate(failure_levers(policy).items())
        ]
        import pandas as pd

        dose = pd.concat(tables, ignore_index=True)
        dose.to_csv(out / "dose.csv", index=False)
        plot_dose_response(dose, f"{policy.scenario.name}: failure levers", out / "dose")
        sections.append(dose_markdown(dose, units, labels))
        (out / "dose.md").write_text(sections[-1] + "\n")
    (out / "explain.md").write_text(text + "\n")
    print("\n\n".join(sections))
    print(f"wrote {out}/ (explain.md, explain.csv, explain.png{', dose.csv, dose.png' if args.dose else ''}; runs in runs_store/)")
    return 0


def _explain_units(zones: str | None, policy: Any, labels: dict[str, str]) -> list[str]:
    """Zones to sum: given, or the policy's unified area (from its regime or events), or the whole region."""
    if zones:
        names = [z.strip() for z in zones.split(",") if z.strip()]
        for name in names:
            if name != "region" and name not in labels:
                raise InputError("<command line>", "--zones", f"unknown zone {name!r}; zones: {', '.join(labels)}, region")
        return names
    area = list(policy.scenario.command.area)
    for event in policy.scenario.events:
        if getattr(event, "regime", None) == "unified":
            area += [z for z in event.area if z not in area]
    return area or ["region"]


def cmd_sweep(args: argparse.Namespace) -> int:
    """``mandosim sweep``: a sweep file → design points × replicates → responses and sensitivity."""
    from mandosim.experiments.sweep import Sweep, describe_sweep, find_sweep, run_sweep, write_sweep_outputs

    sweep = Sweep(find_sweep(args.sweep), samples=args.samples, replicates=args.reps, days=args.days)
    out = resolve_out(args.out, DEFAULT_OUT / sweep.spec.name)
    if args.dry_run:
        print(describe_sweep(sweep, out))
        return 0
    executor = _executor(args)
    command = ["mandosim", "sweep", *sys.argv[2:]] if len(sys.argv) > 1 and sys.argv[1] == "sweep" else ["mandosim", "sweep", args.sweep]
    _, report = run_sweep(sweep, out, executor, command, force=args.force, quiet=args.quiet, allow_mixed=args.allow_mixed)
    if not report.failed:
        table, indices = write_sweep_outputs(out)
        spec = sweep.spec
        print(f"{spec.name}: {spec.design} design, {len(sweep.points)} points × {spec.replicates} replicates (root seed {spec.seed})")
        if report.skipped:
            print(f"resumed: {report.skipped} runs were already done, {report.done} run now")
        if not indices.empty:
            print(indices.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        else:
            first = table[(table.unit == spec.units[0]) & (table.outcome == spec.outcomes[0])]
            print(first.drop(columns=["scenario_hash"]).to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        extra = ", indices.csv" if not indices.empty else ""
        print(f"wrote {out}/ (manifest.json, design.csv, runs/, series/, groups/, responses.csv{extra}, figures/)")
    return _report_failures(report.failed, report.total)


def cmd_discover(args: argparse.Namespace) -> int:
    """``mandosim discover``: the conditions (boxes of uncertainty values) under which a policy works."""
    from mandosim.experiments.discover import discovery, run_discover, write_discover_outputs
    from mandosim.experiments.study import Study

    study = Study(args.study)
    spec = discovery(study)
    if args.samples is not None and args.samples < 10:
        raise InputError("<command line>", "--samples", f"must be >= 10 (PRIM needs draws to peel), got {args.samples}")
    out = resolve_out(args.out, DEFAULT_OUT / f"discover_{study.spec.name}")
    command = ["mandosim", *sys.argv[1:]] if len(sys.argv) > 1 else ["mandosim", "discover", args.study]
    _, report = run_discover(
        study, out, _executor(args), command, args.samples, force=args.force, quiet=args.quiet, allow_mixed=args.allow_mixed
    )
    if report.failed:
        return _report_failures(report.failed, report.total)
    box, text = write_discover_outputs(out)
    samples = args.samples or spec.samples
    print(f"{study.spec.name}: {samples} draws × {study.spec.replicates} replicates, policy vs {study.spec.base}")
    if report.skipped:
        print(f"resumed: {report.skipped} runs were already done, {report.done} run now")
    print(text)
    if not box.limits.empty:
        print(box.limits.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"wrote {out}/ (summary.md, effects.csv, prim_box.csv, prim_trajectory.csv, cart_boxes.csv, figures/; runs in runs/)")
    return 0


def cmd_optimise(args: argparse.Namespace) -> int:
    """``mandosim optimise``: lever settings that minimise the study's outcomes robustly (NSGA-II)."""
    from mandosim.experiments.optimise import optimisation, run_optimise, write_optimise_outputs
    from mandosim.experiments.study import Study

    study = Study(args.study)
    sizes = {name: getattr(args, name) for name in ("population", "generations", "ensemble") if getattr(args, name) is not None}
    if sizes:
        study.resize(**sizes)
    spec = optimisation(study)
    out = resolve_out(args.out, DEFAULT_OUT / f"optimise_{study.spec.name}")
    command = ["mandosim", *sys.argv[1:]] if len(sys.argv) > 1 else ["mandosim", "optimise", args.study]
    _, report = run_optimise(study, out, _executor(args), command, force=args.force, quiet=args.quiet, allow_mixed=args.allow_mixed)
    if report.failed:
        return _report_failures(report.failed, report.total)
    table = write_optimise_outputs(out, study)
    front = table[table["pareto"]]
    print(
        f"{study.spec.name}: {len(table)} policies ({spec.population} × {spec.generations} generations), each on "
        f"{spec.ensemble} draws × {study.spec.replicates} replicates; robustness: {spec.robustness}"
        + (f" {spec.percentile:g}" if spec.robustness == "percentile" else "")
    )
    if report.skipped:
        print(f"resumed: {report.skipped} runs were already done, {report.done} run now")
    print(f"Pareto set: {len(front)} policies")
    print(
        front.drop(columns=["generation", "pareto", "same_as"], errors="ignore").to_string(index=False, float_format=lambda v: f"{v:.4g}")
    )
    print(f"wrote {out}/ (policies.csv, pareto.csv, policies/*.toml for mandosim compare, figures/pareto.png; runs in runs/)")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """``mandosim bench``: benchmarks measured side by side in one run (table and JSON)."""
    from mandosim.experiments import bench

    results: dict = {}
    measures = {"speed": bench.speed_benchmark, "scaling": bench.scaling_benchmark, "throughput": bench.throughput_benchmark}
    for name in ("speed", "mesa", "scaling", "throughput"):
        if name not in args.only:
            continue
        try:
            if name == "mesa":
                agents = results.get("speed", {}).get("agents") or bench.speed_benchmark(repeats=1)["agents"]
                results[name] = bench.mesa_benchmark(agents)
            else:
                results[name] = measures[name]()
        except RuntimeError as error:
            print(f"mandosim: {name}: {error}", file=sys.stderr)
            return EXIT_INPUT_ERROR
        print(bench.format_speed({name: results[name]}))
    if "app" in args.only:
        from mandosim.experiments.app_driver import DriverError, app_speed

        try:
            results["app"] = app_speed()
        except DriverError as error:
            print(f"mandosim: app: not measured: {error}", file=sys.stderr)
        else:
            app = results["app"]
            print(
                f"app (headless Chromium): {app['single_days_per_s']:.1f} model days/s with one regime, "
                f"{app['side_by_side_days_per_s']:.1f} side by side"
            )
    format_memory, memory_benchmark = bench.format_memory, bench.memory_benchmark
    if "memory" in args.only:
        results["memory"] = memory_benchmark(args.small, args.large, args.jobs)
        print("memory: peak resident memory of a sweep, each size in a fresh process")
        print(format_memory(results["memory"]))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
        print(f"wrote {args.json}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """``mandosim validate``: docking and patterns P1–P10 → report.md with figures."""
    from mandosim.experiments import patterns, validation
    from mandosim.experiments.plots import plot_pattern

    for name, least in (("reps", 2), ("years", 0), ("jobs", 1)):
        if getattr(args, name) < least or getattr(args, name) == 0:
            return _fail(f"validate: --{name.replace('_', '-')} must be at least {least or 'positive'}, got {getattr(args, name)}")
    known = [p.id for p in patterns.PATTERNS]
    for pid in args.only or []:
        if pid not in known:
            return _fail(f"validate: --only {pid!r}: unknown pattern; choose from {', '.join(known)}")
    both = not args.docking and not args.patterns
    out = resolve_out(args.out, Path("validation"))
    with atomic_output(out) as tmp:
        docking, outcomes, figures, ok = None, None, {}, True
        if args.docking or both:
            docking = validation.dock(args.scenario, args.reps, args.years, args.conflict_rate, args.incapacitation, args.seed, args.quiet)
            validation.write_docking(docking, tmp)
            verdict = "PASSED" if docking.passed else "FAILED"
            print(f"docking: total within {docking.total_gap:.2%}, groups within {docking.group_gaps.max():.2%}: {verdict}")
            ok &= docking.passed
        if args.patterns or both:
            outcomes = patterns.run_patterns(args.reps, args.seed, args.jobs, args.only, args.quiet)
            for p in patterns.PATTERNS:
                if p.id in outcomes:
                    plot_pattern(p.id, p.title, outcomes[p.id].plot, tmp / "figures" / p.id)
                    figures[p.id] = f"figures/{p.id}.png"
                    kind = "verification" if p.id in patterns.VERIFICATION else "calibration" if p.id in patterns.FITTED else "validation"
                    print(f"{p.id:<4}{'pass' if outcomes[p.id].passed else 'FAIL':<6}{kind:<14}{outcomes[p.id].figure}")
            print(f"levels: {outcomes['levels'].figure}")
            if "hindcast" in outcomes:
                print(f"hindcast: {outcomes['hindcast'].figure}")
            ok &= all(outcomes[pid].passed for pid in patterns.VERIFICATION if pid in outcomes)
            unfitted = [pid for pid in outcomes if pid in {p.id for p in patterns.PATTERNS}]
            unfitted = [pid for pid in unfitted if pid not in patterns.VERIFICATION and pid not in patterns.FITTED]
            validated = sum(outcomes[pid].passed for pid in unfitted)
            print(f"validation: {validated} of {len(unfitted)} patterns no parameter was set against pass")
        (tmp / "report.md").write_text(validation.report_markdown(docking, outcomes, args.reps, args.seed, figures))
    print(f"wrote {out / 'report.md'}")
    return 0 if ok else 1


def cmd_calibrate(args: argparse.Namespace) -> int:
    """``mandosim calibrate``: fit parameters to observed zone series; fitted scenario, history, plot."""
    from mandosim.experiments.calibration import SLICE_FACTORS, Calibration, Evaluation, write_calibration
    from mandosim.experiments.progress import progress_bar
    from mandosim.model.scenario import find_scenario, load_scenario

    loaded = load_scenario(find_scenario(args.scenario))
    params = [p.strip() for p in args.params.split(",") if p.strip()]
    if not params:
        raise InputError("<command line>", "--params", "name at least one parameter, e.g. crime.civilian_kill_rate")
    bounded = (
        ("--reps", args.reps, 2),
        ("--max-evaluations", args.max_evaluations, 1),
        ("--jobs", args.jobs, 1),
        ("--repeats", args.repeats, 0),
    )
    for name, value, least in (*bounded, ("--repeat-evaluations", args.repeat_evaluations, 1)):
        if value < least:
            raise InputError("<command line>", name, f"must be >= {least}, got {value}")
    targets = None
    if args.zone_levels:
        from mandosim.experiments.targets import DISAPPEARANCE_TARGETS, ZONE_TARGETS

        targets = [*ZONE_TARGETS, *DISAPPEARANCE_TARGETS]
    calibration = Calibration(loaded, args.observed, params, args.year, args.reps, args.days, args.seed, args.jobs, targets)
    out = resolve_out(args.out, DEFAULT_OUT / f"calibrate_{loaded.scenario.name}")
    check_replaceable(out)
    total = args.max_evaluations + len(params) * len(SLICE_FACTORS) + args.repeats * args.repeat_evaluations
    with progress_bar(total, "eval", "calibration", args.quiet) as bar:

        def progress(evaluation: Evaluation) -> None:
            bar.update()
            bar.set_postfix_str(f"-log L {evaluation.objective:.4g}")

        with calibration:
            result = calibration.fit(args.max_evaluations, progress, args.method)
            calibration.slice_intervals(result, progress)
            calibration.repeated_fits(result, args.repeats, args.repeat_evaluations, progress)
    with atomic_output(out) as tmp:
        written = write_calibration(calibration, result, tmp)
    best, first = result.best, result.first
    print(f"{'target':<40}{'observed':>10}{'start':>10}{'fitted':>10}")
    for target, start, fit in zip(result.targets, first.means, best.means, strict=True):
        print(f"{target.label:<40}{target.observed:>10,.0f}{start:>10,.0f}{fit:>10,.0f}")
    for name in result.params:
        low, high = result.intervals.get(name, (float("nan"), float("nan")))
        print(f"{name}: {result.initial[name]:.4g} -> {result.fitted[name]:.4g} (95 % slice {low:.4g}–{high:.4g})")
    print(
        f"negative log-likelihood {first.objective:.4g} -> {best.objective:.4g} after {len(result.history)} evaluations; wrote {out}/"
        + ", ".join(p.name for p in written)
    )
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    """``mandosim plot``: (re)draw every figure of a results directory from its stored results."""
    from mandosim.experiments.store import manifest_file, read_manifest
    from mandosim.experiments.study import studies_dir
    from mandosim.model.params import SpaceParams
    from mandosim.model.validation import validate

    out = Path(args.dir)
    manifest = read_manifest(out)
    kind = manifest["identity"]["kind"]
    region = manifest.get("region") if isinstance(manifest.get("region"), dict) else {}
    space = validate(SpaceParams, {"cell_km": region.get("cell_km")}, out / "manifest.json")
    region_path = manifest_file(out, manifest, "region.path")
    labels = _labels(region_path, space.cell_km)
    if kind == "compare":
        from mandosim.experiments.compare import write_outputs

        write_outputs(out, labels, region_path)
    elif kind == "discover":
        from mandosim.experiments.discover import write_discover_outputs

        write_discover_outputs(out)
    elif kind == "optimise":
        from mandosim.experiments.optimise import write_optimise_outputs
        from mandosim.experiments.study import Study

        write_optimise_outputs(out, Study(manifest_file(out, manifest, "study_file", studies_dir())))
    else:
        from mandosim.experiments.sweep import write_sweep_outputs

        write_sweep_outputs(out)
    print(f"wrote {out}/figures/ (PNG and SVG)")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """``mandosim export``: a results folder's tables as CSV files."""
    from mandosim.experiments.export import export_csv

    written = export_csv(Path(args.dir), Path(args.out) if args.out else None)
    print(f"wrote {len(written)} files to {written[0].parent}/ ({', '.join(p.name for p in written)})")
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    """``mandosim scenarios``: the library, one line each."""
    from mandosim.experiments.library import list_scenarios

    folder = Path(args.folder) if args.folder else None
    rows = list_scenarios(folder)
    if not rows:
        raise InputError(folder or "<library>", "", "no scenario files (*.toml) here")
    width = max(len(name) for name, _, _ in rows)
    for name, description, events in rows:
        print(f"{name:<{width}}  {description}")
        if args.events:
            print(f"{'':<{width}}  events: {events}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """``mandosim show``: a scenario's resolved parameters (after ``extends``) and its timeline."""
    from mandosim.experiments.library import show
    from mandosim.model.scenario import find_scenario, load_scenario

    print(show(load_scenario(find_scenario(args.scenario)), changed_only=args.changed), end="")
    return 0


ODD_PARAMETERS_HEADING = "## 9. Parameters"


def cmd_params(args: argparse.Namespace) -> int:
    """``mandosim params``: every parameter with its default, unit and source."""
    from mandosim.model.params import parameter_table_markdown

    table = parameter_table_markdown()
    if args.update_odd:
        path = Path(args.update_odd)
        text = path.read_text()
        if ODD_PARAMETERS_HEADING not in text:
            raise InputError(path, "", f"no '{ODD_PARAMETERS_HEADING}' heading to put the table under")
        head = text.split(ODD_PARAMETERS_HEADING)[0]
        path.write_text(f"{head}{ODD_PARAMETERS_HEADING}\n\n{table}\n")
        print(f"updated the parameter table of {path}")
    else:
        print(table)
    return 0


def cmd_region(args: argparse.Namespace) -> int:
    """``mandosim region``: draw the rasterised region of a scenario (with its trafficking routes)."""
    from mandosim.experiments.plots import plot_region
    from mandosim.model.model import BorderSecurityModel
    from mandosim.model.scenario import find_scenario, load_scenario

    loaded = load_scenario(find_scenario(args.scenario))
    model = BorderSecurityModel(loaded, seed=args.seed)
    path = plot_region(model.region, args.out, flow=model.flow if args.routes else None)
    print(f"wrote {path} ({model.region.n_cells:,} cells of {model.region.cell_km:g} km)")
    return 0


def cmd_app(args: argparse.Namespace) -> int:
    """``mandosim app``: the interactive app on 127.0.0.1 (needs the ``viz`` extra)."""
    import importlib.util

    from mandosim.model.scenario import find_scenario, load_scenario

    if importlib.util.find_spec("solara") is None:
        return _fail("app: the app needs the viz extra: pip install 'mandosim[viz]' (solara is missing)")
    load_scenario(find_scenario(args.scenario))  # a bad scenario fails here, with its file and key
    if not 0 < args.port < 65536:
        return _fail(f"app: --port must be 1-65535, got {args.port}")
    from mandosim.experiments.app import serve

    print(f"mandosim app: http://127.0.0.1:{args.port}/ (scenario {args.scenario}; Ctrl-C to stop)")
    return serve(args.scenario, args.port, open_browser=args.open)


def _add_app(sub: argparse._SubParsersAction) -> None:
    app_p = sub.add_parser(
        "app",
        help="the interactive app: watch the border, flip the command, see the difference",
        description=(
            "Start the interactive app on http://127.0.0.1:PORT/ (Mesa's SolaraViz). It shows the region map\n"
            "(zones, roads, ports, units by branch, criminal cells by group, a heat layer of recent homicides),\n"
            "homicides and disappearances by zone, and controls for the scenario, the command regime and its\n"
            "area, vetting, force level and seed; 'Side by side with' runs a second regime on the same seed and\n"
            "charts the running difference. Step advances 5 days; play runs on. Needs: pip install 'mandosim[viz]'."
        ),
        epilog="example: mandosim app unified_command --port 8765",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    app_p.add_argument("scenario", nargs="?", default="baseline", help="scenario file or name to start with (default baseline)")
    app_p.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (default 8765)")
    app_p.add_argument("--open", action="store_true", help="open a browser tab")
    app_p.set_defaults(func=cmd_app)


def _add_run(sub: argparse._SubParsersAction) -> None:
    run_p = sub.add_parser(
        "run",
        help="run one scenario with one seed",
        description=(
            "Run one scenario with one seed. Writes the daily series per zone, group and zone × group (Parquet),\n"
            "a summary with annualised homicides per 100k per zone (JSON) and a time-series plot (PNG),\n"
            "and prints a short table. Same scenario + seed → bit-identical results."
        ),
        epilog="example: mandosim run baseline --seed 1 --out results/baseline",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run_p.add_argument("scenario", help="scenario file or library name (baseline, unified_command, coordination_failure)")
    run_p.add_argument("--seed", type=int, default=1, help="root seed of every random stream (default 1)")
    run_p.add_argument("--days", type=int, default=None, help="horizon days after burn-in (default: the scenario's, 365)")
    run_p.add_argument("--out", default=None, help="output folder (default results/SCENARIO_seedN); replaced atomically")
    run_p.add_argument("--quiet", action="store_true", help="no progress bar")
    run_p.set_defaults(func=cmd_run)


def _add_compare(sub: argparse._SubParsersAction) -> None:
    compare_p = sub.add_parser(
        "compare",
        help="compare scenarios over replicates (paired effects with 95 %% CIs)",
        description=(
            "Run every scenario with the same replicate seeds (common random numbers: replicate k of every\n"
            "scenario shares its luck), then report each scenario's paired difference from the reference,\n"
            "per zone, state and region, with a 95 % confidence interval and the relative change.\n"
            "Results stream into a store as runs finish (manifest.json; runs/, series/ and groups/ Parquet\n"
            "datasets); re-running the same command resumes. Then effects.csv, effects.md and figures/."
        ),
        epilog="example: mandosim compare baseline coordination_failure unified_command --reps 20 --out results/compare",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    compare_p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario files or library names")
    compare_p.add_argument("--reps", type=int, default=10, help="replicates per scenario (default 10)")
    compare_p.add_argument("--reference", default=None, help="scenario the others are compared with (default: the first)")
    compare_p.add_argument("--seed", type=int, default=1, help="root seed the replicate seeds are spawned from (default 1)")
    _add_run_options(compare_p)
    compare_p.add_argument("--out", default=None, help="output folder (default results/compare)")
    compare_p.add_argument("--days", type=int, default=None, help="horizon days of every run (default: each scenario's)")
    compare_p.set_defaults(func=cmd_compare)


def _add_explain(sub: argparse._SubParsersAction) -> None:
    explain_p = sub.add_parser(
        "explain",
        help="why a policy changes violence: its effect decomposed into the regime's channels",
        description=(
            "Run the reference and the policy on the same replicate seeds with every channel on, then with each\n"
            "channel switched off in turn (jurisdiction, information, response, collusion, rifts, learning;\n"
            "a channel switched off acts the same under every regime). A channel's contribution is the part of\n"
            "the paired effect that disappears without it (95 % CI; share of the total with a bootstrap CI);\n"
            "what the channels do not explain alone is the interaction. --dose adds the dose-response of the\n"
            "failure levers (rift trust, collusion, leak and obstruction probabilities). Writes explain.md,\n"
            "explain.csv and explain.png (and dose.*); the runs are a resumable store under the output folder."
        ),
        epilog=(
            "examples:\n"
            "  mandosim explain baseline unified_command --reps 20\n"
            "  mandosim explain baseline coordination_failure --zones mexicali_city,mexicali_valley --dose"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    explain_p.add_argument("reference", metavar="REFERENCE", help="reference scenario (e.g. baseline)")
    explain_p.add_argument("policy", metavar="POLICY", help="policy scenario (e.g. unified_command)")
    explain_p.add_argument("--reps", type=int, default=20, help="replicates per configuration (default 20)")
    explain_p.add_argument("--seed", type=int, default=1, help="root seed of the replicate seeds (default 1)")
    explain_p.add_argument(
        "--zones", default=None, help="zones to sum, comma-separated, or 'region' (default: the policy's unified area, else the region)"
    )
    explain_p.add_argument("--channels", default=None, help="channels to switch off in turn (default: all six)")
    explain_p.add_argument("--dose", action="store_true", help="also the dose-response of the failure levers")
    explain_p.add_argument("--days", type=int, default=None, help="horizon days of every run (default: the scenarios')")
    explain_p.add_argument("--out", default=None, help="output folder (default results/explain_POLICY_vs_REFERENCE)")
    _add_run_options(explain_p)
    explain_p.set_defaults(func=cmd_explain)


def _shipped_sweeps() -> list[str]:
    """Names of the shipped sweep files (read without importing the model)."""
    from importlib import resources

    return sorted(
        p.name.removesuffix(".toml") for p in (resources.files("mandosim.experiments") / "sweeps").iterdir() if p.name.endswith(".toml")
    )


def _add_sweep(sub: argparse._SubParsersAction) -> None:
    sweep_p = sub.add_parser(
        "sweep",
        help="sweep parameters over a design (grid, lhs, sobol, morris)",
        description=(
            "Run a sweep file: its base scenario at every design point (grid, Latin hypercube, Sobol or Morris),\n"
            "each with the same replicate seeds, into a resumable store; then responses.csv, sensitivity indices\n"
            "(Sobol S1/ST with CIs, or Morris mu*/sigma, by SALib) and figures. A bare name runs a shipped sweep\n"
            f"({', '.join(_shipped_sweeps())}); --dry-run shows the design without running it."
        ),
        epilog=(
            "examples:\n"
            "  mandosim sweep trust_x_vetting --dry-run          # what it would run\n"
            "  mandosim sweep trust_x_vetting --out results/trust_x_vetting\n"
            "  mandosim sweep my_sweep.toml --samples 64 --reps 4"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sweep_p.add_argument("sweep", help="sweep TOML file, or a shipped sweep's name")
    sweep_p.add_argument("--dry-run", action="store_true", help="print the design (parameters, points, runs) and stop")
    sweep_p.add_argument("--out", default=None, help="output folder (default results/SWEEP_NAME)")
    _add_run_options(sweep_p)
    sweep_p.add_argument("--reps", type=int, default=None, help="replicates per point (overrides the file)")
    sweep_p.add_argument("--samples", type=int, default=None, help="lhs points / sobol N / morris trajectories (overrides the file)")
    sweep_p.add_argument("--days", type=int, default=None, help="horizon days of every run (overrides the file)")
    sweep_p.set_defaults(func=cmd_sweep)


def _add_discover(sub: argparse._SubParsersAction) -> None:
    discover_p = sub.add_parser(
        "discover",
        help="scenario discovery: the conditions under which a policy works (PRIM, CART)",
        description=(
            "Draw the study's uncertainties (Latin hypercube), run the base and the policy of its [discover]\n"
            "section on the same seeds at every draw, and find with PRIM (EMA Workbench) the box of uncertainty\n"
            "values where the policy's relative effect on the outcome crosses the threshold: its limits, coverage\n"
            "(share of all such cases inside) and density (share of the box that are such cases), the peeling\n"
            "trajectory, a plain-language summary, and CART's tree as a second view. Resumable like every study."
        ),
        epilog=(
            "examples:\n"
            "  mandosim discover corridor                       # the shipped study of the valley – San Luis corridor\n"
            "  mandosim discover my_study.toml --samples 100 --out results/my_discovery"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    discover_p.add_argument("study", help="study TOML file, or a shipped study's name (corridor)")
    discover_p.add_argument("--samples", type=int, default=None, help="Latin-hypercube draws (overrides the study's)")
    discover_p.add_argument("--out", default=None, help="output folder (default results/discover_STUDY)")
    _add_run_options(discover_p)
    discover_p.set_defaults(func=cmd_discover)


def _add_optimise(sub: argparse._SubParsersAction) -> None:
    optimise_p = sub.add_parser(
        "optimise",
        help="robust policy search: lever settings that do well whatever the uncertainties (NSGA-II)",
        description=(
            "Search the study's levers for the policies that minimise its [optimise] outcomes robustly: every\n"
            "candidate runs on the same ensemble of uncertainty draws and seeds; its score per outcome is the\n"
            "mean, a percentile or the worst over the draws; NSGA-II (Optuna) proposes each generation, which runs\n"
            "as one batch. Writes every policy with its scores and regret, the Pareto set, a scenario file per\n"
            "Pareto policy (for mandosim compare) and a parallel-coordinates figure. Resumable like every study."
        ),
        epilog=(
            "examples:\n"
            "  mandosim optimise corridor\n"
            "  mandosim compare baseline results/optimise_corridor/policies/corridor_policy00007.toml --reps 20"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    optimise_p.add_argument("study", help="study TOML file, or a shipped study's name (corridor)")
    optimise_p.add_argument("--out", default=None, help="output folder (default results/optimise_STUDY)")
    optimise_p.add_argument("--population", type=int, default=None, help="policies per generation (default: the study's [optimise])")
    optimise_p.add_argument("--generations", type=int, default=None, help="generations of the search (default: the study's)")
    optimise_p.add_argument("--ensemble", type=int, default=None, help="uncertainty draws every policy runs on (default: the study's)")
    _add_run_options(optimise_p)
    optimise_p.set_defaults(func=cmd_optimise)


def _add_bench(sub: argparse._SubParsersAction) -> None:
    bench_p = sub.add_parser(
        "bench",
        help="measure speed, scaling, throughput and memory in one run",
        description=(
            "Benchmarks, measured side by side in one invocation (table, and JSON with --json): seconds per\n"
            "scenario-year; agent-steps/s against Mesa's Epstein example at a similar agent count; growth with\n"
            "size (1×, 4×, 16× cells); compare throughput with 1 and 2 jobs; peak memory of 100- vs 1,000-run sweeps;\n"
            "model days per second the app shows in headless Chromium, one regime and side by side (needs the dev extra)."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bench_p.add_argument(
        "--only", nargs="+", default=["speed", "mesa", "scaling", "throughput", "memory", "app"],
        choices=["speed", "mesa", "scaling", "throughput", "memory", "app"], help="which benchmarks (default: all)",
    )  # fmt: skip
    bench_p.add_argument("--small", type=int, default=100, help="runs of the small memory sweep (default 100)")
    bench_p.add_argument("--large", type=int, default=1000, help="runs of the large memory sweep (default 1000)")
    bench_p.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    bench_p.add_argument("--json", default=None, help="also write the results to this JSON file")
    bench_p.set_defaults(func=cmd_bench)


def _add_validate(sub: argparse._SubParsersAction) -> None:
    from mandosim.experiments import validation

    validate_p = sub.add_parser(
        "validate",
        help="validate the model: docking, patterns P1-P10, a report",
        description=(
            "Without flags: the docking experiment and the pattern experiments P1-P10 (FACTS.md), each a paired\n"
            "experiment with --reps replicates and a pass rule fixed in advance; writes report.md with figures.\n"
            "--docking: run the model's well-mixed mode (one zone, no space, no routes; the spatial model's own\n"
            "fight, arrest, recruitment and exit code) for --reps replicates and compare the ensemble mean, day by\n"
            "day, with the Prieto-Curiel et al. (2023) equation solved by scipy's solve_ivp under the same\n"
            f"parameters. Passes when total members stay within {validation.TOTAL_TOLERANCE:.0%} and each group within "
            f"{validation.GROUP_TOLERANCE:.0%}.\n"
            "Writes docking.csv, docking.md and docking.png/.svg to --out. The report has three sections:\n"
            "verification (docking, P5, P8: the code does what the ODD says), calibration (each zone's level against\n"
            "its published target, and the patterns a parameter was set against) and validation (patterns nothing\n"
            "was set against); its headline counts validation only. Exit 0 when verification passes, 1 otherwise\n"
            "(a failing calibration or validation is a finding, reported, not an error)."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: mandosim validate --docking --reps 50 --years 5",
    )
    validate_p.add_argument("--docking", action="store_true", help="only the docking experiment")
    validate_p.add_argument("--patterns", action="store_true", help="only the pattern experiments")
    validate_p.add_argument("--only", nargs="+", default=None, metavar="PID", help="only these patterns (e.g. P1 P9)")
    validate_p.add_argument("--jobs", type=int, default=2, help="worker processes for the pattern runs (default 2)")
    validate_p.add_argument(
        "--scenario", default="baseline", help="scenario whose groups, rivalries and dynamics to use (default baseline)"
    )
    validate_p.add_argument(
        "--reps",
        type=int,
        default=50,
        help="replicates of docking and of each pattern arm (default 50: rare leader strikes widen the intervals)",
    )
    validate_p.add_argument("--years", type=float, default=5.0, help="horizon in years (default 5)")
    validate_p.add_argument(
        "--conflict-rate",
        type=float,
        default=validation.CONFLICT_RATE,
        help=f"θ per member per rival per day (default {validation.CONFLICT_RATE:g})",
    )
    validate_p.add_argument(
        "--incapacitation", type=float, default=validation.INCAPACITATION, help=f"η arrests per day (default {validation.INCAPACITATION:g})"
    )
    validate_p.add_argument("--seed", type=int, default=1, help="root seed of the replicates (default 1)")
    validate_p.add_argument("--out", default=None, help="output folder (default validation/)")
    validate_p.add_argument("--quiet", action="store_true", help="no progress bar")
    validate_p.set_defaults(func=cmd_validate)


def _add_calibrate(sub: argparse._SubParsersAction) -> None:
    cal_p = sub.add_parser(
        "calibrate",
        help="fit chosen parameters to observed zone series",
        description=(
            "Fit --params so the scenario's annual counts per zone match published ones: the observed CSV's rows of\n"
            "one year (--observed), or each zone's published homicide level and Baja California's\n"
            "disappearances (--zone-levels: experiments/targets.py).\n"
            "--params takes dotted paths (crime.civilian_kill_rate) and members.<zone>, a multiplier of every\n"
            "group's members in that zone. Each evaluation runs --reps replicates with the same seeds; each target\n"
            "is a negative binomial whose mean and variance come from the replicates (plus a 10 % observation\n"
            "error), and the objective is the negative log-likelihood of the observed counts. Differential\n"
            "evolution (scipy, seeded) searches log-parameters within their ranges, starting from the scenario's\n"
            "values; then each parameter's likelihood is sliced through the fit for a 95 % interval.\n"
            "Writes fitted.toml (extends the scenario), calibration.csv (every evaluation), spread.csv (the\n"
            "intervals) and fit.png/.svg (observed vs model at the start and at the fit, per target)."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "observed CSV columns: date (YYYY or YYYY-MM-DD), zone (a zone, a state code such as BC, or zones\n"
            "joined by '+'), homicides, optional disappearances and source. Shipped: scenarios/observed/annual.csv\n"
            "examples:\n"
            "  mandosim calibrate baseline --observed scenarios/observed/annual.csv \\\n"
            "           --params crime.civilian_kill_rate,visibility.conceal_base --year 2024\n"
            "  mandosim calibrate baseline --zone-levels --params members.tijuana,members.rosarito,members.tecate"
        ),
    )
    cal_p.add_argument("scenario", help="scenario file or library name")
    targets = cal_p.add_mutually_exclusive_group(required=True)
    targets.add_argument("--observed", help="observed CSV (date, zone, homicides[, disappearances, source])")
    targets.add_argument(
        "--zone-levels", action="store_true", help="fit each zone's homicides and Baja California's disappearances (experiments/targets.py)"
    )
    cal_p.add_argument("--params", required=True, help="comma-separated dotted parameter paths (or members.<zone>) to fit")
    cal_p.add_argument("--year", type=int, default=None, help="year of the CSV's targets (default: the latest in the file)")
    cal_p.add_argument("--reps", type=int, default=8, help="replicates per evaluation (default 8)")
    cal_p.add_argument("--days", type=int, default=None, help="horizon days of each run (default: the scenario's)")
    cal_p.add_argument(
        "--max-evaluations", type=int, default=60, help="evaluations of the search at most (default 60; the slices add 4 per parameter)"
    )
    cal_p.add_argument(
        "--method", choices=("differential-evolution", "nelder-mead"), default="differential-evolution",
        help="search: global differential evolution (default) or a local Nelder-Mead polish from the scenario's values",
    )  # fmt: skip
    cal_p.add_argument(
        "--repeats", type=int, default=0,
        help="fit again this many times from the fit, each with other replicate seeds: the spread of the refits (default 0)",
    )  # fmt: skip
    cal_p.add_argument("--repeat-evaluations", type=int, default=60, help="evaluations of each repeated fit (Nelder-Mead; default 60)")
    cal_p.add_argument("--seed", type=int, default=1, help="root seed of the replicates (default 1)")
    cal_p.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    cal_p.add_argument("--out", default=None, help="output folder (default results/calibrate_SCENARIO)")
    cal_p.add_argument("--quiet", action="store_true", help="no progress bar")
    cal_p.set_defaults(func=cmd_calibrate)


def _add_plot(sub: argparse._SubParsersAction) -> None:
    plot_p = sub.add_parser(
        "plot",
        help="draw the figures of a results directory",
        description="Redraw every figure of a results directory (compare, sweep, discover, optimise) from its stored results.",
    )
    plot_p.add_argument("dir", help="results directory (made by compare, sweep, discover or optimise)")
    plot_p.set_defaults(func=cmd_plot)


def _add_export(sub: argparse._SubParsersAction) -> None:
    export_p = sub.add_parser(
        "export",
        help="a results folder's tables as CSV (for spreadsheets)",
        description=(
            "Write every table of a results folder (made by run, compare, sweep or explain) as CSV files,\n"
            "with columns.csv giving each column's unit and meaning."
        ),
        epilog="example: mandosim export results/compare --csv   → results/compare/csv/{runs,series,groups,columns}.csv",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export_p.add_argument("dir", help="results folder")
    export_p.add_argument("--csv", action="store_true", required=True, help="write CSV files (the one format offered)")
    export_p.add_argument("--out", default=None, help="folder for the CSV files (default DIR/csv)")
    export_p.set_defaults(func=cmd_export)


def _add_scenarios(sub: argparse._SubParsersAction) -> None:
    scen_p = sub.add_parser(
        "scenarios", help="list the scenario library", description="List the scenario files, one line each: name and what it represents."
    )
    scen_p.add_argument("--folder", default=None, help="folder to list (default: the shipped scenarios/)")
    scen_p.add_argument("--events", action="store_true", help="also list each scenario's timeline")
    scen_p.set_defaults(func=cmd_scenarios)


def _add_show(sub: argparse._SubParsersAction) -> None:
    show_p = sub.add_parser(
        "show",
        help="show a scenario's resolved parameters and timeline",
        description=(
            "Print a scenario as TOML after following 'extends': every parameter (or, with --changed,\n"
            "those that differ from the defaults) and its timeline."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: mandosim show unified_plus_vetting --changed",
    )
    show_p.add_argument("scenario", help="scenario file or library name")
    show_p.add_argument("--changed", action="store_true", help="only parameters that differ from the built-in defaults")
    show_p.set_defaults(func=cmd_show)


def _add_params(sub: argparse._SubParsersAction) -> None:
    params_p = sub.add_parser(
        "params",
        help="list every parameter with its default, unit and source",
        description="Print the parameter table (Markdown): name, default, unit, source (a FACTS row or 'assumption'), meaning.",
    )
    params_p.add_argument("--update-odd", metavar="FILE", help="rewrite the table under '## 9. Parameters' in FILE (docs/ODD.md)")
    params_p.set_defaults(func=cmd_params)


def _add_region(sub: argparse._SubParsersAction) -> None:
    region_p = sub.add_parser(
        "region",
        help="draw a scenario's rasterised region",
        description="Draw the zones, towns, roads, ports and entry points of a scenario's region.",
    )
    region_p.add_argument("scenario", nargs="?", default="baseline", help="scenario file or name (default baseline)")
    region_p.add_argument("--out", default="region.png", help="image to write (PNG or SVG; default region.png)")
    region_p.add_argument("--routes", action="store_true", help="overlay the initial trafficking routes")
    region_p.add_argument("--seed", type=int, default=1, help="seed for the initial placement (default 1)")
    region_p.set_defaults(func=cmd_region)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (subcommands, each with its own --help)."""
    parser = argparse.ArgumentParser(
        prog="mandosim",
        description=(
            "Agent-based policy simulator of public security on the Baja California–Sonora border.\n"
            "Municipal police, state forces and the military act against rival criminal groups;\n"
            "scenario files switch the command regime (fragmented, coordinated, unified) and more."
        ),
        epilog="Scenarios are TOML files; a bare name looks in the shipped scenarios/ folder (e.g. 'baseline').",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    _add_run(sub)
    _add_compare(sub)
    _add_sweep(sub)
    _add_explain(sub)
    _add_discover(sub)
    _add_optimise(sub)
    _add_plot(sub)
    _add_export(sub)
    _add_bench(sub)
    _add_validate(sub)
    _add_calibrate(sub)
    _add_scenarios(sub)
    _add_show(sub)
    _add_params(sub)
    _add_region(sub)
    _add_app(sub)
    return parser


def _check_common(args: argparse.Namespace) -> None:
    """Options several commands share, bounded like the scenario keys they stand for."""
    days = getattr(args, "days", None)
    if days is not None and not 1 <= days <= MAX_HORIZON_DAYS:
        raise InputError("<command line>", "--days", f"must be 1 to {MAX_HORIZON_DAYS:,} (like time.horizon_days), got {days}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mandosim`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_INPUT_ERROR
    try:
        _check_common(args)
        return args.func(args)
    except InputError as error:
        return _fail(str(error))
    except KeyboardInterrupt:
        print("mandosim: interrupted; nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
