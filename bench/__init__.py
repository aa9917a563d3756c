"""Benchmarks: scripts that write reports (BENCHMARKS.md), not timed tests."""
