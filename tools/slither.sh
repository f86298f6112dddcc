#!/usr/bin/env bash
# Reproducible slither run for docs/SECURITY.md ("Static analysis"). Usage: tools/slither.sh [extra slither flags]
#   (or `make slither ARGS="..."`), e.g. tools/slither.sh --exclude-low --exclude-informational --exclude-optimization
#
# - Installs the pinned slither into a local venv under .slither/ (gitignored); only PyPI is needed.
# - Compiles with the project's own forge (node_modules) and solc wrapper (tools/solc, from foundry.toml), into
#   .slither/out and .slither/cache: crytic-compile runs `forge build --build-info --skip test script --force`, which
#   would otherwise replace out/ (read by the Rust bindings and tests) with a partial build.
# - Filters only the node_modules/, test/ and script/ directories. Slither strips leading and trailing "." and "/"
#   from every --filter-paths regex (and splits it at "," and ".."), so `node_modules|test/|script/` became
#   `...|script`, which also matched TranscriptVerifier.sol and TranscriptLib.sol and hid every finding in them.
#   The parentheses keep the slashes; a check below applies slither's own path handling to every file under
#   contracts/ and refuses to run if the filter would hide any of them.
# - Writes the JSON results to .slither/results.json and prints the counts by severity. Exit status is 0 when the
#   analysis ran, whatever it found (pass --fail-medium etc. to change that).
set -euo pipefail

SLITHER_VERSION=0.11.6
CRYTIC_COMPILE_VERSION=0.4.2
FILTER='(/node_modules/|/test/|/script/)'

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WORK="$ROOT/.slither"
VENV="$WORK/venv"
FORGE_DIR="$ROOT/node_modules/@foundry-rs/forge-linux-amd64/bin"

[ -x "$FORGE_DIR/forge" ] || { echo "tools/slither.sh: forge not found in node_modules; run make install" >&2; exit 1; }

if [ "$("$VENV/bin/slither" --version 2>/dev/null || true)" != "$SLITHER_VERSION" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check \
        "slither-analyzer==$SLITHER_VERSION" "crytic-compile==$CRYTIC_COMPILE_VERSION"
fi

# The filter must hide node_modules/, test/ and script/ and nothing under contracts/.
"$VENV/bin/python" - "$FILTER" <<'EOF'
import pathlib, re, subprocess, sys
from slither.core.slither_core import _relative_path_format  # what slither does to each --filter-paths regex
patterns = [_relative_path_format(p) for p in sys.argv[1].split(",")]
hidden = lambda f: any(re.search(p, pathlib.Path(f).resolve().as_posix()) for p in patterns)
files = subprocess.run(["git", "ls-files", "contracts", "test", "script"], capture_output=True, text=True,
                       check=True).stdout.split()
wrongly_hidden = [f for f in files if f.startswith("contracts/") and hidden(f)]
wrongly_kept = [f for f in files + ["node_modules/@openzeppelin/contracts/utils/math/Math.sol"]
                if not f.startswith("contracts/") and not hidden(f)]
if wrongly_hidden or wrongly_kept or not any(f.startswith("contracts/") for f in files):
    sys.exit(f"tools/slither.sh: filter {sys.argv[1]!r} hides {wrongly_hidden} and keeps {wrongly_kept}")
EOF

mkdir -p "$WORK"
rm -f "$WORK/results.json"  # slither refuses to overwrite its JSON output
set +e
PATH="$FORGE_DIR:$PATH" FOUNDRY_OUT="$WORK/out" FOUNDRY_CACHE_PATH="$WORK/cache" \
    "$VENV/bin/slither" . --compile-force-framework foundry --filter-paths "$FILTER" \
    --json "$WORK/results.json" "$@"
status=$?
set -e
[ -f "$WORK/results.json" ] || exit "$status"

"$VENV/bin/python" - "$WORK/results.json" <<'EOF'
import collections, json, sys
results = json.load(open(sys.argv[1])).get("results", {}).get("detectors", [])
counts = collections.Counter(r["impact"] for r in results)
print("slither %s: " % sys.argv[1] + ", ".join(
    f"{counts.get(k, 0)} {k.lower()}" for k in ("High", "Medium", "Low", "Informational", "Optimization")))
EOF
# slither's exit status is its number of findings unless a --fail-* flag was given; report only real failures.
case " $* " in *" --fail-"*) exit "$status" ;; esac
python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1])).get("success") else 1)' "$WORK/results.json"
