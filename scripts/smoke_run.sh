#!/usr/bin/env bash
# Smoke test of `make run`: start the whole stack on embedded defaults in a scratch var dir,
# wait until ops_status shows filled paper orders and /health/ready answers, run
# scripts/api_smoke_check.py against it (every health endpoint, every GET of the API checked
# against the OpenAPI schema, freshness), then stop it.
# Exits 0 on success, 1 if no filled order appears within the deadline or the check fails.
set -euo pipefail
cd "$(dirname "$0")/.."

deadline_s=${SMOKE_DEADLINE_S:-150}
export TRADINGOPS_VAR_DIR=${TRADINGOPS_VAR_DIR:-$(mktemp -d /tmp/tradingops-smoke.XXXXXX)}
export WEB_PORT=${WEB_PORT:-18765}
export TRADINGOPS_ADMIN_PASSWORD=${TRADINGOPS_ADMIN_PASSWORD:-smoke-test-password}
export MONITORING_TOKEN=${MONITORING_TOKEN:-smoke-monitoring-token}
log="$TRADINGOPS_VAR_DIR/run.log"

env -u DATABASE_URL -u CELERY_BROKER_URL -u REDIS_URL setsid make run >"$log" 2>&1 &
run_pid=$!
trap 'kill -TERM -- -"$run_pid" 2>/dev/null || true; wait "$run_pid" 2>/dev/null || true' EXIT

started=$(date +%s)
while (( $(date +%s) - started < deadline_s )); do
  sleep 5
  status=$(env -u DATABASE_URL -u CELERY_BROKER_URL -u REDIS_URL \
    .venv/bin/python manage.py ops_status --json 2>/dev/null || true)
  filled=$(printf '%s' "$status" | .venv/bin/python -c \
    'import json,sys; print(json.load(sys.stdin)["orders_by_status"].get("filled", 0))' \
    2>/dev/null || echo 0)
  if (( filled > 0 )); then
    ready=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${WEB_PORT}/health/ready")
    echo "smoke: ${filled} filled paper orders after $(( $(date +%s) - started )) s;" \
      "/health/ready -> ${ready}"
    echo "$status"
    # Worker counters reach the web's /metrics through the multiprocess directory.
    worker_runs=$(curl -s "http://127.0.0.1:${WEB_PORT}/metrics" \
      | grep -c '^tradingops_scheduler_task_runs_total{.*outcome="success"' || true)
    echo "smoke: /metrics has ${worker_runs} successful-task series from the worker"
    if [[ "$ready" == "200" && "$worker_runs" -gt 0 ]]; then
      # The API takes per-user tokens only: a read-only one for the seeded operator.
      api_token=$(env -u DATABASE_URL -u CELERY_BROKER_URL -u REDIS_URL .venv/bin/python \
        manage.py issue_api_token --user operator --name smoke-check --days 1 2>/dev/null)
      .venv/bin/python scripts/api_smoke_check.py --base-url "http://127.0.0.1:${WEB_PORT}" \
        --token "$MONITORING_TOKEN" --api-token "$api_token"
      exit $?
    fi
  fi
done
echo "smoke: no filled order within ${deadline_s} s; last lines of the run log:" >&2
tail -n 40 "$log" >&2
exit 1
