"""What an operator sees of a running stack: /health/ready, /metrics and Prometheus alerts."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from prometheus_client.parser import text_string_to_metric_families


@dataclass
class Observation:
    ready: bool
    failing: list[str]
    samples: dict[tuple[str, tuple], float]
    alerts: dict[str, str] = field(default_factory=dict)  # alertname -> pending|firing

    def value(self, name: str, **labels: str) -> float:
        """Sum of the samples of ``name`` whose labels include ``labels`` (0 when none)."""
        wanted = set(labels.items())
        return sum(
            value
            for (sample, sample_labels), value in self.samples.items()
            if sample == name and wanted <= set(sample_labels)
        )

    def maximum(self, name: str, **labels: str) -> float:
        wanted = set(labels.items())
        found = [
            value
            for (sample, sample_labels), value in self.samples.items()
            if sample == name and wanted <= set(sample_labels)
        ]
        return max(found, default=0.0)


class Probe:
    def __init__(self, web_url: str, prometheus_url: str | None) -> None:
        self.web_url = web_url
        self.prometheus_url = prometheus_url
        self.client = httpx.Client(timeout=3)

    def observe(self) -> Observation:
        ready, failing = self._ready()
        return Observation(ready, failing, self._samples(), self._alerts())

    def _ready(self) -> tuple[bool, list[str]]:
        try:
            response = self.client.get(f"{self.web_url}/health/ready")
        except httpx.HTTPError as exc:
            return False, [f"web unreachable: {type(exc).__name__}"]
        try:
            failing = list(response.json().get("failing", []))
        except ValueError:
            failing = []
        return response.status_code == 200, failing or ([] if response.is_success else ["?"])

    def _samples(self) -> dict[tuple[str, tuple], float]:
        try:
            response = self.client.get(f"{self.web_url}/metrics")
        except httpx.HTTPError:
            return {}
        if response.status_code != 200:  # an error page while a dependency is down
            return {}
        samples = {}
        try:
            for family in text_string_to_metric_families(response.text):
                for sample in family.samples:
                    samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        except ValueError:
            return {}
        return samples

    def _alerts(self) -> dict[str, str]:
        if not self.prometheus_url:
            return {}
        try:
            alerts = self.client.get(f"{self.prometheus_url}/api/v1/alerts").json()
        except (httpx.HTTPError, ValueError):
            return {}
        states: dict[str, str] = {}
        for alert in alerts.get("data", {}).get("alerts", []):
            name = alert["labels"].get("alertname", "?")
            if states.get(name) != "firing":
                states[name] = alert["state"]
        return states
