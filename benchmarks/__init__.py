"""Benchmarks: `python -m benchmarks.NAME`, each printing one JSON object as its last line."""
