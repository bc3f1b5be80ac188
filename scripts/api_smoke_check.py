#!/usr/bin/env python3
"""Smoke check of a deployed TradingOps stack, from the outside, as a client sees it.

    scripts/api_smoke_check.py --base-url https://tradingops.example.com \
        --token "$MONITORING_TOKEN" --api-token TOKEN \
        [--max-bar-age 600] [--json]

1. Every health endpoint (/health/live, /ready, /scheduler, /data, /risk, /models, /health,
   /metrics) answers 200; the detailed ones are read with ``--token`` (MONITORING_TOKEN).
2. The OpenAPI schema (/api/schema/) lists the API; every GET operation without path
   parameters is called (lists with ?limit=5), and the detail of a list's first row too. Each
   must answer 200 with a body valid against its response schema.
3. Freshness: no instrument stale and none older than ``--max-bar-age`` seconds (market time,
   as /health/data reports it); no periodic task down or late.

Prints one row per check (or ``--json``) and exits 1 when any check fails, 2 when the stack
cannot be reached at all. Needs only httpx and jsonschema (both in the project's requirements).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from typing import Any

import httpx
import jsonschema

HEALTH_PATHS = (
    "/health/live",
    "/health/ready",
    "/health/scheduler",
    "/health/data",
    "/health/risk",
    "/health/models",
    "/health",
    "/metrics",
)
LIST_LIMIT = 5


@dataclass
class Row:
    check: str
    path: str
    status: int | None
    ok: bool
    detail: str


def _nullable_to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 ``nullable: true`` is not JSON Schema: turn it into a type that allows null."""
    if isinstance(node, list):
        return [_nullable_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _nullable_to_json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        if isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
            if "enum" in node:
                node["enum"] = [*node["enum"], None]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    return node


class SmokeCheck:
    def __init__(self, client: httpx.Client, *, token: str, max_bar_age_s: float) -> None:
        self.client = client
        self.token = token
        self.max_bar_age_s = max_bar_age_s
        self.rows: list[Row] = []
        self.spec: dict[str, Any] = {}

    def add(self, check: str, path: str, status: int | None, ok: bool, detail: str) -> None:
        self.rows.append(Row(check, path, status, ok, detail))

    def get(self, path: str, **kwargs: Any) -> httpx.Response | None:
        try:
            return self.client.get(path, **kwargs)
        except httpx.HTTPError as exc:
            self.add("reachable", path, None, False, f"{type(exc).__name__}: {exc}")
            return None

    # --- 1. health --------------------------------------------------------------------------
    def health(self) -> None:
        monitoring = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        for path in HEALTH_PATHS:
            # auth=None: the monitoring token, not the API credentials, reads /health.
            response = self.get(path, headers=monitoring, auth=None)
            if response is None:
                continue
            ok = response.status_code == 200
            detail = "ok" if ok else response.text[:200].replace("\n", " ")
            self.add("health", path, response.status_code, ok, detail)
            if ok and path == "/health/data":
                self.data_freshness(response.json())
            if ok and path == "/health/scheduler":
                self.scheduler_freshness(response.json())

    def data_freshness(self, body: dict[str, Any]) -> None:
        instruments = body.get("instruments", {})
        old = {
            s: i["newest_bar_age_s"]
            for s, i in instruments.items()
            if i.get("stale") or i["newest_bar_age_s"] > self.max_bar_age_s
        }
        detail = (
            (f"{len(instruments)} instruments, newest bar ages within {self.max_bar_age_s:g} s")
            if not old
            else f"stale or old: {old}"
        )
        self.add(
            "freshness",
            "/health/data",
            200,
            bool(instruments) and not old,
            detail if instruments else "no active instrument reports bars",
        )

    def scheduler_freshness(self, body: dict[str, Any]) -> None:
        tasks = body.get("tasks", [])
        bad = {t["name"]: t["state"] for t in tasks if t["state"] in ("down", "late")}
        detail = f"{len(tasks)} periodic tasks, none down or late" if not bad else f"{bad}"
        self.add("freshness", "/health/scheduler", 200, not bad, detail)

    # --- 2. API against the schema ----------------------------------------------------------
    def schema(self) -> bool:
        response = self.get("/api/schema/", params={"format": "json"})
        if response is None:
            return False
        ok = response.status_code == 200
        if ok:
            self.spec = response.json()
        paths = len(self.spec.get("paths", {}))
        self.add(
            "schema",
            "/api/schema/",
            response.status_code,
            ok and paths > 0,
            f"OpenAPI {self.spec.get('openapi', '?')}, {paths} paths" if ok else "no schema",
        )
        return ok

    def _response_schema(self, operation: dict[str, Any]) -> dict[str, Any] | None:
        content = operation.get("responses", {}).get("200", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        if schema is None:
            return None
        return _nullable_to_json_schema({**schema, "components": self.spec.get("components", {})})

    def call(self, path: str, operation: dict[str, Any], url: str) -> Any:
        names = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
        response = self.get(url, params={"limit": LIST_LIMIT} if "limit" in names else None)
        if response is None:
            return None
        if response.status_code != 200:
            self.add("api", url, response.status_code, False, response.text[:200])
            return None
        body = response.json()
        schema = self._response_schema(operation)
        try:
            if schema is not None:
                jsonschema.validate(body, schema)
        except jsonschema.ValidationError as exc:
            where = "/".join(str(p) for p in exc.absolute_path)
            self.add("api", url, 200, False, f"schema: {exc.message} at {where or 'root'}")
            return None
        self.add("api", url, 200, True, "matches schema" if schema else "no schema to check")
        return body

    def api(self) -> None:
        paths = self.spec.get("paths", {})
        for path, operations in sorted(paths.items()):
            get = operations.get("get")
            if get is None or "{" in path:
                continue
            body = self.call(path, get, path)
            detail_path = f"{path}{{id}}/"
            rows = body.get("results") if isinstance(body, dict) else None
            if rows and "id" in rows[0] and "get" in paths.get(detail_path, {}):
                self.call(detail_path, paths[detail_path]["get"], f"{path}{rows[0]['id']}/")

    def run(self) -> list[Row]:
        self.health()
        if self.schema():
            self.api()
        return self.rows


def _table(rows: list[Row]) -> str:
    width = max(len(r.path) for r in rows)
    lines = [f"{'result':<6} {'check':<9} {'status':<6} {'path':<{width}} detail"]
    for r in rows:
        result = "ok" if r.ok else "FAIL"
        lines.append(f"{result:<6} {r.check:<9} {r.status or '-':<6} {r.path:<{width}} {r.detail}")
    failed = sum(not r.ok for r in rows)
    lines.append(f"{len(rows)} checks, {failed} failed")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", default="", help="MONITORING_TOKEN for /health/<area>")
    parser.add_argument(
        "--api-token", default="", help="API token (manage.py issue_api_token), sent as Bearer"
    )
    parser.add_argument("--max-bar-age", type=float, default=600.0, help="seconds")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds per request")
    parser.add_argument("--json", action="store_true", help="print rows as JSON")
    args = parser.parse_args(argv)

    headers = {"Authorization": f"Bearer {args.api_token}"} if args.api_token else {}
    with httpx.Client(
        base_url=args.base_url.rstrip("/"),
        headers=headers,
        timeout=args.timeout,
        follow_redirects=False,
    ) as client:
        rows = SmokeCheck(client, token=args.token, max_bar_age_s=args.max_bar_age).run()
    if args.json:
        print(json.dumps([asdict(r) for r in rows]))
    else:
        print(_table(rows))
    if rows and all(r.check == "reachable" for r in rows):
        return 2
    return 0 if rows and all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
