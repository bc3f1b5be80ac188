#!/usr/bin/env bash
# Smoke run of `make run`: start the whole stack on embedded defaults in a scratch var dir and
# let it trade for SMOKE_TRADE_S (300 s) after its first filled order. It fails on:
#   - no filled paper order within SMOKE_DEADLINE_S of the start;
#   - any process of the stack dying before the end (honcho stops all when one exits);
#   - scripts/api_smoke_check.py failing (health endpoints, every GET of the API against the
#     OpenAPI schema, freshness), run once trading has begun;
#   - a ledger break (`manage.py ledger_check --json`, whose last line has "ledger_breaks");
#   - a run that approves no risk decision, fills no order, or has a filled order whose filled
#     quantity is not the sum of its fills (scripts/smoke_trading_report.py; the approved and
#     rejected counts and the top rejection reasons are printed);
#   - the on-call page (/admin/oncall/, as the seeded operator) showing any component, task or
#     kill-switch state in red, checked once trading has begun and again at its end;
#   - more rejected risk decisions than approved ones;
#   - a traceback anywhere in the run's log;
#   - any process of the stack still alive 15 s after SIGTERM to its process group.
# Exits 0 when every check passes, 1 otherwise; the run's log stays in $TRADINGOPS_VAR_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

deadline_s=${SMOKE_DEADLINE_S:-150}
trade_s=${SMOKE_TRADE_S:-300}
export TRADINGOPS_VAR_DIR=${TRADINGOPS_VAR_DIR:-$(mktemp -d /tmp/tradingops-smoke.XXXXXX)}
# A var dir given by the caller may not exist yet; the run log is written there first.
mkdir -p "$TRADINGOPS_VAR_DIR"
export WEB_PORT=${WEB_PORT:-18765}
export TRADINGOPS_ADMIN_PASSWORD=${TRADINGOPS_ADMIN_PASSWORD:-smoke-test-password}
export MONITORING_TOKEN=${MONITORING_TOKEN:-smoke-monitoring-token}
log="$TRADINGOPS_VAR_DIR/run.log"
failures=()
tree=()

manage() {
  env -u DATABASE_URL -u CELERY_BROKER_URL -u REDIS_URL .venv/bin/python manage.py "$@"
}

descendants() {
  local child
  for child in $(pgrep -P "$1" 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}

stack_pids() {
  # The process group, and every process started under make run that is still alive (a child
  # that left the group or was orphaned still counts; a zombie has exited and does not).
  local pid
  for pid in $( { pgrep -g "$run_pid" 2>/dev/null || true; printf '%s\n' "${tree[@]}"; } | sort -u); do
    if [[ "$(ps -o stat= -p "$pid" 2>/dev/null)" =~ ^[^Z] ]]; then echo "$pid"; fi
  done
}

env -u DATABASE_URL -u CELERY_BROKER_URL -u REDIS_URL setsid make run >"$log" 2>&1 &
run_pid=$!
# Whatever happens, nothing of the stack outlives the script.
trap 'kill -KILL -- -"$run_pid" 2>/dev/null || true' EXIT

alive() {
  kill -0 "$run_pid" 2>/dev/null
}

oncall_red() {
  # The on-call page as the seeded operator sees it: the red cells' text, one per line.
  local jar="$TRADINGOPS_VAR_DIR/oncall.cookies" base="http://127.0.0.1:${WEB_PORT}" csrf
  curl -s -c "$jar" -o /dev/null "$base/admin/login/"
  csrf=$(awk '$6 == "csrftoken" {print $7}' "$jar")
  curl -s -b "$jar" -c "$jar" -o /dev/null -H "Referer: $base/admin/login/" \
    --data-urlencode "csrfmiddlewaretoken=$csrf" --data-urlencode "username=operator" \
    --data-urlencode "password=$TRADINGOPS_ADMIN_PASSWORD" "$base/admin/login/?next=/admin/"
  curl -s -b "$jar" "$base/admin/oncall/" | .venv/bin/python -c '
import re, sys
page = sys.stdin.read()
if "id=\"oncall\"" not in page:
    print("the on-call page did not load")
for cell in re.findall(r"class=\"bad\"[^>]*>([^<]*)<", page):
    print(cell.strip())'
}

oncall_check() {
  local red
  red=$(oncall_red)
  if [[ -n "$red" ]]; then
    failures+=("on-call page red $1: ${red//$'\n'/; }")
  else
    echo "smoke: on-call page green $1"
  fi
}

filled_orders() {
  manage ops_status --json 2>/dev/null | .venv/bin/python -c \
    'import json,sys; print(json.load(sys.stdin)["orders_by_status"].get("filled", 0))' \
    2>/dev/null || echo 0
}

# 1. Until the first filled order.
started=$(date +%s)
filled=0
while alive && (( filled == 0 && $(date +%s) - started < deadline_s )); do
  sleep 5
  filled=$(filled_orders)
done
if (( filled == 0 )); then
  echo "smoke: no filled order within ${deadline_s} s (stack alive: $(alive && echo yes || echo no));" \
    "last lines of the run log:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
trading_since=$(date +%s)
echo "smoke: first filled order after $(( trading_since - started )) s; trading ${trade_s} s more"

# 2. The API and health endpoints, once, while it trades.
ready=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${WEB_PORT}/health/ready")
echo "smoke: /health/ready -> ${ready}"
# Worker counters reach the web's /metrics through the multiprocess directory.
worker_runs=$(curl -s "http://127.0.0.1:${WEB_PORT}/metrics" \
  | grep -c '^tradingops_scheduler_task_runs_total{.*outcome="success"' || true)
echo "smoke: /metrics has ${worker_runs} successful-task series from the worker"
(( worker_runs > 0 )) || failures+=("no successful task in /metrics")
# The API takes per-user tokens only: a read-only one for the seeded operator.
api_token=$(manage issue_api_token --user operator --name smoke-check --days 1 2>/dev/null)
.venv/bin/python scripts/api_smoke_check.py --base-url "http://127.0.0.1:${WEB_PORT}" \
  --token "$MONITORING_TOKEN" --api-token "$api_token" || failures+=("api_smoke_check failed")
oncall_check "once trading had begun"

# 3. Trade on; every process must stay up.
while alive && (( $(date +%s) - trading_since < trade_s )); do
  sleep 10
done
if ! alive; then
  failures+=("the stack died after $(( $(date +%s) - trading_since )) s of trading")
  grep -E 'exited with code|stopped \(rc=' "$log" >&2 || true
else
  oncall_check "after ${trade_s} s of trading"
fi

# 4. The books and the decisions.
ledger=$(manage ledger_check --json 2>/dev/null) && ledger_rc=0 || ledger_rc=$?
echo "smoke: ledger_check (exit ${ledger_rc}): $(printf '%s' "$ledger" | tail -n 1)"
(( ledger_rc == 0 )) || failures+=("ledger_check found breaks (exit ${ledger_rc})")
report=$(env -u DATABASE_URL -u CELERY_BROKER_URL -u REDIS_URL .venv/bin/python \
  scripts/smoke_trading_report.py 2>/dev/null) && report_rc=0 || report_rc=$?
echo "smoke: trading report: ${report}"
(( report_rc == 0 )) || failures+=("no approval, no fill, more rejections than approvals, or filled orders without their fills")

# 5. Stop as a terminal would: SIGTERM to the whole process group, 15 s to go.
mapfile -t tree < <(echo "$run_pid"; descendants "$run_pid")
kill -TERM -- -"$run_pid" 2>/dev/null || true
stop_started=$(date +%s)
while [[ -n "$(stack_pids)" ]] && (( $(date +%s) - stop_started < 15 )); do
  sleep 0.5
done
left=$(stack_pids)
if [[ -n "$left" ]]; then
  failures+=("still running 15 s after SIGTERM: $(ps -o pid=,args= -p "${left//$'\n'/,}" | tr '\n' ';')")
else
  echo "smoke: the stack stopped $(( $(date +%s) - stop_started )) s after SIGTERM"
fi

# 6. No traceback anywhere in the log.
tracebacks=$(grep -c 'Traceback' "$log" || true)
if (( tracebacks > 0 )); then
  failures+=("${tracebacks} tracebacks in the run log")
  grep -m 3 -A 12 'Traceback' "$log" >&2 || true
fi

if (( ${#failures[@]} )); then
  printf 'smoke: FAILED: %s\n' "${failures[@]}" >&2
  echo "smoke: run log: $log" >&2
  exit 1
fi
echo "smoke: passed (${trade_s} s of trading)"
