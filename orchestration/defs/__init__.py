"""Dagster definitions, one module per concern, merged in orchestration.definitions."""
