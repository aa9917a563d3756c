"""Benchmarks: scripts that print and write JSON reports (not timed tests); see each module."""
