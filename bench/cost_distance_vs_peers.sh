#!/usr/bin/env bash
# Cost distance: ecoplan vs scikit-image MCP_Geometric vs whitebox-workflows, same inputs, same run.
#
#   bench/cost_distance_vs_peers.sh [N ...]      (default: 2000 5000 → 4 M and 25 M cells)
#
# Env: PY (python with numpy, scipy, rasterio, scikit-image; whitebox-workflows optional),
#      default $ECOPLAN_PY or /root/.cache/ecoplan-venv/bin/python; DATA (landscape cache,
#      default target/bench-cost); SKIP_PEERS=1 runs ecoplan only; ECOPLAN_BIN uses that binary
#      instead of building target/release/ecoplan.
# Prints per size: process wall time, CPU time (user + sys, all threads) and peak RSS (GNU time),
# the timed section, mean/max cost distance of each tool, and ecoplan's speed-up over each peer.
#
# Like for like: every tool's timed section starts after its program and libraries are loaded
# and covers reading both input GeoTIFFs, the computation and writing the distance GeoTIFF
# compressed, as each tool writes it by default (ecoplan: deflate level 6, 256×256 tiles, in
# parallel; whitebox-workflows: deflate, 256-row strips; scikit-image via rasterio: LZW tiles,
# the input's profile). The process wall time adds interpreter/library start-up. With
# ECOPLAN_EXTRA="--compress none" ecoplan writes an uncompressed file (a second ecoplan row).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PY:-${ECOPLAN_PY:-/root/.cache/ecoplan-venv/bin/python}}"
DATA="${DATA:-$ROOT/target/bench-cost}"
SIZES=("${@:-2000 5000}")
[ $# -eq 0 ] && SIZES=(2000 5000)
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "GNU time missing: apt-get install time" >&2; exit 1; }
HELPER="$ROOT/bench/cost_distance_vs_peers.py"

if [ -n "${ECOPLAN_BIN:-}" ]; then
  BIN="$ECOPLAN_BIN"
else
  (cd "$ROOT" && cargo build --release -q -p ecoplan 2>/dev/null) || { echo "cargo build --release -p ecoplan failed" >&2; exit 1; }
  BIN="$ROOT/target/release/ecoplan"
fi

have_wbw=1
"$PY" -c "import whitebox_workflows" 2>/dev/null || { have_wbw=0; echo "whitebox-workflows not installed in $PY: skipped (pip install whitebox-workflows)" >&2; }
"$PY" -c "import skimage" 2>/dev/null || { echo "scikit-image missing in $PY: pip install scikit-image" >&2; exit 1; }

# run NAME CMD... → sets WALL, CPU (user+sys s), RSS_MB, TIMED, MEAN, MAX
run() {
  local name=$1; shift
  local log; log=$(mktemp)
  "$TIME" -f "@@TIME@@ %e %M %U %S" "$@" >"$log" 2>&1 || { echo "$name failed:"; cat "$log"; rm -f "$log"; return 1; }
  read -r WALL RSS_KB CPU < <(grep '@@TIME@@' "$log" | awk '{print $2, $3, $4 + $5}')
  RSS_MB=$(awk -v k="$RSS_KB" 'BEGIN{printf "%.0f", k/1024}')
  local j; j=$(grep '@@RESULT@@' "$log" | sed 's/^@@RESULT@@ //')
  TIMED=$(echo "$j" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print("%.3f" % d["timed_s"])')
  MEAN=$(echo "$j" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["result"]["check"]["mean_cd"])')
  MAX=$(echo "$j" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["result"]["check"]["max_cd"])')
  rm -f "$log"
}

for N in "${SIZES[@]}"; do
  D="$DATA/N$N"; OUT="$D/out"; mkdir -p "$OUT"
  "$PY" "$HELPER" gen "$D" "$N"
  cells=$((N * N))
  echo "== cost distance, ${N}x${N} = $cells cells (30 m, sources = habitat patches >= 100 ha) =="
  echo "   $(uptime | sed 's/.*load/load/')"
  printf "%-22s %9s %9s %9s %9s %14s %14s\n" tool wall_s timed_s cpu_s rss_MB mean_cd max_cd
  run ecoplan "$BIN" cost-distance --cost "$D/resistance.tif" --sources "$D/sources.tif" --out "$OUT/ecoplan.tif" --print-result
  E_WALL=$WALL; E_TIMED=$TIMED; E_RSS=$RSS_MB; E_MEAN=$MEAN; E_CPU=$CPU
  printf "%-22s %9s %9s %9s %9s %14.4f %14.4f\n" ecoplan "$WALL" "$TIMED" "$CPU" "$RSS_MB" "$MEAN" "$MAX"
  if [ -n "${ECOPLAN_EXTRA:-}" ]; then
    # shellcheck disable=SC2086
    run ecoplan "$BIN" cost-distance --cost "$D/resistance.tif" --sources "$D/sources.tif" --out "$OUT/ecoplan_x.tif" --print-result $ECOPLAN_EXTRA
    printf "%-22s %9s %9s %9s %9s %14.4f %14.4f\n" "ecoplan $ECOPLAN_EXTRA" "$WALL" "$TIMED" "$CPU" "$RSS_MB" "$MEAN" "$MAX"
  fi
  echo "ecoplan peak RSS per cell: $(awk -v r="$RSS_KB" -v c="$cells" 'BEGIN{printf "%.1f", r*1024/c}') bytes"
  [ "${SKIP_PEERS:-0}" = 1 ] && continue
  peers=(skimage)
  [ $have_wbw = 1 ] && peers+=(wbw)
  for p in "${peers[@]}"; do
    run "$p" "$PY" "$HELPER" "$p" "$D" "$OUT/$p.tif"
    label=$p; [ $p = skimage ] && label="skimage MCP_Geometric"; [ $p = wbw ] && label="whitebox-workflows"
    printf "%-22s %9s %9s %9s %9s %14.4f %14.4f\n" "$label" "$WALL" "$TIMED" "$CPU" "$RSS_MB" "$MEAN" "$MAX"
    "$PY" - "$E_MEAN" "$MEAN" "$p" <<'PYEOF'
import sys
a, b, p = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
rel = abs(a - b) / max(abs(b), 1e-12)
print(f"  mean_cd ecoplan vs {p}: relative difference {rel:.2e} -> {'AGREE' if rel < 1e-4 else 'DIFFER'}")
PYEOF
    awk -v ew="$E_WALL" -v et="$E_TIMED" -v ec="$E_CPU" -v pw="$WALL" -v pt="$TIMED" -v pc="$CPU" -v p="$label" \
      -v l="$(uptime | sed 's/.*load average: //')" \
      'BEGIN{printf "RESULT speed-up over %s: %.1fx (timed section), %.1fx (process wall), %.1fx (CPU time) (load %s)\n", p, pt/et, pw/ew, pc/ec, l}'
  done
done
