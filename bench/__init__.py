"""Benchmarks: scripts that print and write reports (JSON, BENCHMARKS.md), not timed tests; see each module."""
