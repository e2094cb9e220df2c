# Quickstart targets: each creates .venv and installs mandosim on first use (Python >= 3.11).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint figures channels validation calibration resolution study clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("mandosim needs Python >= 3.11, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## demo: compare the key scenarios (10 replicates each) → results/compare/ (table + plots)
demo: $(STAMP)
	$(BIN)/mandosim compare baseline coordination_failure unified_command --reps 10 --out results/compare

## test: lint and the whole test suite
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

## figures: regenerate every figure the README and docs/experiments.md show (docs/figures/), the app's screenshot too
figures: $(STAMP)
	$(BIN)/mandosim region baseline --routes --out docs/figures/region.png
	$(BIN)/mandosim run baseline --seed 1 --out results/baseline_seed1 --quiet
	cp results/baseline_seed1/timeseries.png docs/figures/baseline_timeseries.png
	$(BIN)/mandosim compare baseline coordination_failure unified_command --reps 10 --out results/compare --force --quiet
	cp results/compare/figures/effects_homicides.png results/compare/figures/bands_homicides.png results/compare/figures/map_homicides.png docs/figures/
	MANDOSIM_APP_SCREENSHOT=docs/figures/app.png $(BIN)/python -m pytest -q tests/experiments/test_app.py -k browser

## channels: why a regime changes violence — decompositions, dose-responses, Sobol indices → docs/validation/channels.md
channels: $(STAMP)
	$(BIN)/mandosim explain baseline unified_command --reps 20 --out results/explain_unified --quiet
	$(BIN)/mandosim explain baseline coordination_failure --reps 20 --zones mexicali_city,mexicali_valley,san_luis_rio_colorado --dose --out results/explain_failure --quiet
	$(BIN)/mandosim sweep experiments/sweeps/unified_effect_sobol.toml --out results/unified_effect_sobol --quiet
	$(BIN)/python -c 'from pathlib import Path; from mandosim.experiments.explain import write_channels_page as w; w(Path("docs/validation/channels.md"), [Path("results/explain_unified"), Path("results/explain_failure")], Path("results/unified_effect_sobol"))'

## validation: docking, zone levels, patterns P1–P10 and the 2024 hindcast → docs/validation/report.md (PNG figures only)
validation: $(STAMP)
	-$(BIN)/mandosim validate --out results/validation --quiet
	mkdir -p docs/validation/figures
	cp results/validation/report.md results/validation/docking.md results/validation/docking.png docs/validation/
	cp results/validation/figures/*.png docs/validation/figures/

## calibration: every zone's group sizes fitted to its published homicides, concealment to BC's disappearances → docs/validation/calibration.md
ZONES_FITTED = members.tijuana,members.mexicali_city,members.mexicali_valley,members.rosarito,members.tecate,members.ensenada,members.san_luis_rio_colorado,visibility.conceal_base
CALIBRATE = mandosim calibrate baseline --zone-levels --reps 6 --max-evaluations 384 --params $(ZONES_FITTED)
# the refits start from the shipped baseline: run them once the fit's values are in model/params.py
REFITS = mandosim calibrate baseline --zone-levels --reps 6 --method nelder-mead --max-evaluations 1 --repeats 5 --repeat-evaluations 80 --params $(ZONES_FITTED)
# a zone the joint fit leaves outside its tolerance is fitted again alone, the others held (Ensenada)
ALONE = mandosim calibrate baseline --zone-levels --reps 6 --max-evaluations 48 --params members.ensenada
calibration: $(STAMP)
	$(BIN)/$(CALIBRATE) --out results/calibrate_zones --quiet
	$(BIN)/$(REFITS) --out results/calibrate_spread --quiet
	$(BIN)/$(ALONE) --out results/calibrate_ensenada --quiet
	$(BIN)/python -c 'from pathlib import Path; from mandosim.experiments.calibration import write_calibration_page as w; print(w(Path("results/calibrate_zones"), Path("docs/validation/calibration.md"), "$(CALIBRATE)", Path("results/calibrate_spread"), "$(REFITS)", Path("results/calibrate_ensenada"), "$(ALONE)"))'

## resolution: the baseline at 1.25, 2.5 and 5 km cells, 40 replicates each → docs/validation/resolution.md
resolution: $(STAMP)
	$(BIN)/python -m mandosim.experiments.resolution

## study: the corridor study — when the unified command works (PRIM) and robust lever packages (NSGA-II) → docs/figures/
study: $(STAMP)
	$(BIN)/mandosim discover corridor --out results/discover_corridor --quiet
	$(BIN)/mandosim optimise corridor --out results/optimise_corridor --quiet
	cp results/discover_corridor/figures/prim_trajectory.png results/discover_corridor/figures/prim_scatter.png docs/figures/
	cp results/optimise_corridor/figures/pareto.png docs/figures/

clean:
	rm -rf $(VENV) results
