"""Benchmarks, run on demand with `make bench`; results go to bench/results/."""
