"""On-demand benchmarks (docs QUALITY.md, "Benchmarks"); never run as timed tests."""
