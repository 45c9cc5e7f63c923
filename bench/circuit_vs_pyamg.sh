#!/usr/bin/env bash
# Circuit solver speed: ecoplan (own SA-AMG + CG, and faer sparse Cholesky) against pyamg's
# smoothed_aggregation_solver + CG at rtol 1e-6 on the same ≥4 M-cell system, in the same run;
# then Circuitscape BigTests pairwise runs (1m, 6m) through `ecoplan circuitscape`.
#
#   bench/circuit_vs_pyamg.sh            # BigTests 6m (3000×2000 = 6 M cells), 1m/6m pairwise
#
# Needs ../shared/conformance/circuitscape/BigTests and a Python with numpy, scipy, pyamg
# (ECOPLAN_PY or /root/.cache/ecoplan-venv/bin/python; `pip install pyamg` into it).
# Prints time and peak-memory ratios. Threads: ecoplan uses all cores (RAYON_NUM_THREADS to
# change), pyamg runs with OPENBLAS_NUM_THREADS=1 as the peer's documented setting.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIG=${BIG:-$ROOT/../shared/conformance/circuitscape/BigTests}
PY=${ECOPLAN_PY:-/root/.cache/ecoplan-venv/bin/python}
[ -d "$BIG" ] || { echo "missing $BIG (shared conformance data beside the repository)" >&2; exit 1; }
"$PY" -c "import pyamg, scipy" || { echo "pyamg/scipy missing in $PY: $PY -m pip install pyamg scipy" >&2; exit 1; }
cargo build --release -q -p ecoplan-circuit --example solve_bench
cargo build --release -q -p ecoplan
BENCH=$ROOT/target/release/examples/solve_bench
ECO=$ROOT/target/release/ecoplan
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }
rss() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1; }   # peak RSS in kB

echo "== one solve: BigTests 6m (3000×2000, 8 neighbours, average resistance), points1.txt"
CELL=$BIG/6m/cellmap.asc.gz
PTS=$BIG/6m/points1.txt
ARGS=(--avg-res)
"$BENCH" "$CELL" "$PTS" "${ARGS[@]}" --export "$TMP/sys" > /dev/null
ECO_OUT=$("$BENCH" "$CELL" "$PTS" "${ARGS[@]}")
echo "$ECO_OUT"
CHOL_OUT=$("$BENCH" "$CELL" "$PTS" "${ARGS[@]}" --solver cholmod)
echo "$CHOL_OUT"
PY_OUT=$(OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$PY" bench/pyamg_solve.py "$TMP/sys")
echo "$PY_OUT"
eco_t=$(awk -v s="$(echo "$ECO_OUT" | field setup | tr -d s)" -v v="$(echo "$ECO_OUT" | field solve | tr -d s)" 'BEGIN{print s+v}')
py_t=$(awk -v s="$(echo "$PY_OUT" | field setup | tr -d s)" -v v="$(echo "$PY_OUT" | field solve | tr -d s)" 'BEGIN{print s+v}')
eco_m=$(echo "$ECO_OUT" | field peak_rss_mb)
py_m=$(echo "$PY_OUT" | field peak_rss_mb)
awk -v a="$eco_t" -v b="$py_t" -v c="$eco_m" -v d="$py_m" 'BEGIN{
  printf "RESULT setup+solve: ecoplan cg+amg %.2f s vs pyamg %.2f s -> %.2fx faster\n", a, b, b/a;
  printf "RESULT peak memory (whole process; ecoplan includes reading the raster and building the graph): ecoplan %.0f MB vs pyamg %.0f MB -> ratio %.2f\n", c, d, d/c }'

echo "== pairwise: ecoplan circuitscape on BigTests (maps as each .ini asks; 20-point runs write cumulative maps only)"
run_ini() {  # name ini-dir ini points extra-lines
  local name=$1 dir=$2 ini=$3
  local cfg=$TMP/$name.ini
  grep -v -E '^(output_file|write_cum_cur_map_only|write_cur_maps|write_volt_maps|point_file)' "$dir/$ini" > "$cfg"
  printf '%s\n' "${@:4}" >> "$cfg"
  local t0 t1 kb
  t0=$(date +%s.%N)
  kb=$(rss "$ECO" circuitscape "$cfg" --base-dir "$dir" -o "$TMP/out_$name/run.out")
  t1=$(date +%s.%N)
  awk -v n="$name" -v t0="$t0" -v t1="$t1" -v kb="$kb" 'BEGIN{printf "RESULT pairwise %-28s %8.1f s  peak %6.0f MB\n", n, t1-t0, kb/1024}'
  head -3 "$TMP/out_$name/run_resistances.out" | cut -c1-120
  rm -rf "$TMP/out_$name"
}
run_ini 1m_2points_maps "$BIG/1m" 1m.ini "point_file = points.txt" "write_cur_maps = True" "write_volt_maps = True"
run_ini 1m_20points_cum "$BIG/1m" 1m-20points.ini "point_file = 20points.txt" "write_cum_cur_map_only = True"
run_ini 1m_20points_resistances "$BIG/1m" 1m-20points.ini "point_file = 20points.txt"
run_ini 6m_2points_maps "$BIG/6m" 6m-1solve.ini "point_file = points1.txt" "write_cur_maps = True" "write_volt_maps = True"
run_ini 6m_20points_resistances "$BIG/6m" 6m-all.ini "point_file = points.txt"
run_ini 6m_20points_cum "$BIG/6m" 6m-all.ini "point_file = points.txt" "write_cum_cur_map_only = True"
