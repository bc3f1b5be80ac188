#!/usr/bin/env bash
# Known vulnerabilities in the pinned requirements (pip-audit), minus the reviewed ignores.
#
# requirements/audit-ignore.txt lists one advisory ID a line with the reason after '#'; an
# entry without a reason fails the check. Findings fail the build.
#
# pip-audit needs a vulnerability service (PyPI's JSON API per release, or OSV). When neither
# answers, nothing was audited: the script says so loudly and exits 0, unless
# PIP_AUDIT_REQUIRED=1 (set it wherever the service is reachable), where it exits 2.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
IGNORE_FILE=requirements/audit-ignore.txt

ignore_args=()
while IFS= read -r line; do
  id=$(sed -E 's/#.*//; s/[[:space:]]+//g' <<<"$line")
  [[ -z "$id" ]] && continue
  if [[ "$line" != *"#"?* ]]; then
    echo "pip-audit: $IGNORE_FILE entry '$id' has no reason (write one after '#')" >&2
    exit 1
  fi
  ignore_args+=(--ignore-vuln "$id")
done <"$IGNORE_FILE"

report=$(mktemp)
errors=$(mktemp)
trap 'rm -f "$report" "$errors"' EXIT
status=0
# --no-deps: the files are complete pip-compile pins; the service: pypi (default) or osv.
"$BIN/pip-audit" --no-deps --disable-pip --progress-spinner off --timeout 15 \
  --vulnerability-service "${PIP_AUDIT_SERVICE:-pypi}" --format json --output "$report" \
  ${ignore_args[@]+"${ignore_args[@]}"} \
  -r requirements/production.txt -r requirements/dev.txt 2>"$errors" || status=$?

"$BIN/python" - "$report" "$status" "${PIP_AUDIT_REQUIRED:-0}" "$errors" <<'PY'
import json
import sys

path, status, required = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
errors = open(sys.argv[4]).read()
try:
    deps = json.load(open(path))["dependencies"]
except (OSError, ValueError, KeyError):
    deps = []
    if not any(s in errors for s in ("ConnectionError", "NameResolution", "Timeout")):
        print("pip-audit produced no report:", errors[-2000:], sep="\n")
        sys.exit(1)
audited = [d for d in deps if "skip_reason" not in d]
vulnerable = [d for d in audited if d.get("vulns")]
if not audited:
    print(
        "pip-audit: VULNERABILITY SERVICE UNREACHABLE - NO DEPENDENCY WAS AUDITED "
        f"({len(deps)} pinned packages skipped). This is not a pass."
    )
    sys.exit(2 if required else 0)
for dep in vulnerable:
    for vuln in dep["vulns"]:
        fixes = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
        print(f"pip-audit: {dep['name']} {dep['version']}: {vuln['id']} (fixed in: {fixes})")
skipped = len(deps) - len(audited)
print(f"pip-audit: {len(audited)} packages audited, {skipped} skipped, {len(vulnerable)} vulnerable")
sys.exit(1 if vulnerable or status else 0)
PY
