"""Structured logging: one JSON object per line, carrying the request ID into Celery tasks."""

from __future__ import annotations

import logging.config
import os
import re
from functools import cache
from typing import Any

import structlog
from django.conf import settings

_SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.stdlib.ExtraAdder(),
]


# Field names whose values are secrets wherever they appear (keys, passwords, tokens, headers).
SECRET_NAME = re.compile(r"passw|secret|token|api[_-]?key|authorization|cookie|credential", re.I)
REDACTED = "[REDACTED]"
MIN_SECRET_LENGTH = 8  # shorter values would mask ordinary words


@cache
def secret_values() -> tuple[str, ...]:
    """Values to mask anywhere in a log line: secret-named environment variables, the secret
    key and the database password (they can surface in messages and tracebacks)."""
    values = {v for k, v in os.environ.items() if SECRET_NAME.search(k)}
    values.add(settings.SECRET_KEY)
    values.add(settings.DATABASES["default"].get("PASSWORD") or "")
    return tuple(sorted((v for v in values if len(v) >= MIN_SECRET_LENGTH), key=len, reverse=True))


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        for secret in secret_values():
            value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, dict):
        return {k: REDACTED if SECRET_NAME.search(str(k)) else _mask(v) for k, v in value.items()}
    return value


def redact_secrets(logger: Any, method_name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor, last before rendering: no secret leaves the process in a log."""
    return {
        key: REDACTED if SECRET_NAME.search(key) else _mask(value)
        for key, value in event_dict.items()
    }


def configure_logging(logging_settings: dict[str, Any]) -> None:
    """Called by Django at set-up (LOGGING_CONFIG): wires structlog and the stdlib together."""
    renderer: Any
    if settings.LOG_FORMAT == "console":
        renderer = structlog.dev.ConsoleRenderer(colors=False)
    else:
        renderer = structlog.processors.JSONRenderer()
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "structured": {
                    "()": structlog.stdlib.ProcessorFormatter,
                    "processors": [
                        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                        structlog.processors.format_exc_info,
                        redact_secrets,
                        renderer,
                    ],
                    "foreign_pre_chain": _SHARED_PROCESSORS,
                },
            },
            "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
            "root": {"handlers": ["console"], "level": settings.LOG_LEVEL},
            "loggers": {
                "django.server": {"level": "WARNING"},
                "django_structlog": {"level": "INFO"},
                **logging_settings.get("loggers", {}),
            },
        }
    )
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED_PROCESSORS,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
