#!/usr/bin/env bash
# Landscape metrics speed: `ecoplan metrics` vs pylandstats on the same N×N land-use GeoTIFF, in
# one run: 10 class + 9 landscape metrics (the set of ../shared/bench's landscape_metrics task).
# pylandstats: in-process time of read + compute + write CSV (cold = first call in a fresh process,
# warm = second call). ecoplan: whole process wall (read + compute + write CSV), release build.
# Needs pylandstats in the venv (pip install pylandstats).
# Usage: bench/metrics_vs_pylandstats.sh [N=2000]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2000}
PY=${ECOPLAN_PY:-$HOME/.cache/ecoplan-venv/bin/python}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
"$PY" bench/metrics_vs_pylandstats.py make "$DIR" "$N"
[ "${SKIP_BUILD:-0}" = 1 ] || cargo build -q --release -p ecoplan   # SKIP_BUILD=1: use target/release/ecoplan as is
METRICS=pland,np,pd,lpi,ed,lsi,area_mn,shape_mn,frac_mn,mesh,contag,shdi
cat "$DIR/lulc.tif" > /dev/null
best=""
for rep in 1 2 3; do
  t0=$(date +%s.%N)
  ./target/release/ecoplan metrics "$DIR/lulc.tif" --level class,landscape --metrics "$METRICS" \
    --out "$DIR/ours.csv" > /dev/null
  t1=$(date +%s.%N)
  t=$(echo "$t1 - $t0" | bc)
  if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
done
pls=$("$PY" bench/metrics_vs_pylandstats.py time "$DIR")
"$PY" bench/metrics_vs_pylandstats.py compare "$DIR" "$best" "$pls"
