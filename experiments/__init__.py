"""Everything around the model: runner, plots and the command line."""
