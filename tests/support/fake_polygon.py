"""The fake Polygon server moved to ``marketdata.fakes.polygon``."""

from marketdata.fakes.polygon import API_KEY, FakePolygon

__all__ = ["API_KEY", "FakePolygon"]
