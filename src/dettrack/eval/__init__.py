"""Benchmark evaluation: the official metrics of the tracking and segmentation benchmarks."""
