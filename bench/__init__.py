"""Benchmarks: `make bench` (python -m bench). Figures go in docs/performance.md."""
