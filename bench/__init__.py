"""On-demand benchmarks (docs/quality.md#benchmarks); never run as timed tests."""
