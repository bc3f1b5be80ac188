"""Error reports (DEBUG pages, admin error mails) never show a secret setting."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.views.debug import SafeExceptionReporterFilter


def _secret_values() -> list[str]:
    values = (str(getattr(settings, name, "") or "") for name in settings.SECRET_SETTINGS)
    return [value for value in values if len(value) >= 8]  # short values match by accident


class SecretSettingsReporterFilter(SafeExceptionReporterFilter):
    """Django's filter hides settings named like KEY, TOKEN, SECRET or PASS. Connection URLs
    carry passwords too (DATABASE_URL, CELERY_BROKER_URL, REDIS_URL), so every *_URL is
    hidden as well; and a local variable that holds a secret's value is masked in the
    traceback even without ``@sensitive_variables`` on the view."""

    hidden_settings = re.compile(
        r"API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|_URL$|^DATABASES$|^CACHES$",
        flags=re.IGNORECASE,
    )

    def get_traceback_frame_variables(self, request: Any, tb_frame: Any) -> Any:
        variables = super().get_traceback_frame_variables(request, tb_frame)
        secrets = _secret_values()
        return [
            (name, self.cleansed_substitute if any(s in repr(value) for s in secrets) else value)
            for name, value in variables
        ]
