#!/usr/bin/env bash
# Zonal statistics speed: ecoplan end-to-end from files vs GDAL reading the same files + numpy
# bincount (count/sum/mean per zone), in one run. Generates an N×N float32 deflate-tiled value
# GeoTIFF and a ZONES-zone uint16 zone GeoTIFF with GDAL, then prints the ratio.
# Usage: bench/zonal_vs_gdal.sh [N=5000] [ZONES=100]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-5000}; ZONES=${2:-100}
PY=${ECOPLAN_PY:-$HOME/.cache/ecoplan-venv/bin/python}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
"$PY" bench/zonal_vs_gdal.py make "$DIR" "$N" "$ZONES"
cargo build -q --release -p ecoplan-io --example zonal_files
# Warm the page cache for both sides alike.
cat "$DIR/values.tif" "$DIR/zones.tif" > /dev/null
ours=$(./target/release/examples/zonal_files "$DIR/values.tif" "$DIR/zones.tif" "$DIR/ours.csv" | sed -n 's/^@@RESULT@@ //p')
t0=$(date +%s.%N)
./target/release/examples/zonal_files "$DIR/values.tif" "$DIR/zones.tif" "$DIR/ours.csv" > /dev/null
t1=$(date +%s.%N)
example=$(echo "$t1 - $t0" | bc)
echo "ecoplan (zonal_files example): $ours, process wall $example s"
cli=""
if cargo build -q --release -p ecoplan 2>/dev/null; then
  t0=$(date +%s.%N)
  ./target/release/ecoplan zonal "$DIR/values.tif" --zones "$DIR/zones.tif" --out "$DIR/cli.csv" > /dev/null
  t1=$(date +%s.%N)
  cli=$(echo "$t1 - $t0" | bc)
  echo "ecoplan zonal (CLI): $cli s"
else
  echo "ecoplan CLI did not build; timing the example only"
fi
"$PY" bench/zonal_vs_gdal.py compare "$DIR" "$example" "$cli"
