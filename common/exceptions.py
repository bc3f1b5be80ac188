"""Domain errors that interfaces turn into clear 4xx responses or logged rejections."""


class TradingOpsError(Exception):
    """Base of every expected, explainable failure."""


class ValidationFailed(TradingOpsError):
    """Input that breaks a business rule; the message says which."""


class NotFound(TradingOpsError):
    """A referenced object (instrument, model version, strategy) does not exist."""


class ArtifactIntegrityError(TradingOpsError):
    """A model artifact is missing or its sha256 does not match the registered one."""


class ProviderError(TradingOpsError):
    """A market-data provider could not serve a request."""


class PermissionRefused(TradingOpsError):
    """The actor lacks the role or permission an action needs (or approves their own request)."""


class ImmutableRecordError(TradingOpsError):
    """A write that would change or delete an append-only record (audit, decision, event)."""
