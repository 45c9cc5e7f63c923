#!/usr/bin/env bash
# Runs ALL of ecoplan's tests: the Rust workspace tests (with Python/GDAL interop required), then
# the full 云冈区 demo end to end, whose GeoTIFFs are checked with GDAL (rasterio).
#
#   ./scripts/test.sh
#
# It installs what the tests need itself: python3-venv (apt-get) if missing, and a venv with the
# packages of scripts/python-requirements.txt at ${ECOPLAN_VENV:-$HOME/.cache/ecoplan-venv}
# (skipped when already complete). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"
START=$(date +%s)
# A clean build gains nothing from incremental state, which would double target/ (CI's disk is small).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
step() { printf '\n==> %s (%ss)\n' "$*" "$(( $(date +%s) - START ))"; }

df -h . "${TMPDIR:-/tmp}" 2>/dev/null | sed 's/^/disk: /' || true

# --- Python venv for the interop tests -------------------------------------------------------
VENV="${ECOPLAN_VENV:-$HOME/.cache/ecoplan-venv}"
REQ=scripts/python-requirements.txt
want=$(sha256sum "$REQ" | cut -d' ' -f1)
stamp="$VENV/.ecoplan-requirements.sha256"
modules="numpy, rasterio, pyproj, pyogrio, rasterstats, shapely, scipy, skimage, pyamg, pylandstats, pyguidos, sklearn"
if [[ -x "$VENV/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] \
   && "$VENV/bin/python" -c "import $modules" 2>/dev/null; then
  step "Python venv $VENV is complete"
else
  step "Setting up Python venv $VENV ($REQ)"
  if [[ ! -x "$VENV/bin/python" ]]; then
    if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
      if [[ $(id -u) -eq 0 ]]; then SUDO=; else SUDO=sudo; fi
      $SUDO apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv python3-pip >/dev/null
    fi
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q --upgrade pip
  fi
  # pip leaves packages that are already at the pinned version alone: safe to repeat.
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$REQ"
  "$VENV/bin/python" -c "import $modules"
  echo "$want" > "$stamp"
fi
export ECOPLAN_PY="$VENV/bin/python"
export ECOPLAN_REQUIRE_INTEROP=1
"$ECOPLAN_PY" -c 'import rasterio; print("GDAL", rasterio.__gdal_version__, "via rasterio", rasterio.__version__)'

# --- Rust tests --------------------------------------------------------------------------------
LOG=$(mktemp -t ecoplan-test.XXXXXX)
trap 'rm -f "$LOG"' EXIT
status=0
step "cargo test --workspace"
cargo test --workspace --no-fail-fast 2>&1 | tee "$LOG" || status=1

step "Full demo end to end + GDAL check of its rasters (ignored tests of crates/ecoplan/tests/demo.rs)"
# --workspace keeps feature unification identical to the run above, so nothing is rebuilt.
cargo test --workspace --test demo -- --ignored --test-threads 1 2>&1 | tee -a "$LOG" || status=1

# --- Summary -----------------------------------------------------------------------------------
step "Summary"
grep -E '^\s+Running |^\s+Doc-tests |^test result:' "$LOG" | sed 's/^ *//' || true
if grep -qE '^test result: FAILED|^error(\[E[0-9]+\])?:|could not compile' "$LOG"; then status=1; fi
failed=$(grep -E '^    [A-Za-z0-9_:]+$' "$LOG" | sort -u || true)
if [[ $status -ne 0 ]]; then
  echo "FAILED 失败${failed:+: }"; [[ -n "$failed" ]] && echo "$failed"
  exit 1
fi
passed=$(grep -E '^test result:' "$LOG" | awk '{s+=$4} END {print s+0}')
echo "All tests passed 全部通过: $passed tests in $(( $(date +%s) - START )) s"
