"""Scoring benchmark: synthetic data at a chosen scale, wuxing's own steps timed against a hand-written floor query."""
