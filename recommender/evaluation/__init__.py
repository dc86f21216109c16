"""Offline evaluation (leave-one-out protocol, rankers, metrics, runs and reports) and the
speed and reading benchmarks."""
