"""Generators of landing zones: the bundled sample and synthetic cities for benchmarks."""
