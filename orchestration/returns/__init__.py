"""Reading, validating and recording returns: plain Python, no Dagster."""
