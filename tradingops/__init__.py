"""TradingOps Django project: wiring only (settings, URLs, Celery app)."""

from tradingops.celery import app as celery_app

__all__ = ("celery_app",)
