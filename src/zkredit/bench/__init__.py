"""Benchmarks behind ``zkredit bench``."""
