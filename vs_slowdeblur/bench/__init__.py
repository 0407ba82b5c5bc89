"""Benchmarks of the protocol in docs/BENCHMARKS.md: ``python -m vs_slowdeblur.bench interp [--quick]``."""
