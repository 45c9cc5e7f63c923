#!/usr/bin/env bash
# Circuit solver speed: ecoplan (own SA-AMG + CG, and faer sparse Cholesky) against pyamg's
# smoothed_aggregation_solver + CG at rtol 1e-6 on the same ≥4 M-cell system, in the same run;
# then Circuitscape BigTests pairwise runs (1m, 6m) through `ecoplan circuitscape`.
#
#   bench/circuit_vs_pyamg.sh            # BigTests 6m (3000×2000 = 6 M cells), 1m/6m pairwise
#   REPS=3 bench/circuit_vs_pyamg.sh     # more interleaved ecoplan/pyamg pairs (default 2)
#   FULL=1 bench/circuit_vs_pyamg.sh     # also the 190-pair cumulative-map runs (long)
#   REPS=1 PAIRWISE=0 bench/circuit_vs_pyamg.sh   # the one-solve comparison only (~5 min idle)
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
# SKIP_BUILD=1 uses the binaries already in target/release (when others are compiling).
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cargo build --release -q -p ecoplan-circuit --example solve_bench
  cargo build --release -q -p ecoplan
fi
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
# Interleaved repetitions (ecoplan, pyamg, ecoplan, pyamg, …) so both see the same machine load;
# the best setup+solve of each is compared. REPS (default 2) sets the number of pairs.
c_of() { awk -v s="$(echo "$1" | field setup_cpu | tr -d s)" -v v="$(echo "$1" | field solve_cpu | tr -d s)" 'BEGIN{print s+v}'; }
t_of() { awk -v s="$(echo "$1" | field setup | tr -d s)" -v v="$(echo "$1" | field solve | tr -d s)" 'BEGIN{print s+v}'; }
min() { awk -v a="$1" -v b="$2" 'BEGIN{print (b == "" || a < b) ? a : b}'; }
eco_t=""; py_t=""; eco_c=""; py_c=""
for rep in $(seq "${REPS:-2}"); do
  echo "-- pair $rep: $(uptime | sed 's/.*load/load/')"
  ECO_OUT=$("$BENCH" "$CELL" "$PTS" "${ARGS[@]}")
  echo "$ECO_OUT"
  PY_OUT=$(OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$PY" bench/pyamg_solve.py "$TMP/sys")
  echo "$PY_OUT"
  eco_t=$(min "$(t_of "$ECO_OUT")" "$eco_t"); py_t=$(min "$(t_of "$PY_OUT")" "$py_t")
  eco_c=$(min "$(c_of "$ECO_OUT")" "$eco_c"); py_c=$(min "$(c_of "$PY_OUT")" "$py_c")
done
if [ "${CHOLMOD:-1}" = 1 ]; then
  CHOL_OUT=$("$BENCH" "$CELL" "$PTS" "${ARGS[@]}" --solver cholmod)
  echo "$CHOL_OUT"
fi
eco_m=$(echo "$ECO_OUT" | field peak_rss_mb)
py_m=$(echo "$PY_OUT" | field peak_rss_mb)
awk -v a="$eco_t" -v b="$py_t" -v c="$eco_m" -v d="$py_m" -v ec="$eco_c" -v pc="$py_c" -v l="$(uptime | sed 's/.*load average: //')" 'BEGIN{
  printf "RESULT setup+solve (best of the interleaved runs): ecoplan cg+amg %.2f s vs pyamg %.2f s -> %.2fx faster (load %s)\n", a, b, b/a, l;
  printf "RESULT setup+solve CPU time (user+sys, all threads; pyamg runs one thread): ecoplan %.2f s vs pyamg %.2f s -> %.2fx\n", ec, pc, pc/ec;
  printf "RESULT peak memory (whole process; ecoplan includes reading the raster and building the graph): ecoplan %.0f MB vs pyamg %.0f MB -> ratio %.2f\n", c, d, d/c }'

[ "${PAIRWISE:-1}" = 1 ] || exit 0
echo "== pairwise: ecoplan circuitscape on BigTests (maps as each .ini asks), cg+amg and cholmod"
echo "   (the 20-point runs with cumulative maps need 190 solves each: only with FULL=1)"
run_ini() {  # name solver ini-dir ini extra-lines...
  local name=$1 solver=$2 dir=$3 ini=$4
  local cfg=$TMP/$name.ini
  grep -v -E '^(output_file|write_cum_cur_map_only|write_cur_maps|write_volt_maps|point_file)' "$dir/$ini" > "$cfg"
  printf '%s\n' "${@:5}" >> "$cfg"
  local t0 t1 kb
  t0=$(date +%s.%N)
  kb=$(rss "$ECO" circuitscape "$cfg" --base-dir "$dir" --solver "$solver" -o "$TMP/out_$name/run.out")
  t1=$(date +%s.%N)
  awk -v n="$name" -v s="$solver" -v t0="$t0" -v t1="$t1" -v kb="$kb" -v l="$(uptime | sed 's/.*load average: //')" \
    'BEGIN{printf "RESULT pairwise %-26s %-8s %8.1f s  peak %6.0f MB  (load %s)\n", n, s, t1-t0, kb/1024, l}'
  head -3 "$TMP/out_$name/run_resistances.out" | cut -c1-120
  rm -rf "$TMP/out_$name"
}
for solver in cg+amg cholmod; do
  run_ini 1m_2points_maps $solver "$BIG/1m" 1m.ini "point_file = points.txt" "write_cur_maps = True" "write_volt_maps = True"
  run_ini 1m_20points_resistances $solver "$BIG/1m" 1m-20points.ini "point_file = 20points.txt"
  run_ini 6m_2points_maps $solver "$BIG/6m" 6m-1solve.ini "point_file = points1.txt" "write_cur_maps = True" "write_volt_maps = True"
  run_ini 6m_20points_resistances $solver "$BIG/6m" 6m-all.ini "point_file = points.txt"
  if [ "${FULL:-0}" = 1 ]; then
    run_ini 1m_20points_cum $solver "$BIG/1m" 1m-20points.ini "point_file = 20points.txt" "write_cum_cur_map_only = True"
    run_ini 6m_20points_cum $solver "$BIG/6m" 6m-all.ini "point_file = points.txt" "write_cum_cur_map_only = True"
  fi
done
