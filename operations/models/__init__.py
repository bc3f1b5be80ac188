"""Operations models, one module per concern (sibling modules are added by their issues)."""

from operations.models.access import ApiToken, ApiTokenScope

__all__ = ["ApiToken", "ApiTokenScope"]
