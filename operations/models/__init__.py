"""Operations records: each topic in its own module (siblings add theirs here)."""

from operations.models.gamedays import GameDay
from operations.models.soak import SoakDailyReport, SoakRun

__all__ = ["GameDay", "SoakDailyReport", "SoakRun"]
