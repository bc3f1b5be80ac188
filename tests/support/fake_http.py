"""The fake provider servers moved to ``marketdata.fakes`` (the soak and game days ship them)."""

from marketdata.fakes.http import FAULT_MODES, FakeProviderServer, Reply, serve_forever

__all__ = ["FAULT_MODES", "FakeProviderServer", "Reply", "serve_forever"]
