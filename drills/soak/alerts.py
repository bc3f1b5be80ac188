"""Alerts as operators see them: Prometheus evaluating the project's own rule file.

The stack runs a private Prometheus that scrapes the web's /metrics every second and
evaluates ``docker/prometheus/rules/tradingops.yml`` every second. The watcher polls its
``/api/v1/alerts`` and keeps each alert's transitions: pending (the condition holds, the
``for:`` has not elapsed yet), firing, resolved (gone after firing). Rules keep their
production ``for:`` durations, measured in wall time, so in a compressed run a short blip
is seen as pending and only a lasting condition fires.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import httpx

# One request every two seconds for twenty minutes: the request log would bury the report.
logging.getLogger("httpx").setLevel(logging.WARNING)


@dataclass
class AlertTrack:
    name: str
    labels: dict[str, str]
    first_pending_s: float | None = None
    first_firing_s: float | None = None
    active: bool = False


@dataclass
class AlertWatcher:
    prometheus_url: str
    started: float = field(default_factory=time.monotonic)
    tracks: dict[tuple, AlertTrack] = field(default_factory=dict)
    errors: int = 0

    def poll(self) -> list[AlertTrack]:
        """Read the alerts once; return the tracks whose state changed."""
        try:
            response = httpx.get(f"{self.prometheus_url}/api/v1/alerts", timeout=2)
            alerts = response.json()["data"]["alerts"]
        except (httpx.HTTPError, ValueError, KeyError):
            self.errors += 1
            return []
        now = time.monotonic() - self.started
        changed, seen = [], set()
        for alert in alerts:
            labels = {k: v for k, v in alert["labels"].items() if k not in ("severity",)}
            key = tuple(sorted(labels.items()))
            seen.add(key)
            track = self.tracks.setdefault(key, AlertTrack(labels.get("alertname", "?"), labels))
            before = (track.first_pending_s, track.first_firing_s, track.active)
            track.active = True
            if track.first_pending_s is None:
                track.first_pending_s = now
            if alert["state"] == "firing" and track.first_firing_s is None:
                track.first_firing_s = now
            if before != (track.first_pending_s, track.first_firing_s, track.active):
                changed.append(track)
        for key, track in self.tracks.items():
            if track.active and key not in seen:
                track.active = False
                changed.append(track)
        return changed

    def summary(self) -> dict:
        fired = [track for track in self.tracks.values() if track.first_firing_s is not None]
        return {
            "alerts_evaluated_by": "prometheus",
            "alerts_fired": len(fired),
            "alerts_resolved": sum(1 for track in fired if not track.active),
            "alerts_still_firing": sorted(track.name for track in fired if track.active),
            "alerts_pending_only": sorted(
                {track.name for track in self.tracks.values() if track.first_firing_s is None}
            ),
            "alerts_fired_by_name": _count(track.name for track in fired),
            "alert_poll_errors": self.errors,
        }


def _count(names) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items()))
