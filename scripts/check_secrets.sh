#!/usr/bin/env bash
# Secret scan of every tracked file (detect-secrets) against the reviewed baseline.
#
# Fails on any finding that is not in .secrets.baseline marked reviewed ("is_secret": false),
# and on any baseline entry a reviewer marked as a real secret. Line numbers may move without
# a baseline update: findings are matched by file and secret hash, as detect-secrets does.
# To review a new finding: .venv/bin/detect-secrets scan --baseline .secrets.baseline, then
# .venv/bin/detect-secrets audit .secrets.baseline (mark it), and commit the baseline.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}

scanned=$(mktemp)
trap 'rm -f "$scanned"' EXIT
cp .secrets.baseline "$scanned"
"$BIN/detect-secrets" scan --baseline "$scanned"  # keeps the reviewers' labels, adds new finds
"$BIN/python" - "$scanned" <<'PY'
import json
import sys

results = json.load(open(sys.argv[1]))["results"]
bad = [
    f"{path}:{item['line_number']}: {item['type']}"
    + (" (marked as a real secret)" if item.get("is_secret") else " (not reviewed)")
    for path, items in sorted(results.items())
    for item in items
    if item.get("is_secret") is not False
]
if bad:
    print("detect-secrets: findings outside the reviewed baseline:", *bad, sep="\n  ")
    print("Remove the secret, or review it into .secrets.baseline (see scripts/check_secrets.sh).")
    sys.exit(1)
total = sum(len(items) for items in results.values())
print(f"detect-secrets: no new secrets ({total} reviewed false positives in the baseline)")
PY
