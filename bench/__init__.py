"""Benchmarks: rendered ground truth, our pipeline, mir_eval scores. See docs/benchmarks.md."""
