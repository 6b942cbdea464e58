"""Benchmarks (run as modules, e.g. ``python -m benchmarks.bench_schema``); not part of the test suite."""
