"""The fake Alpaca server moved to ``marketdata.fakes.alpaca``."""

from marketdata.fakes.alpaca import KEY_ID, SECRET, FakeAlpaca

__all__ = ["KEY_ID", "SECRET", "FakeAlpaca"]
