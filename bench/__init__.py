"""Benchmarks: each prints its figure beside the floor it is compared with, as a ratio."""
